-- Services with their version history, and service requests with their
-- status transitions and comments. Conventions: see 00001.

-- +goose Up
CREATE TABLE services (
    tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                    uuid NOT NULL DEFAULT gen_random_uuid(),
    slug                  text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 80),
    name                  text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description           text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    duration_minutes      integer NOT NULL CHECK (duration_minutes BETWEEN 5 AND 1440),
    price_minor           bigint NOT NULL CHECK (price_minor BETWEEN 0 AND 100000000000),
    currency              char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    active                boolean NOT NULL DEFAULT true,
    requires_confirmation boolean NOT NULL DEFAULT false,
    archived_at           timestamptz,
    -- Incremented on every change; each value has a row in service_versions
    -- and is the ETag of the service.
    version               integer NOT NULL DEFAULT 1 CHECK (version > 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug)
);
CREATE INDEX services_tenant_id_name_idx ON services (tenant_id, name, id);
ALTER TABLE services ENABLE ROW LEVEL SECURITY;
ALTER TABLE services FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON services AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON services FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_read ON services FOR SELECT TO tenantkit_platform USING (true);
GRANT SELECT, INSERT, DELETE ON services TO tenantkit_app;
GRANT UPDATE (slug, name, description, duration_minutes, price_minor, currency, active, requires_confirmation,
              archived_at, version, updated_at) ON services TO tenantkit_app;
GRANT SELECT ON services TO tenantkit_platform;

CREATE TABLE service_versions (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    service_id           uuid NOT NULL,
    version              integer NOT NULL CHECK (version > 0),
    -- The service as it was after this change.
    snapshot             jsonb NOT NULL CHECK (jsonb_typeof(snapshot) = 'object'),
    changed_by_member_id uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, service_id, version),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, changed_by_member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX service_versions_tenant_id_member_idx ON service_versions (tenant_id, changed_by_member_id);
ALTER TABLE service_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON service_versions AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_read ON service_versions FOR SELECT TO tenantkit_app USING (true);
CREATE POLICY app_append ON service_versions FOR INSERT TO tenantkit_app WITH CHECK (true);
-- Deleting a service takes its history with it (the cascade runs as the
-- owner); the app role itself never deletes or rewrites history.
GRANT SELECT, INSERT ON service_versions TO tenantkit_app;

-- The allowed status transitions of a service request. Global reference
-- data, not tenant data: the same workflow for every tenant.
CREATE TABLE service_request_transitions (
    from_status text NOT NULL,
    to_status   text NOT NULL,
    PRIMARY KEY (from_status, to_status)
);
INSERT INTO service_request_transitions (from_status, to_status) VALUES
    ('submitted', 'in_review'), ('submitted', 'approved'), ('submitted', 'cancelled'),
    ('in_review', 'approved'), ('in_review', 'cancelled'),
    ('approved', 'scheduled'), ('approved', 'in_progress'), ('approved', 'cancelled'),
    ('scheduled', 'in_progress'), ('scheduled', 'approved'), ('scheduled', 'cancelled'),
    ('in_progress', 'completed'), ('in_progress', 'cancelled');
GRANT SELECT ON service_request_transitions TO tenantkit_app, tenantkit_platform;

