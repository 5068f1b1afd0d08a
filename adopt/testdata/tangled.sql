-- Two things adopt must refuse to guess: an invoice that reaches the
-- tenant through two mandatory parents, and two tables that reference each
-- other in a cycle that never reaches the tenant.
CREATE TABLE "Tenant" (id text PRIMARY KEY);
CREATE TABLE "Project" (id text PRIMARY KEY, "tenantId" text NOT NULL REFERENCES "Tenant" (id));
CREATE TABLE "Client" (id text PRIMARY KEY, "tenantId" text NOT NULL REFERENCES "Tenant" (id));
CREATE TABLE "Invoice" (
    id          text PRIMARY KEY,
    "projectId" text NOT NULL REFERENCES "Project" (id),
    "clientId"  text NOT NULL REFERENCES "Client" (id)
);
CREATE TABLE "Team" (id text PRIMARY KEY, "leadId" text);
CREATE TABLE "Member" (id text PRIMARY KEY, "teamId" text REFERENCES "Team" (id));
ALTER TABLE "Team" ADD FOREIGN KEY ("leadId") REFERENCES "Member" (id);
