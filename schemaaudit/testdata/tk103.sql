-- The tenant column trails the primary key; a plain index leads with it.
-- expect: TK103 public.tasks
ALTER TABLE tasks DROP CONSTRAINT tasks_pkey, ADD PRIMARY KEY (id, tenant_id);
CREATE INDEX tasks_tenant_id_idx ON tasks (tenant_id);
