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
INSERT INTO sessions (tenant_id, member_id, account_id, created_at, last_used_at, expires_at, user_agent, client_address)
VALUES (@tenant_id, @member_id, @account_id, @created_at, @created_at, @expires_at, @user_agent, @client_address)
RETURNING *;

-- StartSession records a session with the caller's id whose lifetime is
-- the tenant's security setting over the platform default, so a sign-in
-- need not read the setting first: it can be held for COMMIT, and its
-- expiry read back with it (GetSessionExpiry). It records nothing unless
-- the membership is live and the account enabled when it runs: a member
-- removed while signing in gets no session.

-- name: StartSession :exec
INSERT INTO sessions (tenant_id, id, member_id, account_id, created_at, last_used_at, expires_at, user_agent, client_address)
SELECT sqlc.arg(tenant_id)::uuid, sqlc.arg(id)::uuid, sqlc.arg(member_id)::uuid, sqlc.arg(account_id)::uuid,
       sqlc.arg(created_at)::timestamptz, sqlc.arg(created_at)::timestamptz,
       sqlc.arg(created_at)::timestamptz + make_interval(0, 0, 0, 0, 0, coalesce(s.session_lifetime_minutes, d.session_lifetime_minutes)),
       sqlc.arg(user_agent)::text, sqlc.arg(client_address)::text
FROM security_defaults d
JOIN members m ON m.tenant_id = sqlc.arg(tenant_id) AND m.id = sqlc.arg(member_id) AND m.account_id = sqlc.arg(account_id) AND m.removed_at IS NULL
JOIN accounts a ON a.id = m.account_id AND a.disabled_at IS NULL
LEFT JOIN security_settings s ON s.tenant_id = sqlc.arg(tenant_id);

-- name: GetSessionExpiry :one
SELECT expires_at FROM sessions WHERE tenant_id = @tenant_id AND id = @id;

-- CheckSession is the per-request check of a tenant session: the session
-- is live and has been used within the tenant's idle timeout, the
-- membership is live, the account is enabled and its session version is
-- the token's. The role comes from here, not from the token. The same
-- statement records the use (at most once a minute), so the check stays
-- one round trip; it runs on a read-write path (Store.WriteTenant).

-- name: CheckSession :one
WITH live AS (
    SELECT s.id, m.id AS member_id, m.role, m.display_name, a.email, s.expires_at
    FROM sessions s
    JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
    JOIN accounts a ON a.id = s.account_id
    CROSS JOIN security_defaults d
    LEFT JOIN security_settings ss ON ss.tenant_id = s.tenant_id
    WHERE s.tenant_id = @tenant_id AND s.id = @session_id AND s.account_id = @account_id
      AND s.revoked_at IS NULL AND s.expires_at > sqlc.arg(now)::timestamptz
      AND s.last_used_at > sqlc.arg(now)::timestamptz - make_interval(mins => coalesce(ss.idle_timeout_minutes, d.idle_timeout_minutes))
      AND m.removed_at IS NULL AND a.disabled_at IS NULL AND a.session_version = @session_version
), used AS (
    UPDATE sessions SET last_used_at = sqlc.arg(now)::timestamptz
    WHERE tenant_id = @tenant_id AND id IN (SELECT id FROM live)
      AND last_used_at < sqlc.arg(now)::timestamptz - interval '1 minute'
    RETURNING id
)
SELECT member_id, role, display_name, email, expires_at FROM live;

-- CheckSessionReadOnly is CheckSession without recording the use: the
-- check while the database accepts no writes (a standby, a database set
-- read-only), so that members keep reading.

-- name: CheckSessionReadOnly :one
SELECT m.id AS member_id, m.role, m.display_name, a.email, s.expires_at
FROM sessions s
JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
JOIN accounts a ON a.id = s.account_id
CROSS JOIN security_defaults d
LEFT JOIN security_settings ss ON ss.tenant_id = s.tenant_id
WHERE s.tenant_id = @tenant_id AND s.id = @session_id AND s.account_id = @account_id
  AND s.revoked_at IS NULL AND s.expires_at > sqlc.arg(now)::timestamptz
  AND s.last_used_at > sqlc.arg(now)::timestamptz - make_interval(mins => coalesce(ss.idle_timeout_minutes, d.idle_timeout_minutes))
  AND m.removed_at IS NULL AND a.disabled_at IS NULL AND a.session_version = @session_version;

-- ListMemberSessions lists a member's sessions that still work: not
-- revoked, not expired, not idle past the tenant's timeout.

-- name: ListMemberSessions :many
SELECT s.id, s.created_at, s.last_used_at, s.expires_at, s.user_agent, s.client_address
FROM sessions s
CROSS JOIN security_defaults d
LEFT JOIN security_settings ss ON ss.tenant_id = s.tenant_id
WHERE s.tenant_id = @tenant_id AND s.member_id = @member_id AND s.revoked_at IS NULL
  AND s.expires_at > sqlc.arg(now)::timestamptz
  AND s.last_used_at > sqlc.arg(now)::timestamptz - make_interval(mins => coalesce(ss.idle_timeout_minutes, d.idle_timeout_minutes))
ORDER BY s.last_used_at DESC, s.id
LIMIT 100;

-- RevokeOwnSession ends one of a member's sessions; another member's
-- reads as missing.

-- name: RevokeOwnSession :execrows
UPDATE sessions SET revoked_at = sqlc.arg(now)::timestamptz
WHERE tenant_id = @tenant_id AND id = @id AND member_id = @member_id AND revoked_at IS NULL;

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

-- CreateMemberHandoff records a handoff for the account's live membership
-- in the tenant, in one statement with the check: no row without one.

-- name: CreateMemberHandoff :one
INSERT INTO auth_handoffs (tenant_id, member_id, account_id, token_hash, redirect_path, origin_host, created_at, expires_at)
SELECT m.tenant_id, m.id, m.account_id, @token_hash, @redirect_path, @origin_host, @created_at, @expires_at
FROM members m JOIN accounts a ON a.id = m.account_id
WHERE m.tenant_id = @tenant_id AND m.account_id = @account_id AND m.removed_at IS NULL AND a.disabled_at IS NULL
RETURNING id, expires_at;

-- RedeemHandoff uses the handoff up: it succeeds once, within its lifetime.

-- name: RedeemHandoff :one
UPDATE auth_handoffs SET used_at = now()
WHERE tenant_id = @tenant_id AND token_hash = @token_hash AND used_at IS NULL AND expires_at > @now
RETURNING *;

-- name: FindLiveMemberByAccount :one
SELECT m.*, a.session_version AS account_session_version, a.email AS account_email
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
