-- A materialized view over tenant rows, readable by the app role.
-- expect: TK403 public.task_counts
CREATE MATERIALIZED VIEW task_counts AS SELECT tenant_id, count(*) AS n FROM tasks GROUP BY tenant_id;
GRANT SELECT ON task_counts TO :"app";
