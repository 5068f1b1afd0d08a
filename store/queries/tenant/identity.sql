-- Host resolution: global tables, read before any scope exists.

-- name: FindTenantBySlug :one
SELECT id, slug, name, status FROM tenants WHERE slug = @slug;

-- Login on a tenant host: only the tenant's own live members can sign in
-- there. Runs in the tenant's scope; the accounts policy admits exactly the
-- accounts of the tenant's members.

-- name: FindLoginByEmail :one
SELECT a.id AS account_id, coalesce(a.password_hash, '')::text AS password_hash, a.session_version,
       (a.disabled_at IS NOT NULL)::bool AS disabled, m.id AS member_id, m.role, m.display_name
FROM accounts a
JOIN members m ON m.account_id = a.id AND m.tenant_id = @tenant_id AND m.removed_at IS NULL
WHERE a.email = @email;

-- name: CreateSession :one
INSERT INTO sessions (tenant_id, member_id, account_id, created_at, expires_at, user_agent)
VALUES (@tenant_id, @member_id, @account_id, @created_at, @expires_at, @user_agent)
RETURNING *;

-- CheckSession is the per-request check of a tenant session: the session
-- is live, the membership is live, the account is enabled and its session
-- version is the token's. The role comes from here, not from the token.

-- name: CheckSession :one
SELECT m.id AS member_id, m.role, m.display_name, a.email, s.expires_at
FROM sessions s
JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
JOIN accounts a ON a.id = s.account_id
WHERE s.tenant_id = @tenant_id AND s.id = @session_id AND s.account_id = @account_id
  AND s.revoked_at IS NULL AND s.expires_at > @now
  AND m.removed_at IS NULL AND a.disabled_at IS NULL AND a.session_version = @session_version;

-- name: RevokeSession :execrows
UPDATE sessions SET revoked_at = now()
WHERE tenant_id = @tenant_id AND id = @id AND account_id = @account_id AND revoked_at IS NULL;

-- name: RevokeMemberSessions :execrows
UPDATE sessions SET revoked_at = now()
WHERE tenant_id = @tenant_id AND member_id = @member_id AND revoked_at IS NULL;

-- name: CreateHandoff :one
INSERT INTO auth_handoffs (tenant_id, member_id, account_id, token_hash, redirect_path, origin_host, created_at, expires_at)
VALUES (@tenant_id, @member_id, @account_id, @token_hash, @redirect_path, @origin_host, @created_at, @expires_at)
RETURNING *;

-- RedeemHandoff uses the handoff up: it succeeds once, within its lifetime.

-- name: RedeemHandoff :one
UPDATE auth_handoffs SET used_at = now()
WHERE tenant_id = @tenant_id AND token_hash = @token_hash AND used_at IS NULL AND expires_at > @now
RETURNING *;

-- name: FindLiveMemberByAccount :one
SELECT m.*, a.session_version AS account_session_version
FROM members m JOIN accounts a ON a.id = m.account_id
WHERE m.tenant_id = @tenant_id AND m.account_id = @account_id AND m.removed_at IS NULL AND a.disabled_at IS NULL;

-- Account-scoped queries: the acting account's own rows (no tenant).

-- name: CheckAccountSession :one
SELECT a.email, s.expires_at
FROM account_sessions s JOIN accounts a ON a.id = s.account_id
WHERE s.id = @session_id AND s.account_id = @account_id AND s.revoked_at IS NULL AND s.expires_at > @now
  AND a.disabled_at IS NULL AND a.session_version = @session_version;

-- name: RevokeAccountSession :execrows
UPDATE account_sessions SET revoked_at = now()
WHERE id = @id AND account_id = @account_id AND revoked_at IS NULL;

-- name: GetAccount :one
SELECT id, email, coalesce(password_hash, '')::text AS password_hash, session_version, default_tenant_id, disabled_at
FROM accounts WHERE id = @id;

-- SetPassword stores a new hash and moves the session version on, which
-- ends every token of the account at its next request.

-- name: SetPassword :one
UPDATE accounts SET password_hash = @password_hash, session_version = session_version + 1, updated_at = now()
WHERE id = @id
RETURNING session_version;

-- name: FindDomainTenant :one
SELECT t.id, t.slug, t.name, t.status
FROM tenant_domains d JOIN tenants t ON t.id = d.tenant_id
WHERE d.domain = @domain AND d.verified_at IS NOT NULL;
