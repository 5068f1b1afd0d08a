-- Staff availability (weekly hours and date exceptions) and bookings, whose
-- overlap for one staff member is made impossible by an exclusion
-- constraint. Conventions: see 00001.

-- +goose Up
-- Weekly working hours of a staff member, in the tenant's time zone.
CREATE TABLE availability_rules (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    member_id  uuid NOT NULL,
    -- ISO weekday: 1 = Monday … 7 = Sunday.
    weekday    smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    start_time time NOT NULL,
    end_time   time NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
    CHECK (start_time < end_time),
    -- The intervals of one member on one weekday do not overlap.
    CONSTRAINT availability_rules_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, member_id WITH =, weekday WITH =,
        tsrange(date '2000-01-01' + start_time, date '2000-01-01' + end_time) WITH &&
    )
);
ALTER TABLE availability_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE availability_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON availability_rules AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON availability_rules FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON availability_rules TO tenantkit_app;
GRANT UPDATE (weekday, start_time, end_time) ON availability_rules TO tenantkit_app;

-- Date exceptions: a day (or part of one) off, or extra hours on a date.
CREATE TABLE availability_exceptions (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    member_id  uuid NOT NULL,
    on_date    date NOT NULL,
    -- Both NULL: the whole day.
    start_time time,
    end_time   time,
    -- false: not available in the interval; true: available in addition to
    -- the weekly hours.
    available  boolean NOT NULL,
    note       text NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
    CHECK ((start_time IS NULL) = (end_time IS NULL)),
    CHECK (start_time IS NULL OR start_time < end_time),
    CHECK (NOT available OR start_time IS NOT NULL)
);
CREATE INDEX availability_exceptions_tenant_id_member_date_idx
    ON availability_exceptions (tenant_id, member_id, on_date);
ALTER TABLE availability_exceptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE availability_exceptions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON availability_exceptions AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON availability_exceptions FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON availability_exceptions TO tenantkit_app;
GRANT UPDATE (on_date, start_time, end_time, available, note) ON availability_exceptions TO tenantkit_app;

CREATE TABLE bookings (
    tenant_id                   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                          uuid NOT NULL DEFAULT gen_random_uuid(),
    service_id                  uuid NOT NULL,
    staff_member_id             uuid NOT NULL,
    client_member_id            uuid NOT NULL,
    service_request_id          uuid,
    starts_at                   timestamptz NOT NULL,
    ends_at                     timestamptz NOT NULL,
    buffer_before_minutes       integer NOT NULL DEFAULT 0 CHECK (buffer_before_minutes BETWEEN 0 AND 1440),
    buffer_after_minutes        integer NOT NULL DEFAULT 0 CHECK (buffer_after_minutes BETWEEN 0 AND 1440),
    -- The time the booking keeps the staff member from other bookings: the
    -- booked range widened by the buffers. Set by a trigger from the columns
    -- above (a generated column cannot use timestamptz arithmetic) and
    -- checked against them.
    blocked                     tstzrange NOT NULL,
    status                      text NOT NULL DEFAULT 'pending'
                                CHECK (status IN ('pending', 'confirmed', 'cancelled', 'completed', 'no_show')),
    -- The terms in force when the booking was made, so that a later change of
    -- the booking settings does not change an existing booking.
    cancellation_notice_minutes integer NOT NULL CHECK (cancellation_notice_minutes >= 0),
    reschedule_notice_minutes   integer NOT NULL CHECK (reschedule_notice_minutes >= 0),
    price_minor                 bigint NOT NULL CHECK (price_minor >= 0),
    currency                    char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    notes                       text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
    created_by_member_id        uuid,
    cancelled_at                timestamptz,
    created_at                  timestamptz NOT NULL DEFAULT now(),
    updated_at                  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id),
    FOREIGN KEY (tenant_id, staff_member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, client_member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by_member_id) REFERENCES members (tenant_id, id),
    CHECK (starts_at < ends_at),
    CONSTRAINT bookings_blocked_matches CHECK (
        blocked = tstzrange(starts_at - make_interval(mins => buffer_before_minutes),
                            ends_at + make_interval(mins => buffer_after_minutes), '[)')
    ),
    CONSTRAINT bookings_cancelled_at CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)),
    -- No two active bookings (pending ones included) of one staff member
    -- overlap, buffers included. Enforced by the database, so concurrent
    -- requests for one slot cannot both succeed.
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (
        tenant_id WITH =, staff_member_id WITH =, blocked WITH &&
    ) WHERE (status IN ('pending', 'confirmed'))
);
-- +goose StatementBegin
CREATE FUNCTION set_booking_blocked() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER SET search_path = pg_catalog AS $$
BEGIN
    NEW.blocked := tstzrange(NEW.starts_at - make_interval(mins => NEW.buffer_before_minutes),
                             NEW.ends_at + make_interval(mins => NEW.buffer_after_minutes), '[)');
    RETURN NEW;
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION set_booking_blocked() FROM PUBLIC;
CREATE TRIGGER bookings_set_blocked BEFORE INSERT OR UPDATE OF starts_at, ends_at, buffer_before_minutes,
    buffer_after_minutes ON bookings FOR EACH ROW EXECUTE FUNCTION set_booking_blocked();
CREATE INDEX bookings_tenant_id_starts_idx ON bookings (tenant_id, starts_at, id);
CREATE INDEX bookings_tenant_id_staff_starts_idx ON bookings (tenant_id, staff_member_id, starts_at);
CREATE INDEX bookings_tenant_id_client_starts_idx ON bookings (tenant_id, client_member_id, starts_at);
CREATE INDEX bookings_tenant_id_service_idx ON bookings (tenant_id, service_id);
CREATE INDEX bookings_tenant_id_request_idx ON bookings (tenant_id, service_request_id);
CREATE INDEX bookings_tenant_id_created_by_idx ON bookings (tenant_id, created_by_member_id);
ALTER TABLE bookings ENABLE ROW LEVEL SECURITY;
ALTER TABLE bookings FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON bookings AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON bookings FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_read ON bookings FOR SELECT TO tenantkit_platform USING (true);
GRANT SELECT, INSERT ON bookings TO tenantkit_app;
GRANT UPDATE (starts_at, ends_at, buffer_before_minutes, buffer_after_minutes, status, notes,
              cancelled_at, updated_at) ON bookings TO tenantkit_app;
GRANT SELECT ON bookings TO tenantkit_platform;

-- The timeline of a booking: one row per change.
CREATE TABLE booking_events (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    booking_id         uuid NOT NULL,
    kind               text NOT NULL
                       CHECK (kind IN ('created', 'confirmed', 'rescheduled', 'cancelled', 'completed', 'no_show')),
    actor_member_id    uuid,
    previous_starts_at timestamptz,
    previous_ends_at   timestamptz,
    note               text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, booking_id) REFERENCES bookings (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, actor_member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX booking_events_tenant_id_booking_idx ON booking_events (tenant_id, booking_id, created_at);
CREATE INDEX booking_events_tenant_id_actor_idx ON booking_events (tenant_id, actor_member_id);
ALTER TABLE booking_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE booking_events FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON booking_events AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_read ON booking_events FOR SELECT TO tenantkit_app USING (true);
CREATE POLICY app_append ON booking_events FOR INSERT TO tenantkit_app WITH CHECK (true);
GRANT SELECT, INSERT ON booking_events TO tenantkit_app;

-- +goose Down
DROP TABLE booking_events;
DROP TABLE bookings;
DROP FUNCTION set_booking_blocked();
DROP TABLE availability_exceptions;
DROP TABLE availability_rules;
