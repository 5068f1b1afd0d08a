-- The tenant column is nullable (the key holding it is UNIQUE, not PRIMARY).
-- expect: TK101 public.tasks
ALTER TABLE tasks DROP CONSTRAINT tasks_pkey;
ALTER TABLE tasks ALTER COLUMN tenant_id DROP NOT NULL;
ALTER TABLE tasks ADD UNIQUE (tenant_id, id);