CREATE TABLE service_requests (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    client_member_id     uuid NOT NULL,
    service_id           uuid,
    title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    details              text NOT NULL DEFAULT '' CHECK (length(details) <= 20000),
    status               text NOT NULL DEFAULT 'submitted'
                         CHECK (status IN ('submitted', 'in_review', 'approved', 'scheduled',
                                           'in_progress', 'completed', 'cancelled')),
    priority             text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    due_on               date,
    assigned_member_id   uuid,
    source               text NOT NULL CHECK (source IN ('portal', 'staff', 'public')),
    created_by_member_id uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, client_member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE SET NULL (service_id),
    FOREIGN KEY (tenant_id, assigned_member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by_member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX service_requests_tenant_id_created_idx ON service_requests (tenant_id, created_at DESC, id DESC);
CREATE INDEX service_requests_tenant_id_status_idx ON service_requests (tenant_id, status, created_at DESC);
CREATE INDEX service_requests_tenant_id_client_idx ON service_requests (tenant_id, client_member_id, created_at DESC);
CREATE INDEX service_requests_tenant_id_assigned_idx ON service_requests (tenant_id, assigned_member_id);
CREATE INDEX service_requests_tenant_id_service_idx ON service_requests (tenant_id, service_id);
CREATE INDEX service_requests_tenant_id_created_by_idx ON service_requests (tenant_id, created_by_member_id);
ALTER TABLE service_requests ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_requests FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON service_requests AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON service_requests FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_read ON service_requests FOR SELECT TO tenantkit_platform USING (true);
GRANT SELECT, INSERT, DELETE ON service_requests TO tenantkit_app;
GRANT UPDATE (service_id, title, details, status, priority, due_on, assigned_member_id, updated_at)
    ON service_requests TO tenantkit_app;
GRANT SELECT ON service_requests TO tenantkit_platform;

-- A status change must be one of the allowed transitions, whoever makes it.
-- +goose StatementBegin
CREATE FUNCTION check_service_request_transition() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog, public AS $$
BEGIN
    IF NEW.status IS DISTINCT FROM OLD.status AND NOT EXISTS (
        SELECT 1 FROM public.service_request_transitions t
        WHERE t.from_status = OLD.status AND t.to_status = NEW.status
    ) THEN
        RAISE EXCEPTION 'service request cannot move from % to %', OLD.status, NEW.status
            USING ERRCODE = 'check_violation', CONSTRAINT = 'service_requests_status_transition';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION check_service_request_transition() FROM PUBLIC;
CREATE TRIGGER service_requests_status_transition BEFORE UPDATE OF status ON service_requests
    FOR EACH ROW EXECUTE FUNCTION check_service_request_transition();

CREATE TABLE service_request_events (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    service_request_id uuid NOT NULL,
    -- NULL for the event that records the request's creation.
    from_status        text,
    to_status          text NOT NULL,
    actor_member_id    uuid,
    note               text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, actor_member_id) REFERENCES members (tenant_id, id),
    -- An event names an allowed transition (or the creation of a request).
    FOREIGN KEY (from_status, to_status) REFERENCES service_request_transitions (from_status, to_status),
    CHECK (from_status IS NOT NULL OR to_status = 'submitted')
);
CREATE INDEX service_request_events_tenant_id_request_idx ON service_request_events (tenant_id, service_request_id, created_at);
CREATE INDEX service_request_events_tenant_id_actor_idx ON service_request_events (tenant_id, actor_member_id);
ALTER TABLE service_request_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_request_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON service_request_events AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_read ON service_request_events FOR SELECT TO tenantkit_app USING (true);
CREATE POLICY app_append ON service_request_events FOR INSERT TO tenantkit_app WITH CHECK (true);
GRANT SELECT, INSERT ON service_request_events TO tenantkit_app;

CREATE TABLE service_request_comments (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    service_request_id uuid NOT NULL,
    author_member_id   uuid NOT NULL,
    body               text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    -- client: the request's client sees it; internal: staff only.
    visibility         text NOT NULL CHECK (visibility IN ('client', 'internal')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, author_member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX service_request_comments_tenant_id_request_idx ON service_request_comments (tenant_id, service_request_id, created_at);
CREATE INDEX service_request_comments_tenant_id_author_idx ON service_request_comments (tenant_id, author_member_id);
ALTER TABLE service_request_comments ENABLE ROW LEVEL SECURITY;
ALTER TABLE service_request_comments FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON service_request_comments AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON service_request_comments FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON service_request_comments TO tenantkit_app;

-- +goose Down
DROP TABLE service_request_comments;
DROP TABLE service_request_events;
DROP TRIGGER service_requests_status_transition ON service_requests;
DROP FUNCTION check_service_request_transition();
DROP TABLE service_requests;
DROP TABLE service_request_transitions;
DROP TABLE service_versions;
DROP TABLE services;
