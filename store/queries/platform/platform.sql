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

-- name: CreateAccountSession :one
INSERT INTO account_sessions (account_id, created_at, expires_at, user_agent) VALUES (@account_id, @created_at, @expires_at, @user_agent)
RETURNING *;

-- name: FindAccountByID :one
SELECT * FROM accounts WHERE id = @id;

-- name: CreatePasswordReset :one
INSERT INTO password_resets (account_id, token_hash, created_at, expires_at, asked_on_tenant_id)
VALUES (@account_id, @token_hash, @created_at, @expires_at, sqlc.narg(asked_on_tenant_id))
RETURNING *;

-- RedeemPasswordReset uses up an open reset link on the host it was asked
-- on (asked_on_tenant_id NULL: the apex).

-- name: RedeemPasswordReset :one
UPDATE password_resets SET used_at = now()
WHERE token_hash = @token_hash AND used_at IS NULL AND expires_at > @now
  AND asked_on_tenant_id IS NOT DISTINCT FROM sqlc.narg(asked_on_tenant_id)::uuid
RETURNING *;

-- name: ResetPassword :one
UPDATE accounts SET password_hash = @password_hash, session_version = session_version + 1, updated_at = now()
WHERE id = @id
RETURNING *;

-- name: RevokeAllAccountSessions :exec
UPDATE account_sessions SET revoked_at = now() WHERE account_id = @account_id AND revoked_at IS NULL;

-- name: RevokeAllTenantSessionsOfAccount :exec
UPDATE sessions SET revoked_at = now() WHERE account_id = @account_id AND revoked_at IS NULL;

-- name: SetInitialPassword :one
-- For an invited account that has none yet; an account with a password
-- keeps it (its owner proves it by signing in instead).
UPDATE accounts SET password_hash = @password_hash, updated_at = now()
WHERE id = @id AND password_hash IS NULL
RETURNING *;

-- name: CreateAccountIfAbsent :one
-- An account without a password for email; no row when one exists (also
-- when created concurrently): find it then.
INSERT INTO accounts (email) VALUES (@email) ON CONFLICT (email) DO NOTHING RETURNING *;

-- VoidPasswordResets uses up every open reset link of an account: after a
-- reset or a password change, no older link works.

-- name: VoidPasswordResets :exec
UPDATE password_resets SET used_at = sqlc.arg(now)::timestamptz WHERE account_id = @account_id AND used_at IS NULL;

-- PeekPasswordReset reads an open reset link, on the host it was asked
-- on, without using it.

-- name: PeekPasswordReset :one
SELECT * FROM password_resets WHERE token_hash = @token_hash AND used_at IS NULL AND expires_at > @now
  AND asked_on_tenant_id IS NOT DISTINCT FROM sqlc.narg(asked_on_tenant_id)::uuid;

-- AccountPasswordMinimum is the strictest minimum password length among
-- the tenants where the account is a live member (0 with none): the
-- password is the account's, so it meets every one of them.

-- name: AccountPasswordMinimum :one
SELECT coalesce(max(coalesce(s.password_min_length, d.password_min_length)), 0)::int AS min_length
FROM members m
CROSS JOIN security_defaults d
LEFT JOIN security_settings s ON s.tenant_id = m.tenant_id
WHERE m.account_id = @account_id AND m.removed_at IS NULL;

-- CreateSettingsSingletons gives a new tenant one row of each settings
-- kind, every value NULL: the platform defaults apply until it changes one.

-- name: CreateSettingsSingletons :exec
WITH o AS (INSERT INTO organization_settings (tenant_id) VALUES (@tenant_id)),
     b AS (INSERT INTO booking_settings (tenant_id) VALUES (@tenant_id)),
     s AS (INSERT INTO security_settings (tenant_id) VALUES (@tenant_id))
INSERT INTO communication_settings (tenant_id) VALUES (@tenant_id);

-- name: CreateSignup :one
INSERT INTO signups (email, slug, name, token_hash, created_at, expires_at)
VALUES (@email, @slug, @name, @token_hash, @created_at, @expires_at)
RETURNING *;

-- PeekSignup reads an open sign-up without using it.

-- name: PeekSignup :one
SELECT * FROM signups
WHERE token_hash = @token_hash AND confirmed_at IS NULL AND expires_at > @now AND failed_attempts < @max_failures;

-- ConfirmSignup uses an open sign-up up: it succeeds once, in its lifetime.

