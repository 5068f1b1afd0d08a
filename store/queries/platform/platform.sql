-- Platform queries: cross-tenant operations, run only on the platform pool
-- inside InPlatform, which writes the platform audit row first.

-- name: InsertPlatformAudit :exec
INSERT INTO platform_audit_log (actor, action, reason, target_tenant_id, request_id, detail)
VALUES (@actor, @action, @reason, sqlc.narg(target_tenant_id), @request_id, @detail);

-- name: ListPlatformAudit :many
SELECT * FROM platform_audit_log ORDER BY at DESC, id DESC LIMIT @max_rows;

-- name: CreateTenant :one
INSERT INTO tenants (slug, name) VALUES (@slug, @name) RETURNING *;

-- name: FindTenantBySlug :one
SELECT * FROM tenants WHERE slug = @slug;

-- name: ListTenants :many
SELECT * FROM tenants ORDER BY slug;

-- name: SetTenantStatus :one
UPDATE tenants SET status = @status, updated_at = now() WHERE id = @id RETURNING *;

-- name: CreateAccount :one
INSERT INTO accounts (email, password_hash) VALUES (@email, sqlc.narg(password_hash)) RETURNING *;

-- name: FindAccountByEmail :one
SELECT * FROM accounts WHERE email = @email;

-- name: SetAccountDefaultTenant :exec
UPDATE accounts SET default_tenant_id = sqlc.narg(tenant_id), updated_at = now() WHERE id = @account_id;

-- name: CreateMemberInTenant :one
INSERT INTO members (tenant_id, account_id, role, display_name)
VALUES (@tenant_id, @account_id, @role, @display_name)
RETURNING *;

-- name: ListAccountMemberships :many
SELECT m.tenant_id, m.id AS member_id, m.role, m.display_name, t.slug, t.name AS tenant_name, t.status AS tenant_status
FROM members m JOIN tenants t ON t.id = m.tenant_id
WHERE m.account_id = @account_id AND m.removed_at IS NULL
ORDER BY t.slug;
