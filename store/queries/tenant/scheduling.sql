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
