-- Background jobs: what the workers read and purge, in the job's tenant.

-- name: ListActiveTenantIDs :many
SELECT id FROM tenants WHERE status = 'active' ORDER BY id;

-- name: GetJobMember :one
SELECT m.id, m.account_id, m.role
FROM members m
WHERE m.tenant_id = @tenant_id AND m.id = @id AND m.removed_at IS NULL;

-- name: GetBookingMail :one
SELECT b.id, b.status, b.starts_at, b.ends_at, b.updated_at, b.client_member_id, s.name AS service_name,
       a.email AS client_email, c.display_name AS client_name
FROM bookings b
JOIN services s ON s.tenant_id = b.tenant_id AND s.id = b.service_id
JOIN members c ON c.tenant_id = b.tenant_id AND c.id = b.client_member_id
JOIN accounts a ON a.id = c.account_id
WHERE b.tenant_id = @tenant_id AND b.id = @id AND c.removed_at IS NULL;

-- name: PurgeExpiredSessions :execrows
DELETE FROM sessions WHERE tenant_id = @tenant_id AND expires_at <= sqlc.arg(now)::timestamptz;

-- name: PurgeExpiredHandoffs :execrows
DELETE FROM auth_handoffs WHERE tenant_id = @tenant_id AND expires_at <= sqlc.arg(now)::timestamptz;

-- name: PurgeExpiredInvitations :execrows
-- An accepted invitation stays: it records who joined by whose invitation.
DELETE FROM invitations
WHERE tenant_id = @tenant_id AND expires_at <= sqlc.arg(now)::timestamptz AND accepted_at IS NULL;

-- name: PurgeExpiredIdempotencyKeys :execrows
DELETE FROM idempotency_keys WHERE tenant_id = @tenant_id AND expires_at <= sqlc.arg(now)::timestamptz;

-- name: PurgeExpiredPublicSubmissions :execrows
-- A confirmed submission stays: it records where its request came from.
DELETE FROM public_submissions
WHERE tenant_id = @tenant_id AND expires_at <= sqlc.arg(now)::timestamptz AND confirmed_at IS NULL;