-- name: ConfirmSignup :one
UPDATE signups SET confirmed_at = sqlc.arg(now)::timestamptz
WHERE token_hash = @token_hash AND confirmed_at IS NULL AND expires_at > sqlc.arg(now)::timestamptz AND failed_attempts < @max_failures
RETURNING *;

-- name: SetSignupTenant :exec
UPDATE signups SET created_tenant_id = @tenant_id WHERE id = @id;

-- name: CountSignupFailure :one
UPDATE signups SET failed_attempts = failed_attempts + 1
WHERE id = @id AND confirmed_at IS NULL
RETURNING failed_attempts;

-- ListTenantSummaries lists every tenant with its live members' count.

-- name: ListTenantSummaries :many
SELECT t.id, t.slug, t.name, t.status, t.created_at, t.updated_at,
       (SELECT count(*) FROM members m WHERE m.tenant_id = t.id AND m.removed_at IS NULL)::bigint AS members
FROM tenants t
ORDER BY t.slug;

-- InsertTenantAudit appends a platform operation to the tenant's own audit
-- log, where its owners read it.

-- name: InsertTenantAudit :exec
INSERT INTO audit_log (tenant_id, action, target_type, target_id, request_id, detail)
VALUES (@tenant_id, @action, 'tenant', @tenant_id, @request_id, @detail);

-- Grants: the platform role's access to a tenant's rows (migration 00013).
-- Their expiry is the database's clock's: the policies compare it with
-- now(), which no parameter can replace.

-- name: CreateGrant :one
INSERT INTO platform_grants (target_tenant_id, purpose, actor, reason, expires_at)
VALUES (sqlc.narg(target_tenant_id), @purpose, @actor, @reason, now() + make_interval(mins => sqlc.arg(minutes)::int))
RETURNING *;

-- name: EndGrant :execrows
UPDATE platform_grants SET ended_at = now(), ended_by = @actor
WHERE id = @id AND ended_at IS NULL;

-- name: DeleteTenant :execrows
DELETE FROM tenants WHERE id = @id;

-- TenantTableCatalog lists the tables with a tenant_id column: every
-- tenant-owned table, found from the catalog, so a new one is exported,
-- deleted and verified without a code change.

-- name: TenantTableCatalog :many
SELECT c.relname::text AS name
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY c.relname;

-- TenantTableReferences lists the foreign keys between tables with a
-- tenant_id column: a referencing table's rows go before the referenced.

-- name: TenantTableReferences :many
SELECT DISTINCT child.relname::text AS child, parent.relname::text AS parent
FROM pg_catalog.pg_constraint k
JOIN pg_catalog.pg_class child ON child.oid = k.conrelid
JOIN pg_catalog.pg_class parent ON parent.oid = k.confrelid
JOIN pg_catalog.pg_namespace n ON n.oid = child.relnamespace
WHERE k.contype = 'f' AND n.nspname = 'public' AND child.oid <> parent.oid
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = child.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
  AND EXISTS (SELECT 1 FROM pg_catalog.pg_attribute a WHERE a.attrelid = parent.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped)
ORDER BY 1, 2;

-- name: TenantExists :one
SELECT EXISTS (SELECT 1 FROM tenants WHERE id = @id);

-- Support access: an operator's 'support' grant on one tenant. Its reads,
-- and the tenant's owners' view of it.

-- name: LiveSupportGrant :one
SELECT * FROM platform_grants
WHERE target_tenant_id = @target_tenant_id AND purpose = 'support' AND actor = @actor
  AND ended_at IS NULL AND expires_at > now()
ORDER BY expires_at DESC
LIMIT 1;

-- name: ListSupportGrants :many
SELECT g.*, (g.ended_at IS NULL AND g.expires_at > now())::bool AS live
FROM platform_grants g
WHERE g.target_tenant_id = @target_tenant_id AND g.purpose = 'support'
ORDER BY g.created_at DESC, g.id
LIMIT @max_rows;

-- name: EndSupportGrants :many
UPDATE platform_grants SET ended_at = now(), ended_by = @actor
WHERE target_tenant_id = @target_tenant_id AND purpose = 'support'
  AND (sqlc.narg(id)::uuid IS NULL OR id = sqlc.narg(id)::uuid)
  AND ended_at IS NULL AND expires_at > now()
RETURNING *;

-- name: GetSupportGrant :one
SELECT g.*, (g.ended_at IS NULL AND g.expires_at > now())::bool AS live
FROM platform_grants g
WHERE g.target_tenant_id = @target_tenant_id AND g.purpose = 'support' AND g.id = @id;

-- ListSupportReads lists the reads made under a tenant's support grants,
-- as its audit log records them.

