-- USING (true) with no restrictive tenant policy beside it.
-- expect: TK203 public.tasks
-- expect: TK209 public.tasks policy app_all
DROP POLICY tenant_isolation ON tasks;
