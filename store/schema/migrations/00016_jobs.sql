-- Background jobs (River) and the purges of what expires. Conventions: see
-- 00001.
--
-- River's tables live in a schema of their own, river, created here empty
-- and filled by River's own migrator (rivermigrate), which schema.Migrate
-- runs as the owner right after these migrations; the privileges on those
-- tables are riverPrivileges (schema/river.go), applied after it every time. The app role
-- reaches the schema only to insert its own tenant's jobs.
--
-- The purges delete expired rows: the app role, in each tenant's
-- transaction, the tenant's sessions, switch handoffs, invitations and
-- unconfirmed public submissions (row security keeps it in the tenant);
-- the platform role, on its audited path, the account-level rows no tenant
-- owns (password resets, sign-ups, apex sessions). No table references
-- these rows.

-- +goose Up
CREATE SCHEMA river AUTHORIZATION tenantkit_owner;
REVOKE ALL ON SCHEMA river FROM PUBLIC;

GRANT DELETE ON sessions, auth_handoffs, invitations, public_submissions TO tenantkit_app;
GRANT DELETE ON password_resets, signups, account_sessions TO tenantkit_platform;
CREATE INDEX sessions_tenant_id_expires_idx ON sessions (tenant_id, expires_at);
CREATE INDEX invitations_tenant_id_expires_idx ON invitations (tenant_id, expires_at);
CREATE INDEX public_submissions_tenant_id_expires_idx ON public_submissions (tenant_id, expires_at);
CREATE INDEX password_resets_expires_idx ON password_resets (expires_at);
CREATE INDEX signups_expires_idx ON signups (expires_at);
CREATE INDEX account_sessions_expires_idx ON account_sessions (expires_at);

-- +goose Down
DROP INDEX account_sessions_expires_idx;
DROP INDEX signups_expires_idx;
DROP INDEX password_resets_expires_idx;
DROP INDEX public_submissions_tenant_id_expires_idx;
DROP INDEX invitations_tenant_id_expires_idx;
DROP INDEX sessions_tenant_id_expires_idx;
REVOKE DELETE ON password_resets, signups, account_sessions FROM tenantkit_platform;
REVOKE DELETE ON sessions, auth_handoffs, invitations, public_submissions FROM tenantkit_app;
DROP SCHEMA river CASCADE;
