-- A unique key across tenants: an existence oracle.
-- expect: TK302 public.tasks index tasks_title_key
CREATE UNIQUE INDEX tasks_title_key ON tasks (title);
