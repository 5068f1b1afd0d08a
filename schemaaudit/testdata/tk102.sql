-- The tenant column does not reference the tenants table.
-- expect: TK102 public.tasks
ALTER TABLE tasks DROP CONSTRAINT tasks_tenant_id_fkey;
