-- Suspension held by the database. Conventions: see 00001.
--
-- A suspended tenant's rows are refused to the app role whatever the
-- transaction's tenant setting says: every tenant-owned table gets a second
-- RESTRICTIVE policy, tenant_active, that admits the setting's tenant only
-- while it is active. A request, a job, or a session that sets the setting
-- by hand reads and writes nothing of a suspended tenant.
--
-- The subquery is uncorrelated: PostgreSQL runs it once per statement (an
-- InitPlan, one primary-key lookup in tenants), never per row, and it
-- travels with the statement: no extra round trip. A table created later
-- adds the same policy in its own migration (the store's tests hold every
-- tenant-owned table to it).

-- +goose Up
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
        EXECUTE format(
            'CREATE POLICY tenant_active ON %s AS RESTRICTIVE FOR ALL TO tenantkit_app '
            'USING (tenant_id = (SELECT tn.id FROM tenants tn '
            'WHERE tn.id = nullif(current_setting(''app.current_tenant_id'', true), '''')::uuid AND tn.status = ''active''))', t);
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
    FOR t IN SELECT polrelid::regclass FROM pg_policy WHERE polname = 'tenant_active' LOOP
        EXECUTE format('DROP POLICY tenant_active ON %s', t);
    END LOOP;
END
$$;
-- +goose StatementEnd
