-- A schema shaped like the earlier Next.js + Prisma app: quoted camelCase
-- tables with text ids, a nullable "tenantId" where there is one, none on
-- Booking and ServiceRequest, an unchecked one on Expense, unique keys
-- across tenants, no row security. The data has orphans: a service with
-- no tenant (and its request and booking), an expense with neither tenant
-- nor request, and one naming a tenant that does not exist.
--
-- :"app" is the application role (a psql variable).
CREATE TABLE "Tenant" (
    id   text PRIMARY KEY,
    slug text NOT NULL,
    name text NOT NULL
);
CREATE UNIQUE INDEX "Tenant_slug_key" ON "Tenant" (slug);

CREATE TABLE "User" (
    id         text PRIMARY KEY,
    email      text NOT NULL,
    name       text,
    "tenantId" text NOT NULL REFERENCES "Tenant" (id) ON UPDATE CASCADE ON DELETE RESTRICT
);
CREATE UNIQUE INDEX "User_email_key" ON "User" (email);

CREATE TABLE "Service" (
    id           text PRIMARY KEY,
    "tenantId"   text REFERENCES "Tenant" (id) ON UPDATE CASCADE ON DELETE SET NULL,
    name         text NOT NULL,
    slug         text NOT NULL,
    "priceCents" integer NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX "Service_slug_key" ON "Service" (slug);

CREATE TABLE "ServiceRequest" (
    id          text PRIMARY KEY,
    "serviceId" text NOT NULL REFERENCES "Service" (id) ON UPDATE CASCADE ON DELETE CASCADE,
    "clientId"  text REFERENCES "User" (id) ON UPDATE CASCADE ON DELETE SET NULL,
    title       text NOT NULL,
    status      text NOT NULL DEFAULT 'submitted'
);

CREATE TABLE "Booking" (
    id                 text PRIMARY KEY,
    "serviceId"        text NOT NULL REFERENCES "Service" (id) ON UPDATE CASCADE ON DELETE RESTRICT,
    "serviceRequestId" text REFERENCES "ServiceRequest" (id) ON UPDATE CASCADE ON DELETE SET NULL,
    "startsAt"         timestamptz NOT NULL
);

CREATE TABLE "Expense" (
    id                 text PRIMARY KEY,
    "tenantId"         text,
    "serviceRequestId" text REFERENCES "ServiceRequest" (id) ON UPDATE CASCADE ON DELETE SET NULL,
    "amountCents"      integer NOT NULL,
    note               text
);

-- Prisma's own bookkeeping: global, no path to a tenant.
CREATE TABLE "_prisma_migrations" (
    id             varchar(36) PRIMARY KEY,
    checksum       varchar(64) NOT NULL,
    migration_name varchar(255) NOT NULL
);

GRANT USAGE ON SCHEMA public TO :"app";
GRANT SELECT ON "Tenant" TO :"app";
GRANT SELECT, INSERT, UPDATE, DELETE ON "User", "Service", "ServiceRequest", "Booking", "Expense" TO :"app";

INSERT INTO "Tenant" (id, slug, name) VALUES ('ten_acme', 'acme', 'Acme'), ('ten_globex', 'globex', 'Globex');
INSERT INTO "User" (id, email, name, "tenantId") VALUES
    ('usr_acme', 'ann@acme.test', 'Ann', 'ten_acme'),
    ('usr_globex', 'gus@globex.test', 'Gus', 'ten_globex');
INSERT INTO "Service" (id, "tenantId", name, slug) VALUES
    ('svc_acme', 'ten_acme', 'Bookkeeping', 'bookkeeping'),
    ('svc_globex', 'ten_globex', 'Audit', 'audit'),
    ('svc_orphan', NULL, 'Left over', 'left-over');
INSERT INTO "ServiceRequest" (id, "serviceId", "clientId", title) VALUES
    ('req_acme', 'svc_acme', 'usr_acme', 'Year end'),
    ('req_globex', 'svc_globex', 'usr_globex', 'Q3 audit'),
    ('req_orphan', 'svc_orphan', NULL, 'Nobody''s');
INSERT INTO "Booking" (id, "serviceId", "serviceRequestId", "startsAt") VALUES
    ('bkg_acme', 'svc_acme', 'req_acme', '2026-03-02 10:00+00'),
    ('bkg_globex', 'svc_globex', NULL, '2026-03-02 11:00+00'),
    ('bkg_orphan', 'svc_orphan', 'req_orphan', '2026-03-02 12:00+00');
-- Enough rows to take several backfill batches.
INSERT INTO "Booking" (id, "serviceId", "startsAt")
SELECT 'bkg_acme_' || i, 'svc_acme', '2026-04-01 09:00+00'::timestamptz + i * interval '1 hour'
FROM generate_series(1, 2500) AS i;
INSERT INTO "Expense" (id, "tenantId", "serviceRequestId", "amountCents", note) VALUES
    ('exp_acme', 'ten_acme', 'req_acme', 1200, 'kept'),
    ('exp_globex', NULL, 'req_globex', 3400, 'tenant from its request'),
    ('exp_lost', NULL, NULL, 99, 'no tenant, no request'),
    ('exp_gone', 'ten_gone', NULL, 77, 'a tenant that does not exist');
