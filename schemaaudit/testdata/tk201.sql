-- Row security is off.
-- expect: TK201 public.tasks
ALTER TABLE tasks DISABLE ROW LEVEL SECURITY;
