-- No permissive policy: the app role reads nothing and writes nothing.
-- expect: TK208 public.tasks
DROP POLICY app_all ON tasks;
