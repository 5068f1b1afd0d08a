-- A small multi-tenant schema that breaks no rule, in the default mode and
-- with --citus-ready. Every tk*.sql fixture is applied on top of it (unless
-- it says "base: none") and breaks one rule.
--
-- Placeholders, as psql variables: :"app" is the application role, :"other"
-- a second plain role. Outside the tests:
--   psql -v app=myapp -v other=someone -f clean.sql -f tk202.sql
GRANT USAGE ON SCHEMA public TO :"app";

CREATE TABLE tenants (
    id   uuid PRIMARY KEY,
    name text NOT NULL
);
GRANT SELECT ON tenants TO :"app";

CREATE TABLE projects (
    tenant_id uuid NOT NULL REFERENCES tenants (id),
    id        uuid NOT NULL,
    name      text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
ALTER TABLE projects ENABLE ROW LEVEL SECURITY;
ALTER TABLE projects FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON projects AS RESTRICTIVE FOR ALL TO :"app"
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON projects FOR ALL TO :"app" USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON projects TO :"app";

CREATE TABLE tasks (
    tenant_id  uuid NOT NULL REFERENCES tenants (id),
    id         uuid NOT NULL,
    project_id uuid NOT NULL,
    title      text NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, project_id) REFERENCES projects (tenant_id, id)
);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tasks AS RESTRICTIVE FOR ALL TO :"app"
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON tasks FOR ALL TO :"app" USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, UPDATE, DELETE ON tasks TO :"app";

-- A view that runs with the caller's rights, so row security applies.
CREATE VIEW project_tasks WITH (security_invoker = true) AS
    SELECT t.tenant_id, t.id, t.title, p.name AS project
    FROM tasks t JOIN projects p ON p.tenant_id = t.tenant_id AND p.id = t.project_id;
GRANT SELECT ON project_tasks TO :"app";

-- A tenant helper: STABLE, so no plan caches its value.
CREATE FUNCTION current_tenant() RETURNS uuid LANGUAGE sql STABLE
    AS $$ SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid $$;
