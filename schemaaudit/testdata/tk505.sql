-- expect: TK505 public.tasks
GRANT REFERENCES (project_id) ON tasks TO :"app";
