-- The app role owns a table, and with it every privilege on it.
-- expect: TK503 table public.tasks
-- expect: TK504 public.tasks
-- expect: TK505 public.tasks
ALTER TABLE tasks OWNER TO :"app";
