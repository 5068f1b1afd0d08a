-- Sign-up on the apex host. Conventions: see 00001.
--
-- A person asks for an organization (its name and slug) with their email
-- address; nothing but this row exists until the address confirms it by
-- the mailed link, and the row names no account. Confirming creates the
-- tenant, its settings singletons, the account (or finds it) and the
-- owner membership in one platform transaction. Platform data: the app
-- role has no privilege on it.

-- +goose Up
CREATE TABLE signups (
    id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email             text NOT NULL CHECK (email = lower(email) AND length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
    slug              text NOT NULL CHECK (slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    token_hash        bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at        timestamptz NOT NULL,
    expires_at        timestamptz NOT NULL,
    confirmed_at      timestamptz,
    -- Wrong passwords of an existing account given with the link: past a
    -- handful the sign-up is dead (auth.MaxSignupFailures).
    failed_attempts   integer NOT NULL DEFAULT 0 CHECK (failed_attempts BETWEEN 0 AND 1000),
    created_tenant_id uuid REFERENCES tenants (id) ON DELETE SET NULL,
    CHECK (expires_at > created_at AND expires_at <= created_at + interval '2 days'),
    CHECK (created_tenant_id IS NULL OR confirmed_at IS NOT NULL)
);
CREATE INDEX signups_created_at_idx ON signups (created_at);
CREATE INDEX signups_created_tenant_idx ON signups (created_tenant_id);
GRANT SELECT, INSERT ON signups TO tenantkit_platform;
GRANT UPDATE (confirmed_at, failed_attempts, created_tenant_id) ON signups TO tenantkit_platform;

-- +goose Down
DROP TABLE signups;
