-- The platform role reaches a tenant's data only through a grant row.
-- Conventions: see 00001.
--
-- A grant opens one tenant's rows to the platform role for a purpose —
-- a support case, an export, a deletion — until it expires or is ended;
-- expiry is read from the database's clock (now()) by the policies
-- themselves, so it ends by itself and no session setting extends it. A
-- deletion also takes a 'verify' grant, which opens every tenant's rows
-- for reading, for as long as it counts them. Only a 'delete' grant lets
-- the platform role delete a tenant's rows, on every tenant-owned table
-- (a restrictive policy): a deletion cannot reach a tenant it was not
-- granted.
--
-- Tables whose rows the platform path reads for identity (members,
-- sessions, settings, the audit log) keep their platform_all policies.

-- +goose Up
CREATE TABLE platform_grants (
    id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    -- The tenant whose rows the grant opens; NULL for 'verify' (every
    -- tenant, reading only). No foreign key: a deletion's grant outlives
    -- the tenant row, for the verification that nothing is left.
    target_tenant_id uuid,
    purpose          text NOT NULL CHECK (purpose IN ('support', 'export', 'delete_dry_run', 'delete', 'verify')),
    actor            text NOT NULL CHECK (length(actor) BETWEEN 1 AND 200),
    reason           text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    created_at       timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL,
    ended_at         timestamptz,
    ended_by         text CHECK (ended_by IS NULL OR length(ended_by) BETWEEN 1 AND 200),
    CHECK ((purpose = 'verify') = (target_tenant_id IS NULL)),
    CHECK (expires_at > created_at AND expires_at <= created_at + interval '8 hours')
);
CREATE INDEX platform_grants_target_idx ON platform_grants (target_tenant_id, created_at DESC);
GRANT SELECT, INSERT ON platform_grants TO tenantkit_platform;
GRANT UPDATE (ended_at, ended_by) ON platform_grants TO tenantkit_platform;

-- A verified deletion ends with the tenant's row.
GRANT DELETE ON tenants TO tenantkit_platform;

-- The open reads these tables had are replaced by the grants' (nothing
-- on the platform path read them).
DROP POLICY platform_read ON services;
DROP POLICY platform_read ON service_requests;
DROP POLICY platform_read ON bookings;

-- +goose StatementBegin
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN
        SELECT c.oid::regclass
        FROM pg_class c
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND a.attnum > 0 AND NOT a.attisdropped
        WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND NOT c.relispartition
          AND c.relname NOT IN ('tenant_domains', 'accounts')
        ORDER BY c.relname
    LOOP
        EXECUTE format('GRANT SELECT, DELETE ON %s TO tenantkit_platform', t);
        EXECUTE format(
            'CREATE POLICY platform_granted_read ON %s FOR SELECT TO tenantkit_platform USING ('
            'tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g WHERE g.ended_at IS NULL AND g.expires_at > now()) '
            'OR EXISTS (SELECT 1 FROM platform_grants g WHERE g.target_tenant_id IS NULL AND g.ended_at IS NULL AND g.expires_at > now()))', t);
        EXECUTE format(
            'CREATE POLICY platform_granted_delete ON %s FOR DELETE TO tenantkit_platform USING ('
            'tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g '
            'WHERE g.purpose = ''delete'' AND g.ended_at IS NULL AND g.expires_at > now()))', t);
        EXECUTE format(
            'CREATE POLICY platform_delete_granted_only ON %s AS RESTRICTIVE FOR DELETE TO tenantkit_platform USING ('
            'tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g '
            'WHERE g.purpose = ''delete'' AND g.ended_at IS NULL AND g.expires_at > now()))', t);
    END LOOP;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
DO $$
DECLARE
    t regclass;
BEGIN
    FOR t IN SELECT DISTINCT polrelid::regclass FROM pg_policy WHERE polname = 'platform_granted_read' LOOP
        EXECUTE format('DROP POLICY platform_granted_read ON %s', t);
        EXECUTE format('DROP POLICY platform_granted_delete ON %s', t);
        EXECUTE format('DROP POLICY platform_delete_granted_only ON %s', t);
        EXECUTE format('REVOKE DELETE ON %s FROM tenantkit_platform', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
REVOKE DELETE ON tenants FROM tenantkit_platform;
CREATE POLICY platform_read ON services FOR SELECT TO tenantkit_platform USING (true);
CREATE POLICY platform_read ON service_requests FOR SELECT TO tenantkit_platform USING (true);
CREATE POLICY platform_read ON bookings FOR SELECT TO tenantkit_platform USING (true);
DROP TABLE platform_grants;
