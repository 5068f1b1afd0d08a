-- name: CreateAvailabilityRule :one
INSERT INTO availability_rules (tenant_id, member_id, weekday, start_time, end_time)
VALUES (@tenant_id, @member_id, @weekday, @start_time, @end_time)
RETURNING *;

-- name: CreateAvailabilityException :one
INSERT INTO availability_exceptions (tenant_id, member_id, on_date, start_time, end_time, available, note)
VALUES (@tenant_id, @member_id, @on_date, sqlc.narg(start_time), sqlc.narg(end_time), @available, @note)
RETURNING *;

-- name: CreateBooking :one
INSERT INTO bookings (tenant_id, service_id, staff_member_id, client_member_id, service_request_id, starts_at,
                      ends_at, buffer_before_minutes, buffer_after_minutes, status,
                      cancellation_notice_minutes, reschedule_notice_minutes, price_minor, currency, notes,
                      created_by_member_id)
VALUES (@tenant_id, @service_id, @staff_member_id, @client_member_id, sqlc.narg(service_request_id),
        @starts_at, @ends_at, @buffer_before_minutes, @buffer_after_minutes, @status,
        @cancellation_notice_minutes, @reschedule_notice_minutes, @price_minor, @currency, @notes,
        sqlc.narg(created_by_member_id))
RETURNING *;

-- name: InsertBookingEvent :exec
INSERT INTO booking_events (tenant_id, booking_id, kind, actor_member_id, previous_starts_at, previous_ends_at, note)
VALUES (@tenant_id, @booking_id, @kind, sqlc.narg(actor_member_id), sqlc.narg(previous_starts_at),
        sqlc.narg(previous_ends_at), @note);

-- Availability: weekly hours (rules) and date exceptions of staff members.

-- name: GetAvailabilityRule :one
SELECT * FROM availability_rules WHERE tenant_id = @tenant_id AND id = @id;

-- name: LockAvailabilityRule :one
SELECT * FROM availability_rules WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- ListAvailabilityRules is a keyset page over (member_id, weekday,
-- start_time, id), optionally of one member.

-- name: ListAvailabilityRules :many
SELECT * FROM availability_rules
WHERE tenant_id = @tenant_id
  AND (sqlc.narg(member_id)::uuid IS NULL OR member_id = sqlc.narg(member_id)::uuid)
  AND (NOT @has_after::bool OR (member_id, weekday, start_time, id) >
       (@after_member_id::uuid, @after_weekday::smallint, @after_start_time::time, @after_id::uuid))
ORDER BY member_id, weekday, start_time, id
LIMIT @page_size;

-- name: UpdateAvailabilityRule :one
UPDATE availability_rules SET weekday = @weekday, start_time = @start_time, end_time = @end_time
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: DeleteAvailabilityRule :execrows
DELETE FROM availability_rules WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListRulesOfMembers :many
SELECT * FROM availability_rules
WHERE tenant_id = @tenant_id AND member_id = ANY(@member_ids::uuid[])
ORDER BY member_id, weekday, start_time;

-- name: GetAvailabilityException :one
SELECT * FROM availability_exceptions WHERE tenant_id = @tenant_id AND id = @id;

-- name: LockAvailabilityException :one
SELECT * FROM availability_exceptions WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- ListAvailabilityExceptions is a keyset page over (on_date, id),
-- optionally of one member and within [from_date, to_date].

-- name: ListAvailabilityExceptions :many
SELECT * FROM availability_exceptions
WHERE tenant_id = @tenant_id
  AND (sqlc.narg(member_id)::uuid IS NULL OR member_id = sqlc.narg(member_id)::uuid)
  AND (sqlc.narg(from_date)::date IS NULL OR on_date >= sqlc.narg(from_date)::date)
  AND (sqlc.narg(to_date)::date IS NULL OR on_date <= sqlc.narg(to_date)::date)
  AND (NOT @has_after::bool OR (on_date, id) > (@after_date::date, @after_id::uuid))
ORDER BY on_date, id
LIMIT @page_size;

-- name: UpdateAvailabilityException :one
UPDATE availability_exceptions
SET on_date = @on_date, start_time = sqlc.narg(start_time), end_time = sqlc.narg(end_time),
    available = @available, note = @note
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: DeleteAvailabilityException :execrows
DELETE FROM availability_exceptions WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListExceptionsOfMembers :many
SELECT * FROM availability_exceptions
WHERE tenant_id = @tenant_id AND member_id = ANY(@member_ids::uuid[])
  AND on_date BETWEEN @from_date::date AND @to_date::date
ORDER BY member_id, on_date;

-- ListBookableStaff lists the members who can be booked: live, with the
-- staff role or above.

