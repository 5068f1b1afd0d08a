-- citus
-- A tenant-owned table with a tenant-led unique key but no primary key:
-- sharded, its rows cannot be addressed by key on their shard, nor moved
-- between nodes by logical replication.
-- expect: TK604 public.notes
CREATE TABLE notes (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id        uuid NOT NULL,
    body      text NOT NULL,
    UNIQUE (tenant_id, id)
);
ALTER TABLE notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE notes FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON notes AS RESTRICTIVE FOR ALL TO :"app"
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON notes FOR ALL TO :"app" USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON notes TO :"app";
