-- Settings: the effective value is the tenant's row over the platform
-- default, column by column.

-- name: GetOrganizationSettings :one
SELECT coalesce(s.display_name, t.name)::text            AS display_name,
       coalesce(s.time_zone, d.time_zone)::text          AS time_zone,
       coalesce(s.locale, d.locale)::text                AS locale,
       coalesce(s.currency, d.currency)::text            AS currency,
       coalesce(s.week_starts_on, d.week_starts_on)::int AS week_starts_on,
       coalesce(s.contact_email, '')::text               AS contact_email,
       coalesce(s.contact_phone, '')::text               AS contact_phone,
       coalesce(s.version, 0)::bigint                    AS version
FROM organization_defaults d
JOIN tenants t ON t.id = @tenant_id
LEFT JOIN organization_settings s ON s.tenant_id = t.id;

-- name: UpsertOrganizationSettings :one
INSERT INTO organization_settings AS s (tenant_id, display_name, time_zone, locale, currency, week_starts_on,
                                        contact_email, contact_phone)
VALUES (@tenant_id, sqlc.narg(display_name), sqlc.narg(time_zone), sqlc.narg(locale), sqlc.narg(currency),
        sqlc.narg(week_starts_on), sqlc.narg(contact_email), sqlc.narg(contact_phone))
ON CONFLICT (tenant_id) DO UPDATE
SET display_name = excluded.display_name, time_zone = excluded.time_zone, locale = excluded.locale,
    currency = excluded.currency, week_starts_on = excluded.week_starts_on,
    contact_email = excluded.contact_email, contact_phone = excluded.contact_phone,
    version = s.version + 1, updated_at = now()
WHERE sqlc.narg(expected_version)::bigint IS NULL OR s.version = sqlc.narg(expected_version)::bigint
RETURNING s.version;

-- name: GetBookingSettings :one
SELECT coalesce(s.lead_time_minutes, d.lead_time_minutes)::int                     AS lead_time_minutes,
       coalesce(s.buffer_minutes, d.buffer_minutes)::int                           AS buffer_minutes,
       coalesce(s.cancellation_notice_minutes, d.cancellation_notice_minutes)::int AS cancellation_notice_minutes,
       coalesce(s.reschedule_notice_minutes, d.reschedule_notice_minutes)::int     AS reschedule_notice_minutes,
       coalesce(s.max_advance_days, d.max_advance_days)::int                       AS max_advance_days,
       coalesce(s.slot_interval_minutes, d.slot_interval_minutes)::int             AS slot_interval_minutes,
       coalesce(s.version, 0)::bigint                                              AS version
FROM booking_defaults d
LEFT JOIN booking_settings s ON s.tenant_id = @tenant_id;

-- name: UpsertBookingSettings :one
INSERT INTO booking_settings AS s (tenant_id, lead_time_minutes, buffer_minutes, cancellation_notice_minutes,
                                   reschedule_notice_minutes, max_advance_days, slot_interval_minutes)
VALUES (@tenant_id, sqlc.narg(lead_time_minutes), sqlc.narg(buffer_minutes), sqlc.narg(cancellation_notice_minutes),
        sqlc.narg(reschedule_notice_minutes), sqlc.narg(max_advance_days), sqlc.narg(slot_interval_minutes))
ON CONFLICT (tenant_id) DO UPDATE
SET lead_time_minutes = excluded.lead_time_minutes, buffer_minutes = excluded.buffer_minutes,
    cancellation_notice_minutes = excluded.cancellation_notice_minutes,
    reschedule_notice_minutes = excluded.reschedule_notice_minutes,
    max_advance_days = excluded.max_advance_days, slot_interval_minutes = excluded.slot_interval_minutes,
    version = s.version + 1, updated_at = now()
WHERE sqlc.narg(expected_version)::bigint IS NULL OR s.version = sqlc.narg(expected_version)::bigint
RETURNING s.version;

-- name: GetSecuritySettings :one
SELECT coalesce(s.session_lifetime_minutes, d.session_lifetime_minutes)::int AS session_lifetime_minutes,
       coalesce(s.idle_timeout_minutes, d.idle_timeout_minutes)::int         AS idle_timeout_minutes,
       coalesce(s.password_min_length, d.password_min_length)::int           AS password_min_length,
       coalesce(s.allowed_email_domains, d.allowed_email_domains)::text[]    AS allowed_email_domains,
       coalesce(s.version, 0)::bigint                                        AS version
