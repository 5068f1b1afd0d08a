-- citus
-- base: none
-- fix: by hand (the policies read the column)
-- The tenant column is integer, the tenants key bigint: the foreign key
-- holds, but the tables cannot be colocated.
-- expect: TK602 public.items
GRANT USAGE ON SCHEMA public TO :"app";
CREATE TABLE tenants (id bigint PRIMARY KEY);
CREATE TABLE items (
    tenant_id integer NOT NULL REFERENCES tenants (id),
    id        integer NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
ALTER TABLE items ENABLE ROW LEVEL SECURITY;
ALTER TABLE items FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON items AS RESTRICTIVE FOR ALL TO :"app"
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::integer))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::integer));
CREATE POLICY app_all ON items FOR ALL TO :"app" USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON items TO :"app";
