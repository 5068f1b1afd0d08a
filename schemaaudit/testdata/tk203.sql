-- The tenant predicate is permissive, not restrictive: any other permissive
-- policy added later widens access across tenants.
-- expect: TK203 public.tasks
DROP POLICY tenant_isolation ON tasks;
DROP POLICY app_all ON tasks;
CREATE POLICY tenant_only ON tasks FOR ALL TO :"app"
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
