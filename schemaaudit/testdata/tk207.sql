-- The tenant predicate calls current_setting once per row.
-- expect: TK207 public.tasks
DROP POLICY tenant_isolation ON tasks;
CREATE POLICY tenant_isolation ON tasks AS RESTRICTIVE FOR ALL TO :"app"
    USING (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid)
    WITH CHECK (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid);