FROM security_defaults d
LEFT JOIN security_settings s ON s.tenant_id = @tenant_id;

-- name: UpsertSecuritySettings :one
INSERT INTO security_settings AS s (tenant_id, session_lifetime_minutes, idle_timeout_minutes, password_min_length,
                                    allowed_email_domains)
VALUES (@tenant_id, sqlc.narg(session_lifetime_minutes), sqlc.narg(idle_timeout_minutes),
        sqlc.narg(password_min_length), sqlc.narg(allowed_email_domains)::text[])
ON CONFLICT (tenant_id) DO UPDATE
SET session_lifetime_minutes = excluded.session_lifetime_minutes,
    idle_timeout_minutes = excluded.idle_timeout_minutes, password_min_length = excluded.password_min_length,
    allowed_email_domains = excluded.allowed_email_domains,
    version = s.version + 1, updated_at = now()
WHERE sqlc.narg(expected_version)::bigint IS NULL OR s.version = sqlc.narg(expected_version)::bigint
RETURNING s.version;

-- name: GetCommunicationSettings :one
SELECT coalesce(s.sender_name, d.sender_name)::text                           AS sender_name,
       coalesce(s.reply_to_email, d.reply_to_email)::text                     AS reply_to_email,
       coalesce(s.notify_staff_on_request, d.notify_staff_on_request)::bool   AS notify_staff_on_request,
       coalesce(s.notify_client_on_booking, d.notify_client_on_booking)::bool AS notify_client_on_booking,
       coalesce(s.email_footer, d.email_footer)::text                         AS email_footer,
       coalesce(s.version, 0)::bigint                                         AS version
FROM communication_defaults d
LEFT JOIN communication_settings s ON s.tenant_id = @tenant_id;

-- name: UpsertCommunicationSettings :one
INSERT INTO communication_settings AS s (tenant_id, sender_name, reply_to_email, notify_staff_on_request,
                                         notify_client_on_booking, email_footer)
VALUES (@tenant_id, sqlc.narg(sender_name), sqlc.narg(reply_to_email), sqlc.narg(notify_staff_on_request),
        sqlc.narg(notify_client_on_booking), sqlc.narg(email_footer))
ON CONFLICT (tenant_id) DO UPDATE
SET sender_name = excluded.sender_name, reply_to_email = excluded.reply_to_email,
    notify_staff_on_request = excluded.notify_staff_on_request,
    notify_client_on_booking = excluded.notify_client_on_booking, email_footer = excluded.email_footer,
    version = s.version + 1, updated_at = now()
WHERE sqlc.narg(expected_version)::bigint IS NULL OR s.version = sqlc.narg(expected_version)::bigint
RETURNING s.version;

-- The tenant's own rows (its overrides; NULL = the platform default).

-- name: GetOrganizationOverrides :one
SELECT * FROM organization_settings WHERE tenant_id = @tenant_id;

-- name: GetBookingOverrides :one
SELECT * FROM booking_settings WHERE tenant_id = @tenant_id;

-- name: GetSecurityOverrides :one
SELECT * FROM security_settings WHERE tenant_id = @tenant_id;

-- name: GetCommunicationOverrides :one
SELECT * FROM communication_settings WHERE tenant_id = @tenant_id;

-- name: GetWorkspace :one
-- What every page of a tenant shows: the organization's name, zone, week
-- start and currency, and the zone of the member viewing it (NULL: the
-- organization's). One statement.
SELECT coalesce(s.display_name, t.name)::text            AS display_name,
       coalesce(s.time_zone, d.time_zone)::text          AS time_zone,
       coalesce(s.week_starts_on, d.week_starts_on)::int AS week_starts_on,
       coalesce(s.currency, d.currency)::text            AS currency,
       m.time_zone                                       AS member_time_zone
FROM organization_defaults d
JOIN tenants t ON t.id = @tenant_id
LEFT JOIN organization_settings s ON s.tenant_id = t.id
LEFT JOIN members m ON m.tenant_id = t.id AND m.id = sqlc.narg(member_id)::uuid;
