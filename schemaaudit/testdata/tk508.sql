-- The app role is a member of the role that owns a table, and so holds
-- that role's privileges on it.
-- expect: TK508 role :app
-- expect: TK504 public.tasks
-- expect: TK505 public.tasks
ALTER TABLE tasks OWNER TO :"other";
GRANT :"other" TO :"app";
