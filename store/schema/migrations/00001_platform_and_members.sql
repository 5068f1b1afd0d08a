-- The platform directory (tenants, their custom domains, login accounts, the
-- platform audit trail) and the first tenant-owned tables: members and the
-- tenant audit log.
--
-- Conventions every tenant-owned table in this directory follows:
--   * tenant_id uuid NOT NULL REFERENCES tenants, leading the primary key;
--   * every foreign key to another tenant-owned table is composite
--     (tenant_id, x_id) → x (tenant_id, id), so a cross-tenant link cannot be
--     stored and no cascade can cross tenants;
--   * every unique constraint includes tenant_id;
--   * ENABLE and FORCE row level security, a RESTRICTIVE tenant policy for
--     the app role on all commands, permissive policies that grant access,
--     all in the migration that creates the table;
--   * the app role gets only the privileges it needs, UPDATE only on the
--     columns it may change (never tenant_id or id);
--   * indexes lead with tenant_id.
-- The tenant predicate is written out in full on every table (no helper
-- function) so that it reads the same everywhere and the audit can match it.

-- +goose Up
CREATE EXTENSION IF NOT EXISTS btree_gist;

GRANT USAGE ON SCHEMA public TO tenantkit_app, tenantkit_platform;

-- tenants: one row per firm. Platform data: the host resolver reads it
-- before any tenant scope exists, so the app role may read the public
-- columns of every row; only the platform role writes.
CREATE TABLE tenants (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    slug       text NOT NULL UNIQUE
               CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    status     text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT (id, slug, name, status, created_at) ON tenants TO tenantkit_app;
GRANT SELECT, INSERT ON tenants TO tenantkit_platform;
GRANT UPDATE (name, status, updated_at) ON tenants TO tenantkit_platform;

-- tenant_domains: verified custom domains. Global by nature (a host names at
-- most one tenant, so the domain is unique across tenants) and read before
-- any scope exists; the app role sees only verified domains.
CREATE TABLE tenant_domains (
    domain             text PRIMARY KEY
                       CHECK (domain = lower(domain) AND domain ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    verification_token text NOT NULL,
    verified_at        timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tenant_domains_tenant_id_idx ON tenant_domains (tenant_id);
ALTER TABLE tenant_domains ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_domains FORCE ROW LEVEL SECURITY;
CREATE POLICY app_read_verified ON tenant_domains FOR SELECT TO tenantkit_app
    USING (verified_at IS NOT NULL);
CREATE POLICY platform_all ON tenant_domains FOR ALL TO tenantkit_platform
    USING (true) WITH CHECK (true);
GRANT SELECT (domain, tenant_id, verified_at) ON tenant_domains TO tenantkit_app;
GRANT SELECT, INSERT, DELETE ON tenant_domains TO tenantkit_platform;
GRANT UPDATE (verified_at) ON tenant_domains TO tenantkit_platform;

-- accounts: login identities. Platform scope, not tenant data: one person
-- may be a member of many tenants. The app role sees an account only when it
-- is the acting account or a member of the current tenant; everything that
-- needs accounts across tenants (login on the apex host, invitations,
-- provisioning) goes through the audited platform path.
CREATE TABLE accounts (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email             text NOT NULL UNIQUE
                      CHECK (email = lower(email) AND length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
    -- NULL until the account holder sets a password (an accepted invitation).
    password_hash     text,
    -- Incremented on password change or "log out everywhere": every token
    -- carrying an older value is dead at its next request.
    session_version   bigint NOT NULL DEFAULT 1 CHECK (session_version > 0),
    default_tenant_id uuid,
    disabled_at       timestamptz,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE accounts ENABLE ROW LEVEL SECURITY;
ALTER TABLE accounts FORCE ROW LEVEL SECURITY;

-- platform_audit_log: every use of the platform role writes one row here in
-- the same transaction. Append-only; the app role cannot see it.
CREATE TABLE platform_audit_log (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    at               timestamptz NOT NULL DEFAULT now(),
    actor            text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    action           text NOT NULL CHECK (length(action) BETWEEN 1 AND 200),
    reason           text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    target_tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
    request_id       text NOT NULL DEFAULT '',
    detail           jsonb NOT NULL DEFAULT '{}'::jsonb
);
CREATE INDEX platform_audit_log_at_idx ON platform_audit_log (at DESC);
CREATE INDEX platform_audit_log_target_tenant_id_idx ON platform_audit_log (target_tenant_id, at DESC);
GRANT SELECT, INSERT ON platform_audit_log TO tenantkit_platform;

-- members: an account's membership in one tenant, with its role. A removed
-- member keeps its row (bookings and requests still name it) with
-- removed_at set; only live members can act.
CREATE TABLE members (
    tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id           uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id   uuid NOT NULL REFERENCES accounts (id),
    role         text NOT NULL CHECK (role IN ('owner', 'admin', 'staff', 'client')),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    -- NULL: the tenant's time zone (organization settings).
    time_zone    text CHECK (time_zone IS NULL OR length(time_zone) BETWEEN 1 AND 64),
    removed_at   timestamptz,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, account_id)
);
CREATE INDEX members_tenant_id_role_idx ON members (tenant_id, role) WHERE removed_at IS NULL;
CREATE INDEX members_account_id_idx ON members (account_id);
ALTER TABLE members ENABLE ROW LEVEL SECURITY;
ALTER TABLE members FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON members AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON members FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_all ON members FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON members TO tenantkit_app;
GRANT UPDATE (role, display_name, time_zone, removed_at, updated_at) ON members TO tenantkit_app;
GRANT SELECT, INSERT ON members TO tenantkit_platform;
GRANT UPDATE (role, display_name, removed_at, updated_at) ON members TO tenantkit_platform;

-- An account's default tenant must be one of its memberships: the composite
-- key makes any other value impossible, and a deleted membership clears it.
ALTER TABLE accounts ADD CONSTRAINT accounts_default_membership_fkey
    FOREIGN KEY (default_tenant_id, id) REFERENCES members (tenant_id, account_id)
    ON DELETE SET NULL (default_tenant_id);

CREATE POLICY app_self ON accounts FOR ALL TO tenantkit_app
    USING (id = (SELECT nullif(current_setting('app.current_account_id', true), '')::uuid))
    WITH CHECK (id = (SELECT nullif(current_setting('app.current_account_id', true), '')::uuid));
-- The accounts of the current tenant's members; the subquery is itself
-- filtered by the members policies, so only the current tenant counts.
CREATE POLICY app_tenant_members ON accounts FOR SELECT TO tenantkit_app
    USING (EXISTS (SELECT 1 FROM members m WHERE m.account_id = accounts.id));
CREATE POLICY platform_all ON accounts FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT (id, email, password_hash, session_version, default_tenant_id, disabled_at, created_at, updated_at)
    ON accounts TO tenantkit_app;
GRANT UPDATE (password_hash, session_version, default_tenant_id, updated_at) ON accounts TO tenantkit_app;
GRANT SELECT, INSERT ON accounts TO tenantkit_platform;
GRANT UPDATE (email, password_hash, session_version, default_tenant_id, disabled_at, updated_at)
    ON accounts TO tenantkit_platform;

-- audit_log: the tenant's own audit trail. Append-only for the app role:
-- no UPDATE or DELETE privilege and no policy that would allow them.
CREATE TABLE audit_log (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    at               timestamptz NOT NULL DEFAULT now(),
    actor_account_id uuid,
    actor_member_id  uuid,
    action           text NOT NULL CHECK (length(action) BETWEEN 1 AND 200),
    target_type      text NOT NULL DEFAULT '',
    target_id        uuid,
    request_id       text NOT NULL DEFAULT '',
    detail           jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, actor_member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX audit_log_tenant_id_at_idx ON audit_log (tenant_id, at DESC);
CREATE INDEX audit_log_tenant_id_actor_member_id_idx ON audit_log (tenant_id, actor_member_id);
ALTER TABLE audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE audit_log FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_log AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_read ON audit_log FOR SELECT TO tenantkit_app USING (true);
CREATE POLICY app_append ON audit_log FOR INSERT TO tenantkit_app WITH CHECK (true);
CREATE POLICY platform_all ON audit_log FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON audit_log TO tenantkit_app;
GRANT SELECT, INSERT ON audit_log TO tenantkit_platform;

-- +goose Down
DROP TABLE audit_log;
DROP POLICY app_tenant_members ON accounts;
ALTER TABLE accounts DROP CONSTRAINT accounts_default_membership_fkey;
DROP TABLE members;
DROP TABLE platform_audit_log;
DROP TABLE accounts;
DROP TABLE tenant_domains;
DROP TABLE tenants;
