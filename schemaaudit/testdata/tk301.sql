-- The foreign key carries a tenant of its own instead of the row's: a task
-- can point at another tenant's project.
-- expect: TK301 public.tasks constraint tasks_project_fkey
ALTER TABLE tasks ADD COLUMN project_tenant_id uuid;
ALTER TABLE tasks DROP CONSTRAINT tasks_tenant_id_project_id_fkey;
ALTER TABLE tasks ADD CONSTRAINT tasks_project_fkey
    FOREIGN KEY (project_tenant_id, project_id) REFERENCES projects (tenant_id, id);
