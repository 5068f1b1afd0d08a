-- The tenant setting compared with a column that is not the tenant column.
-- expect: TK206 public.tasks policy by_project
CREATE POLICY by_project ON tasks FOR SELECT TO :"app"
    USING (project_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
