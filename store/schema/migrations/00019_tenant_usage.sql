-- Per-tenant usage: what each tenant's requests cost, per minute. Conventions:
-- see 00001.
--
-- Each instance aggregates its requests in memory (package usage) and
-- writes the minutes that have ended in one statement per flush, on the
-- audited platform path: the platform role may insert rows of any tenant
-- and read them all (platform_all: the operators' cross-tenant view,
-- `tenantkit tenant top`). These figures are the platform's own measure of
-- its traffic — counts and latencies, never a tenant's content — so
-- reading them needs no support grant; deleting them still needs a delete
-- grant. A tenant's owners read their own rows as the app role, under the
-- tenant policies, which also confine the app role's inserts to its own
-- tenant (no request inserts here today).
--
-- One row per tenant, minute and instance: instances never write the same
-- key, and a reader adds their counts and latency buckets together.
-- latency_buckets holds the request counts of package usage's fixed
-- latency buckets, so p50 and p99 over several rows are computed from the
-- merged buckets, not averaged.
--
-- tenant_usage is created after 00011 and 00013 walked the catalog, so it
-- takes their policies (tenant_active, the platform grants' delete) here.

-- +goose Up
CREATE TABLE tenant_usage (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    minute          timestamptz NOT NULL CHECK (extract(second FROM minute) = 0),
    instance_id     uuid NOT NULL,
    requests        bigint NOT NULL CHECK (requests >= 0),
    client_errors   bigint NOT NULL CHECK (client_errors BETWEEN 0 AND requests),
    server_errors   bigint NOT NULL CHECK (server_errors BETWEEN 0 AND requests),
    refused         bigint NOT NULL CHECK (refused BETWEEN 0 AND requests),
    p50_ms          double precision NOT NULL CHECK (p50_ms >= 0),
    p99_ms          double precision NOT NULL CHECK (p99_ms >= p50_ms),
    latency_buckets bigint[] NOT NULL CHECK (cardinality(latency_buckets) BETWEEN 1 AND 64),
    PRIMARY KEY (tenant_id, minute, instance_id)
);
CREATE INDEX tenant_usage_minute_idx ON tenant_usage (minute);
ALTER TABLE tenant_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenant_usage FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_usage AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY tenant_active ON tenant_usage AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT tn.id FROM tenants tn
                        WHERE tn.id = nullif(current_setting('app.current_tenant_id', true), '')::uuid AND tn.status = 'active'));
CREATE POLICY app_all ON tenant_usage FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_all ON tenant_usage FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
CREATE POLICY platform_granted_delete ON tenant_usage FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_delete_granted_only ON tenant_usage AS RESTRICTIVE FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
GRANT SELECT, INSERT ON tenant_usage TO tenantkit_app;
GRANT SELECT, INSERT, DELETE ON tenant_usage TO tenantkit_platform;

-- /readyz compares the database's migration version with the binary's.
GRANT SELECT ON goose_db_version TO tenantkit_app;

-- +goose Down
REVOKE SELECT ON goose_db_version FROM tenantkit_app;
DROP TABLE tenant_usage;