-- name: ListBookableStaff :many
SELECT * FROM members
WHERE tenant_id = @tenant_id AND removed_at IS NULL AND role IN ('owner', 'admin', 'staff')
ORDER BY display_name, id;

-- ListBusyOfMembers returns the blocked ranges (bookings widened by their
-- buffers) of the members' active bookings that meet the window, except
-- the booking exclude_id (uuid.Nil for none).

-- name: ListBusyOfMembers :many
SELECT staff_member_id, lower(blocked)::timestamptz AS blocked_from, upper(blocked)::timestamptz AS blocked_until
FROM bookings
WHERE tenant_id = @tenant_id AND staff_member_id = ANY(@member_ids::uuid[])
  AND status IN ('pending', 'confirmed')
  AND blocked && tstzrange(@window_from::timestamptz, @window_until::timestamptz, '[)')
  AND id <> @exclude_id::uuid
ORDER BY staff_member_id, lower(blocked);

-- Bookings.

-- GetBookingDetail reads one booking with the names it shows; with
-- client_member_id, only that client's.

-- name: GetBookingDetail :one
SELECT sqlc.embed(b), s.name AS service_name, st.display_name AS staff_name, c.display_name AS client_name
FROM bookings b
JOIN services s ON s.tenant_id = b.tenant_id AND s.id = b.service_id
JOIN members st ON st.tenant_id = b.tenant_id AND st.id = b.staff_member_id
JOIN members c ON c.tenant_id = b.tenant_id AND c.id = b.client_member_id
WHERE b.tenant_id = @tenant_id AND b.id = @id
  AND (sqlc.narg(client_member_id)::uuid IS NULL OR b.client_member_id = sqlc.narg(client_member_id)::uuid);

-- name: LockBooking :one
SELECT * FROM bookings
WHERE tenant_id = @tenant_id AND id = @id
  AND (sqlc.narg(client_member_id)::uuid IS NULL OR client_member_id = sqlc.narg(client_member_id)::uuid)
FOR UPDATE;

-- ListBookings is a keyset page over (starts_at, id) with optional filters.

-- name: ListBookings :many
SELECT sqlc.embed(b), s.name AS service_name, st.display_name AS staff_name, c.display_name AS client_name
FROM bookings b
JOIN services s ON s.tenant_id = b.tenant_id AND s.id = b.service_id
JOIN members st ON st.tenant_id = b.tenant_id AND st.id = b.staff_member_id
JOIN members c ON c.tenant_id = b.tenant_id AND c.id = b.client_member_id
WHERE b.tenant_id = @tenant_id
  AND (sqlc.narg(staff_member_id)::uuid IS NULL OR b.staff_member_id = sqlc.narg(staff_member_id)::uuid)
  AND (sqlc.narg(client_member_id)::uuid IS NULL OR b.client_member_id = sqlc.narg(client_member_id)::uuid)
  AND (sqlc.narg(status)::text IS NULL OR b.status = sqlc.narg(status)::text)
  AND (sqlc.narg(starts_from)::timestamptz IS NULL OR b.starts_at >= sqlc.narg(starts_from)::timestamptz)
  AND (sqlc.narg(starts_before)::timestamptz IS NULL OR b.starts_at < sqlc.narg(starts_before)::timestamptz)
  AND (NOT @has_after::bool OR (b.starts_at, b.id) > (@after_starts_at::timestamptz, @after_id::uuid))
ORDER BY b.starts_at, b.id
LIMIT @page_size;

-- name: SetBookingStatus :exec
UPDATE bookings SET status = @status, cancelled_at = sqlc.narg(cancelled_at), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id;

-- name: MoveBooking :one
UPDATE bookings SET starts_at = @starts_at, ends_at = @ends_at, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: ListBookingEvents :many
SELECT e.kind, e.actor_member_id, m.display_name AS actor_name, e.previous_starts_at, e.previous_ends_at,
       e.note, e.created_at
FROM booking_events e
LEFT JOIN members m ON m.tenant_id = e.tenant_id AND m.id = e.actor_member_id
WHERE e.tenant_id = @tenant_id AND e.booking_id = @booking_id
ORDER BY e.created_at, e.id
LIMIT 500;

-- The service request a booking is linked to: only a request of the
-- booking's client is found.

-- name: LockClientServiceRequest :one
SELECT id, status FROM service_requests
WHERE tenant_id = @tenant_id AND id = @id AND client_member_id = @client_member_id
FOR UPDATE;

-- name: CountOpenBookingsOfRequest :one
SELECT count(*) FROM bookings
WHERE tenant_id = @tenant_id AND service_request_id = @service_request_id
  AND status IN ('pending', 'confirmed') AND id <> @exclude_id::uuid;

-- name: GetClientPreferences :one
SELECT * FROM client_preferences WHERE tenant_id = @tenant_id AND member_id = @member_id;
