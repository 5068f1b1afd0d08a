-- ListMembersWithEmail is a keyset page of live members over
-- (display_name, id), optionally of one role.

-- name: ListMembersWithEmail :many
SELECT m.id, m.account_id, m.role, m.display_name, m.created_at, a.email
FROM members m JOIN accounts a ON a.id = m.account_id
WHERE m.tenant_id = @tenant_id AND m.removed_at IS NULL
  AND (sqlc.narg(role)::text IS NULL OR m.role = sqlc.narg(role)::text)
  AND (NOT @has_after::bool OR (m.display_name, m.id) > (@after_name::text, @after_id::uuid))
ORDER BY m.display_name, m.id
LIMIT @page_size;

-- name: GetLiveMember :one
SELECT * FROM members WHERE tenant_id = @tenant_id AND id = @id AND removed_at IS NULL;

-- name: CountOwners :one
SELECT count(*) FROM members WHERE tenant_id = @tenant_id AND role = 'owner' AND removed_at IS NULL;

-- LockOwners serialises owner changes of a tenant: the last-owner rule
-- holds under concurrent demotions and removals.

-- name: LockOwners :many
SELECT id FROM members WHERE tenant_id = @tenant_id AND role = 'owner' AND removed_at IS NULL FOR UPDATE;

-- name: SetMemberRole :one
UPDATE members SET role = @role, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND removed_at IS NULL
RETURNING *;

-- name: RemoveMember :one
UPDATE members SET removed_at = now(), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND removed_at IS NULL
RETURNING *;

-- name: ReactivateMember :one
UPDATE members SET removed_at = NULL, role = @role, display_name = @display_name, updated_at = now()
WHERE tenant_id = @tenant_id AND account_id = @account_id
RETURNING *;

-- name: CreateInvitation :one
INSERT INTO invitations (tenant_id, email, role, display_name, invited_by_member_id, token_hash, created_at, expires_at)
VALUES (@tenant_id, @email, @role, @display_name, @invited_by_member_id, @token_hash, @created_at, @expires_at)
RETURNING *;

-- name: ListInvitations :many
SELECT * FROM invitations
WHERE tenant_id = @tenant_id AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > @now
ORDER BY created_at DESC, id;

-- name: RevokeInvitation :one
UPDATE invitations SET revoked_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND accepted_at IS NULL AND revoked_at IS NULL
RETURNING *;

-- name: FindOpenInvitation :one
SELECT * FROM invitations
WHERE tenant_id = @tenant_id AND token_hash = @token_hash
  AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > @now
FOR UPDATE;

-- name: MarkInvitationAccepted :exec
UPDATE invitations SET accepted_at = now() WHERE tenant_id = @tenant_id AND id = @id;

-- name: PeekOpenInvitation :one
SELECT * FROM invitations
WHERE tenant_id = @tenant_id AND token_hash = @token_hash
  AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > @now;

-- CountInvitationFailure records a wrong password given with invitation id
-- and revokes the invitation once max have been given.

-- name: CountInvitationFailure :one
UPDATE invitations
SET failed_attempts = failed_attempts + 1,
    revoked_at = CASE WHEN failed_attempts + 1 >= @max_failures::int THEN @now::timestamptz ELSE revoked_at END
WHERE tenant_id = @tenant_id AND id = @id AND accepted_at IS NULL AND revoked_at IS NULL
RETURNING failed_attempts;

-- RevokeInvitationsOfInviter withdraws the open invitations a member sent:
-- what a member granted does not outlive its power to grant it.

-- name: RevokeInvitationsOfInviter :execrows
UPDATE invitations SET revoked_at = sqlc.arg(now)::timestamptz
WHERE tenant_id = @tenant_id AND invited_by_member_id = @member_id AND accepted_at IS NULL AND revoked_at IS NULL;
