-- A table that references tasks but has no tenant column.
-- expect: TK303 public.comments constraint comments_task_fkey
CREATE TABLE comments (
    id          uuid PRIMARY KEY,
    task_tenant uuid NOT NULL,
    task_id     uuid NOT NULL,
    body        text NOT NULL,
    CONSTRAINT comments_task_fkey FOREIGN KEY (task_tenant, task_id) REFERENCES tasks (tenant_id, id)
);
