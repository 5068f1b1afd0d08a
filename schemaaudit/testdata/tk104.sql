-- No index leads with the tenant column (so no key does either).
-- expect: TK103 public.tasks
-- expect: TK104 public.tasks
ALTER TABLE tasks DROP CONSTRAINT tasks_pkey, ADD PRIMARY KEY (id, tenant_id);
