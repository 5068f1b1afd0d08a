-- Sessions, the tenant switch handoff, invitations and password resets.
-- Conventions: see 00001.
--
-- A session on a tenant host is a row of that tenant (sessions): an admin
-- who removes a member or changes its role revokes the member's sessions in
-- the same transaction. A session on the apex host belongs to the account
-- alone (account_sessions). A password change increments
-- accounts.session_version, which every token carries, so all of the
-- account's tokens die at their next request, in every tenant.

-- +goose Up
CREATE TABLE sessions (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    member_id    uuid NOT NULL,
    account_id   uuid NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz,
    user_agent   text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 500),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
    -- The member row names the same account: a session cannot be minted
    -- for one account on another's membership.
    FOREIGN KEY (tenant_id, account_id) REFERENCES members (tenant_id, account_id),
    CHECK (expires_at > created_at)
);
CREATE INDEX sessions_tenant_id_member_idx ON sessions (tenant_id, member_id) WHERE revoked_at IS NULL;
CREATE INDEX sessions_tenant_id_account_idx ON sessions (tenant_id, account_id);
ALTER TABLE sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sessions AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON sessions FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON sessions TO tenantkit_app;
GRANT UPDATE (revoked_at) ON sessions TO tenantkit_app;

-- Sessions on the apex host: the account's own, visible to the app role
-- only as that account.
CREATE TABLE account_sessions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz,
    user_agent text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 500),
    CHECK (expires_at > created_at)
);
CREATE INDEX account_sessions_account_idx ON account_sessions (account_id) WHERE revoked_at IS NULL;
ALTER TABLE account_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE account_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY app_self ON account_sessions FOR ALL TO tenantkit_app
    USING (account_id = (SELECT nullif(current_setting('app.current_account_id', true), '')::uuid))
    WITH CHECK (account_id = (SELECT nullif(current_setting('app.current_account_id', true), '')::uuid));
CREATE POLICY platform_all ON account_sessions FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT ON account_sessions TO tenantkit_app;
GRANT UPDATE (revoked_at) ON account_sessions TO tenantkit_app;
GRANT SELECT, INSERT ON account_sessions TO tenantkit_platform;
GRANT UPDATE (revoked_at) ON account_sessions TO tenantkit_platform;

-- The one-time handoff of a tenant switch: created for the target tenant
-- when the switch is asked for, redeemed once on the target tenant's host
-- within its lifetime. Only a hash of the token is stored.
CREATE TABLE auth_handoffs (
    tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id            uuid NOT NULL DEFAULT gen_random_uuid(),
    member_id     uuid NOT NULL,
    account_id    uuid NOT NULL,
    token_hash    bytea NOT NULL CHECK (length(token_hash) = 32),
    redirect_path text NOT NULL DEFAULT '/' CHECK (redirect_path ~ '^/([^/\\]|$)' AND length(redirect_path) <= 2000),
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    used_at       timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, account_id) REFERENCES members (tenant_id, account_id),
    CHECK (expires_at > created_at AND expires_at <= created_at + interval '60 seconds')
);
CREATE INDEX auth_handoffs_tenant_id_member_idx ON auth_handoffs (tenant_id, member_id);
ALTER TABLE auth_handoffs ENABLE ROW LEVEL SECURITY;
ALTER TABLE auth_handoffs FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON auth_handoffs AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON auth_handoffs FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON auth_handoffs TO tenantkit_app;
GRANT UPDATE (used_at) ON auth_handoffs TO tenantkit_app;

-- Invitations into a tenant. Accepting one creates (or reactivates) the
-- membership; the account is created with the invitation if it did not
-- exist, and gets its password on acceptance.
CREATE TABLE invitations (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    email                text NOT NULL CHECK (email = lower(email) AND length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
    role                 text NOT NULL CHECK (role IN ('owner', 'admin', 'staff', 'client')),
    display_name         text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    invited_by_member_id uuid NOT NULL,
    token_hash           bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at           timestamptz NOT NULL DEFAULT now(),
    expires_at           timestamptz NOT NULL,
    accepted_at          timestamptz,
    revoked_at           timestamptz,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, invited_by_member_id) REFERENCES members (tenant_id, id),
    CHECK (expires_at > created_at)
);
CREATE INDEX invitations_tenant_id_created_idx ON invitations (tenant_id, created_at DESC);
CREATE INDEX invitations_tenant_id_inviter_idx ON invitations (tenant_id, invited_by_member_id);
ALTER TABLE invitations ENABLE ROW LEVEL SECURITY;
ALTER TABLE invitations FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON invitations AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON invitations FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON invitations TO tenantkit_app;
GRANT UPDATE (accepted_at, revoked_at) ON invitations TO tenantkit_app;

-- Password resets: account-level, so they go through the audited platform
-- path both when asked for and when redeemed. Only a hash of the token is
-- stored.
CREATE TABLE password_resets (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id uuid NOT NULL REFERENCES accounts (id),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    CHECK (expires_at > created_at AND expires_at <= created_at + interval '2 hours')
);
CREATE INDEX password_resets_account_idx ON password_resets (account_id);
GRANT SELECT, INSERT ON password_resets TO tenantkit_platform;
GRANT UPDATE (used_at) ON password_resets TO tenantkit_platform;

-- The platform role revokes an account's sessions everywhere on a password
-- reset, and reads memberships across tenants for an account's own view.
GRANT UPDATE (revoked_at) ON sessions TO tenantkit_platform;
GRANT SELECT ON sessions TO tenantkit_platform;
CREATE POLICY platform_all ON sessions FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);

-- +goose Down
DROP TABLE password_resets;
DROP TABLE invitations;
DROP TABLE auth_handoffs;
DROP TABLE account_sessions;
DROP TABLE sessions;
