-- name: CreateService :one
INSERT INTO services (tenant_id, slug, name, description, duration_minutes, price_minor, currency, active,
                      requires_confirmation)
VALUES (@tenant_id, @slug, @name, @description, @duration_minutes, @price_minor, @currency, @active,
        @requires_confirmation)
RETURNING *;

-- name: GetService :one
SELECT * FROM services WHERE tenant_id = @tenant_id AND id = @id;

-- name: GetServiceForUpdate :one
SELECT * FROM services WHERE tenant_id = @tenant_id AND id = @id FOR UPDATE;

-- name: ListServicesPage :many
-- Keyset page over (name, id).
SELECT * FROM services
WHERE tenant_id = @tenant_id
  AND (NOT @has_after::bool OR (name, id) > (@after_name::text, @after_id::uuid))
ORDER BY name, id
LIMIT @page_size;

-- ListCurrentServicesFirst and ListCurrentServicesAfter are the
-- unfiltered keyset page over (name, id) of the services not archived —
-- the list staff open most — split by whether a page came before, so that
-- neither has an optional condition: with prepared statements (pgx's
-- default) PostgreSQL plans each once per connection (a generic plan: an
-- index range on (tenant_id, name, id)), where ListServices, whose
-- conditions depend on its parameters, is planned anew on every call.
-- (Behind PgBouncer in exec mode every statement is planned per call.)

-- name: ListCurrentServicesFirst :many
SELECT * FROM services
WHERE tenant_id = @tenant_id AND archived_at IS NULL
ORDER BY name, id
LIMIT @page_size;

-- name: ListCurrentServicesAfter :many
SELECT * FROM services
WHERE tenant_id = @tenant_id AND archived_at IS NULL AND (name, id) > (@after_name::text, @after_id::uuid)
ORDER BY name, id
LIMIT @page_size;

-- ListServices is the filtered keyset page over (name, id). name_like is
-- an ILIKE pattern whose wildcards the caller has escaped.

-- name: ListServices :many
SELECT * FROM services
WHERE tenant_id = @tenant_id
  AND (sqlc.narg(active)::bool IS NULL OR active = sqlc.narg(active)::bool)
  AND (@include_archived::bool OR archived_at IS NULL)
  AND (sqlc.narg(name_like)::text IS NULL OR name ILIKE sqlc.narg(name_like)::text)
  AND (NOT @has_after::bool OR (name, id) > (@after_name::text, @after_id::uuid))
ORDER BY name, id
LIMIT @page_size;

-- name: UpdateService :one
UPDATE services
SET slug = @slug, name = @name, description = @description, duration_minutes = @duration_minutes,
    price_minor = @price_minor, currency = @currency, active = @active,
    requires_confirmation = @requires_confirmation, archived_at = sqlc.narg(archived_at),
    version = version + 1, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- PatchService changes the fields given (NULL: keep) of a service whose
-- version is if_version (NULL: any), in one statement: no row when the
-- service is missing, another tenant's, or at another version.

-- name: PatchService :one
UPDATE services
SET slug = coalesce(sqlc.narg(slug)::text, slug), name = coalesce(sqlc.narg(name)::text, name),
    description = coalesce(sqlc.narg(description)::text, description),
    duration_minutes = coalesce(sqlc.narg(duration_minutes)::integer, duration_minutes),
    price_minor = coalesce(sqlc.narg(price_minor)::bigint, price_minor),
    currency = coalesce(sqlc.narg(currency)::text, currency),
    active = coalesce(sqlc.narg(active)::boolean, active),
    requires_confirmation = coalesce(sqlc.narg(requires_confirmation)::boolean, requires_confirmation),
    version = version + 1, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
  AND (sqlc.narg(if_version)::integer IS NULL OR version = sqlc.narg(if_version)::integer)
RETURNING *;

-- name: DeleteService :execrows
DELETE FROM services WHERE tenant_id = @tenant_id AND id = @id;

-- name: LockServices :many
SELECT id FROM services WHERE tenant_id = @tenant_id AND id = ANY(@ids::uuid[]) ORDER BY id FOR UPDATE;

-- name: SetServicesActive :many
UPDATE services SET active = @active, version = version + 1, updated_at = now()
WHERE tenant_id = @tenant_id AND id = ANY(@ids::uuid[]) AND active <> @active
RETURNING *;

-- name: DeleteServices :execrows
DELETE FROM services WHERE tenant_id = @tenant_id AND id = ANY(@ids::uuid[]);

-- name: ServiceSlugTaken :one
SELECT EXISTS (SELECT 1 FROM services WHERE tenant_id = @tenant_id AND slug = @slug)::bool;

-- name: InsertServiceVersion :exec
INSERT INTO service_versions (tenant_id, service_id, version, snapshot, changed_by_member_id)
VALUES (@tenant_id, @service_id, @version, @snapshot, sqlc.narg(changed_by_member_id));

-- name: ListServiceVersions :many
SELECT v.version, v.snapshot, v.changed_by_member_id, m.display_name AS changed_by_name, v.created_at
FROM service_versions v
LEFT JOIN members m ON m.tenant_id = v.tenant_id AND m.id = v.changed_by_member_id
WHERE v.tenant_id = @tenant_id AND v.service_id = @service_id
ORDER BY v.version DESC
LIMIT @max_rows;

-- name: ServiceStats :one
SELECT count(b.id)::bigint                                                                 AS bookings,
       count(b.id) FILTER (WHERE b.status IN ('pending', 'confirmed'))::bigint              AS upcoming_or_open,
       count(b.id) FILTER (WHERE b.status = 'completed')::bigint                           AS completed,
       count(b.id) FILTER (WHERE b.status = 'cancelled')::bigint                           AS cancelled,
       coalesce(sum(b.price_minor) FILTER (WHERE b.status = 'completed'), 0)::bigint       AS revenue_minor,
       coalesce(max(b.starts_at), 'epoch'::timestamptz)::timestamptz                      AS last_booking_at,
       (SELECT count(*) FROM service_requests r
        WHERE r.tenant_id = @tenant_id AND r.service_id = @service_id)::bigint             AS requests
FROM bookings b
WHERE b.tenant_id = @tenant_id AND b.service_id = @service_id;

-- name: ListPublicServices :many
SELECT * FROM services
WHERE tenant_id = @tenant_id AND active AND archived_at IS NULL
ORDER BY name, id
LIMIT 500;
