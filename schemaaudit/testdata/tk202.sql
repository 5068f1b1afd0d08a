-- Row security is not forced: the owner reads every tenant.
-- expect: TK202 public.tasks
ALTER TABLE tasks NO FORCE ROW LEVEL SECURITY;
