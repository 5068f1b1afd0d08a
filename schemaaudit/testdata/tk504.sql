-- expect: TK504 public.tasks
GRANT TRUNCATE ON tasks TO :"app";
