-- name: CreateMember :one
INSERT INTO members (tenant_id, account_id, role, display_name, time_zone)
VALUES (@tenant_id, @account_id, @role, @display_name, sqlc.narg(time_zone))
RETURNING *;

-- name: GetMember :one
SELECT * FROM members WHERE tenant_id = @tenant_id AND id = @id;

-- name: FindMemberByAccount :one
SELECT * FROM members WHERE tenant_id = @tenant_id AND account_id = @account_id;

-- name: ListMembers :many
SELECT * FROM members
WHERE tenant_id = @tenant_id AND removed_at IS NULL
ORDER BY display_name, id;
