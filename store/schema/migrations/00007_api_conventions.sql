-- Idempotency keys of creating requests, and clients' booking preferences.
-- Conventions: see 00001.

-- +goose Up
-- One row per (tenant, account, operation, key). A request claims its key
-- (in_flight, with a lease); the transaction that does the work marks it
-- committed before it commits, so a crash can never leave work done under a
-- key that reads as not done; the response is recorded right after.
CREATE TABLE idempotency_keys (
    tenant_id       uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id              uuid NOT NULL DEFAULT gen_random_uuid(),
    account_id      uuid NOT NULL,
    operation       text NOT NULL CHECK (length(operation) BETWEEN 1 AND 100),
    key             text NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_hash    bytea NOT NULL CHECK (length(request_hash) = 32),
    state           text NOT NULL DEFAULT 'in_flight' CHECK (state IN ('in_flight', 'committed', 'completed')),
    lease_until     timestamptz NOT NULL,
    response_status integer CHECK (response_status BETWEEN 100 AND 599),
    response        jsonb,
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, account_id, operation, key),
    CHECK ((state = 'completed') = (response IS NOT NULL))
);
CREATE INDEX idempotency_keys_tenant_id_expires_idx ON idempotency_keys (tenant_id, expires_at);
ALTER TABLE idempotency_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE idempotency_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON idempotency_keys AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON idempotency_keys FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON idempotency_keys TO tenantkit_app;
GRANT UPDATE (state, lease_until, request_hash, response_status, response) ON idempotency_keys TO tenantkit_app;

-- A client's booking preferences in one tenant.
CREATE TABLE client_preferences (
    tenant_id                 uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    member_id                 uuid NOT NULL,
    preferred_staff_member_id uuid,
    reminder_minutes_before   integer CHECK (reminder_minutes_before BETWEEN 0 AND 10080),
    contact_channel           text NOT NULL DEFAULT 'email' CHECK (contact_channel IN ('email', 'phone', 'none')),
    phone                     text NOT NULL DEFAULT '' CHECK (length(phone) <= 40),
    notes                     text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    updated_at                timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, member_id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, preferred_staff_member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX client_preferences_tenant_id_staff_idx ON client_preferences (tenant_id, preferred_staff_member_id);
ALTER TABLE client_preferences ENABLE ROW LEVEL SECURITY;
ALTER TABLE client_preferences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON client_preferences AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON client_preferences FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON client_preferences TO tenantkit_app;
GRANT UPDATE (preferred_staff_member_id, reminder_minutes_before, contact_channel, phone, notes, updated_at)
    ON client_preferences TO tenantkit_app;

-- +goose Down
DROP TABLE client_preferences;
DROP TABLE idempotency_keys;
