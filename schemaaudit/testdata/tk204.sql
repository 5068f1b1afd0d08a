-- A policy that fails open when the setting is unset.
-- expect: TK204 public.tasks policy legacy_read
CREATE POLICY legacy_read ON tasks FOR SELECT TO :"app"
    USING (tenant_id = nullif(current_setting('app.current_tenant_id', true), '')::uuid
           OR nullif(current_setting('app.current_tenant_id', true), '') IS NULL);
