-- Settings singletons. Each kind has a platform default table holding
-- exactly one row (the primary key is the constant true, and a trigger
-- refuses to delete it) that no tenant can write, and a tenant table with at
-- most one row per tenant (tenant_id is the primary key). A NULL column in a
-- tenant row means "use the platform default": the effective value is
-- coalesce(tenant, default), column by column.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION refuse_delete() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'rows of % cannot be deleted', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION refuse_delete() FROM PUBLIC;

-- organization ---------------------------------------------------------------

CREATE TABLE organization_defaults (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    time_zone      text NOT NULL,
    locale         text NOT NULL CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    currency       char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    week_starts_on smallint NOT NULL CHECK (week_starts_on BETWEEN 1 AND 7),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO organization_defaults (time_zone, locale, currency, week_starts_on) VALUES ('UTC', 'en', 'USD', 1);
CREATE TRIGGER organization_defaults_keep BEFORE DELETE ON organization_defaults
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
GRANT SELECT ON organization_defaults TO tenantkit_app, tenantkit_platform;
GRANT UPDATE (time_zone, locale, currency, week_starts_on, updated_at) ON organization_defaults TO tenantkit_platform;

CREATE TABLE organization_settings (
    tenant_id      uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    -- NULL: the tenant's name.
    display_name   text CHECK (length(display_name) BETWEEN 1 AND 200),
    time_zone      text CHECK (length(time_zone) BETWEEN 1 AND 64),
    locale         text CHECK (locale ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    currency       char(3) CHECK (currency ~ '^[A-Z]{3}$'),
    week_starts_on smallint CHECK (week_starts_on BETWEEN 1 AND 7),
    contact_email  text CHECK (length(contact_email) <= 254),
    contact_phone  text CHECK (length(contact_phone) <= 40),
    version        bigint NOT NULL DEFAULT 1,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE organization_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE organization_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON organization_settings AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON organization_settings FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_all ON organization_settings FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON organization_settings TO tenantkit_app;
GRANT UPDATE (display_name, time_zone, locale, currency, week_starts_on, contact_email, contact_phone, version, updated_at)
    ON organization_settings TO tenantkit_app;
GRANT SELECT, INSERT ON organization_settings TO tenantkit_platform;

-- booking ----------------------------------------------------------------------

CREATE TABLE booking_defaults (
    singleton                   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    lead_time_minutes           integer NOT NULL CHECK (lead_time_minutes BETWEEN 0 AND 525600),
    buffer_minutes              integer NOT NULL CHECK (buffer_minutes BETWEEN 0 AND 1440),
    cancellation_notice_minutes integer NOT NULL CHECK (cancellation_notice_minutes BETWEEN 0 AND 525600),
    reschedule_notice_minutes   integer NOT NULL CHECK (reschedule_notice_minutes BETWEEN 0 AND 525600),
    max_advance_days            integer NOT NULL CHECK (max_advance_days BETWEEN 1 AND 730),
    slot_interval_minutes       integer NOT NULL CHECK (slot_interval_minutes BETWEEN 5 AND 240),
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
INSERT INTO booking_defaults (lead_time_minutes, buffer_minutes, cancellation_notice_minutes,
                              reschedule_notice_minutes, max_advance_days, slot_interval_minutes)
VALUES (120, 0, 1440, 1440, 90, 15);
CREATE TRIGGER booking_defaults_keep BEFORE DELETE ON booking_defaults
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
GRANT SELECT ON booking_defaults TO tenantkit_app, tenantkit_platform;
GRANT UPDATE (lead_time_minutes, buffer_minutes, cancellation_notice_minutes, reschedule_notice_minutes,
              max_advance_days, slot_interval_minutes, updated_at) ON booking_defaults TO tenantkit_platform;

CREATE TABLE booking_settings (
    tenant_id                   uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    lead_time_minutes           integer CHECK (lead_time_minutes BETWEEN 0 AND 525600),
    buffer_minutes              integer CHECK (buffer_minutes BETWEEN 0 AND 1440),
    cancellation_notice_minutes integer CHECK (cancellation_notice_minutes BETWEEN 0 AND 525600),
    reschedule_notice_minutes   integer CHECK (reschedule_notice_minutes BETWEEN 0 AND 525600),
    max_advance_days            integer CHECK (max_advance_days BETWEEN 1 AND 730),
    slot_interval_minutes       integer CHECK (slot_interval_minutes BETWEEN 5 AND 240),
    version                     bigint NOT NULL DEFAULT 1,
    updated_at                  timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE booking_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE booking_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON booking_settings AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON booking_settings FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_all ON booking_settings FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON booking_settings TO tenantkit_app;
GRANT UPDATE (lead_time_minutes, buffer_minutes, cancellation_notice_minutes, reschedule_notice_minutes,
              max_advance_days, slot_interval_minutes, version, updated_at) ON booking_settings TO tenantkit_app;
GRANT SELECT, INSERT ON booking_settings TO tenantkit_platform;

-- security ---------------------------------------------------------------------

CREATE TABLE security_defaults (
    singleton                boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    session_lifetime_minutes integer NOT NULL CHECK (session_lifetime_minutes BETWEEN 5 AND 43200),
    idle_timeout_minutes     integer NOT NULL CHECK (idle_timeout_minutes BETWEEN 5 AND 43200),
    password_min_length      integer NOT NULL CHECK (password_min_length BETWEEN 8 AND 128),
    -- Empty: any email domain may be invited.
    allowed_email_domains    text[] NOT NULL DEFAULT '{}',
    updated_at               timestamptz NOT NULL DEFAULT now()
);
INSERT INTO security_defaults (session_lifetime_minutes, idle_timeout_minutes, password_min_length)
VALUES (720, 120, 12);
CREATE TRIGGER security_defaults_keep BEFORE DELETE ON security_defaults
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
GRANT SELECT ON security_defaults TO tenantkit_app, tenantkit_platform;
GRANT UPDATE (session_lifetime_minutes, idle_timeout_minutes, password_min_length, allowed_email_domains, updated_at)
    ON security_defaults TO tenantkit_platform;

CREATE TABLE security_settings (
    tenant_id                uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    session_lifetime_minutes integer CHECK (session_lifetime_minutes BETWEEN 5 AND 43200),
    idle_timeout_minutes     integer CHECK (idle_timeout_minutes BETWEEN 5 AND 43200),
    password_min_length      integer CHECK (password_min_length BETWEEN 8 AND 128),
    allowed_email_domains    text[],
    version                  bigint NOT NULL DEFAULT 1,
    updated_at               timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE security_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE security_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON security_settings AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON security_settings FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_all ON security_settings FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON security_settings TO tenantkit_app;
GRANT UPDATE (session_lifetime_minutes, idle_timeout_minutes, password_min_length, allowed_email_domains, version, updated_at)
    ON security_settings TO tenantkit_app;
GRANT SELECT, INSERT ON security_settings TO tenantkit_platform;

-- communication ------------------------------------------------------------------

CREATE TABLE communication_defaults (
    singleton                boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    sender_name              text NOT NULL CHECK (length(sender_name) BETWEEN 1 AND 200),
    reply_to_email           text NOT NULL DEFAULT '' CHECK (length(reply_to_email) <= 254),
    notify_staff_on_request  boolean NOT NULL,
    notify_client_on_booking boolean NOT NULL,
    email_footer             text NOT NULL DEFAULT '' CHECK (length(email_footer) <= 2000),
    updated_at               timestamptz NOT NULL DEFAULT now()
);
INSERT INTO communication_defaults (sender_name, notify_staff_on_request, notify_client_on_booking)
VALUES ('tenantkit', true, true);
CREATE TRIGGER communication_defaults_keep BEFORE DELETE ON communication_defaults
    FOR EACH ROW EXECUTE FUNCTION refuse_delete();
GRANT SELECT ON communication_defaults TO tenantkit_app, tenantkit_platform;
GRANT UPDATE (sender_name, reply_to_email, notify_staff_on_request, notify_client_on_booking, email_footer, updated_at)
    ON communication_defaults TO tenantkit_platform;

CREATE TABLE communication_settings (
    tenant_id                uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    sender_name              text CHECK (length(sender_name) BETWEEN 1 AND 200),
    reply_to_email           text CHECK (length(reply_to_email) <= 254),
    notify_staff_on_request  boolean,
    notify_client_on_booking boolean,
    email_footer             text CHECK (length(email_footer) <= 2000),
    version                  bigint NOT NULL DEFAULT 1,
    updated_at               timestamptz NOT NULL DEFAULT now()
);
ALTER TABLE communication_settings ENABLE ROW LEVEL SECURITY;
ALTER TABLE communication_settings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON communication_settings AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON communication_settings FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_all ON communication_settings FOR ALL TO tenantkit_platform USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON communication_settings TO tenantkit_app;
GRANT UPDATE (sender_name, reply_to_email, notify_staff_on_request, notify_client_on_booking, email_footer, version, updated_at)
    ON communication_settings TO tenantkit_app;
GRANT SELECT, INSERT ON communication_settings TO tenantkit_platform;

-- +goose Down
DROP TABLE communication_settings;
DROP TABLE communication_defaults;
DROP TABLE security_settings;
DROP TABLE security_defaults;
DROP TABLE booking_settings;
DROP TABLE booking_defaults;
DROP TABLE organization_settings;
DROP TABLE organization_defaults;
DROP FUNCTION refuse_delete();
