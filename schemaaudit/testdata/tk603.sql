-- citus
-- The tenants table names each tenant's primary project through a
-- foreign key to the tenant-owned projects: sharded, tenants is a
-- reference table and projects a distributed one, and Citus refuses a
-- foreign key from a reference table to a distributed table.
-- expect: TK603 public.tenants constraint tenants_primary_project_fkey
ALTER TABLE tenants ADD COLUMN primary_project_id uuid,
    ADD CONSTRAINT tenants_primary_project_fkey FOREIGN KEY (id, primary_project_id) REFERENCES projects (tenant_id, id);
