-- A view that runs with its owner's rights.
-- expect: TK401 public.all_tasks
CREATE VIEW all_tasks AS SELECT * FROM tasks;
GRANT SELECT ON all_tasks TO :"app";