-- name: ListSupportReads :many
SELECT at, detail FROM audit_log
WHERE tenant_id = @tenant_id AND action = 'platform.support_read'
ORDER BY at DESC, id DESC
LIMIT @max_rows;

-- InsertTenantAuditEntry appends to a tenant's audit log an entry about
-- target, by one of its members (an owner ending support access) or by
-- no member (an operator: detail names them).

-- name: InsertTenantAuditEntry :exec
INSERT INTO audit_log (tenant_id, actor_account_id, actor_member_id, action, target_type, target_id, request_id, detail)
VALUES (@tenant_id, sqlc.narg(actor_account_id), sqlc.narg(actor_member_id), @action, @target_type, sqlc.narg(target_id), @request_id, @detail);

-- Platform operators (migration 00017): accounts that may run the tenant
-- lifecycle over the API. Granted and revoked only by the CLI.

-- name: GrantOperator :one
INSERT INTO platform_operators (account_id, granted_at, granted_by, reason)
VALUES (@account_id, @granted_at, @granted_by, @reason)
ON CONFLICT (account_id) DO NOTHING
RETURNING *;

-- name: RevokeOperator :execrows
DELETE FROM platform_operators WHERE account_id = @account_id;

-- name: IsOperator :one
SELECT EXISTS (SELECT 1 FROM platform_operators WHERE account_id = @account_id);

-- name: ListOperators :many
SELECT o.account_id, a.email, o.granted_at, o.granted_by, o.reason
FROM platform_operators o
JOIN accounts a ON a.id = o.account_id
ORDER BY a.email;

-- name: FindTenantByID :one
SELECT * FROM tenants WHERE id = @id;

-- name: PurgeExpiredPasswordResets :execrows
DELETE FROM password_resets WHERE expires_at <= sqlc.arg(now)::timestamptz;

-- name: PurgeExpiredSignups :execrows
-- A confirmed sign-up stays: it records which tenant it created.
DELETE FROM signups WHERE expires_at <= sqlc.arg(now)::timestamptz AND confirmed_at IS NULL;

-- name: PurgeExpiredAccountSessions :execrows
DELETE FROM account_sessions WHERE expires_at <= sqlc.arg(now)::timestamptz;

-- InsertUsage writes one flush of per-tenant usage (package usage) in one
-- statement: row i of the arrays is one tenant's minute; its latency
-- buckets arrive as an array literal.

-- name: InsertUsage :execrows
INSERT INTO tenant_usage (tenant_id, minute, instance_id, requests, client_errors, server_errors, refused, p50_ms, p99_ms, latency_buckets)
SELECT u.tenant_id, (@minutes::timestamptz[])[u.i], @instance_id, (@requests::bigint[])[u.i], (@client_errors::bigint[])[u.i],
       (@server_errors::bigint[])[u.i], (@refused::bigint[])[u.i], (@p50_ms::float8[])[u.i], (@p99_ms::float8[])[u.i],
       ((@buckets::text[])[u.i])::bigint[]
FROM unnest(@tenant_ids::uuid[]) WITH ORDINALITY AS u(tenant_id, i);

-- name: ListLoudestTenants :many
-- The tenants with the most requests in [since, until).
SELECT u.tenant_id, t.slug, sum(u.requests)::bigint AS requests, sum(u.client_errors)::bigint AS client_errors,
       sum(u.server_errors)::bigint AS server_errors, sum(u.refused)::bigint AS refused, max(u.p99_ms)::float8 AS worst_p99_ms
FROM tenant_usage u JOIN tenants t ON t.id = u.tenant_id
WHERE u.minute >= @since AND u.minute < @until
GROUP BY u.tenant_id, t.slug
ORDER BY requests DESC, t.slug
LIMIT @max_rows;

-- name: ListFailingTenants :many
-- The tenants with server errors or refused bindings in [since, until),
-- the most first.
SELECT u.tenant_id, t.slug, sum(u.requests)::bigint AS requests, sum(u.client_errors)::bigint AS client_errors,
       sum(u.server_errors)::bigint AS server_errors, sum(u.refused)::bigint AS refused, max(u.p99_ms)::float8 AS worst_p99_ms
FROM tenant_usage u JOIN tenants t ON t.id = u.tenant_id
WHERE u.minute >= @since AND u.minute < @until
GROUP BY u.tenant_id, t.slug
HAVING sum(u.server_errors) + sum(u.refused) > 0
ORDER BY sum(u.server_errors) + sum(u.refused) DESC, t.slug
LIMIT @max_rows;
