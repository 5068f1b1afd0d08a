-- name: CreateService :one
INSERT INTO services (tenant_id, slug, name, description, duration_minutes, price_minor, currency, active,
                      requires_confirmation)
VALUES (@tenant_id, @slug, @name, @description, @duration_minutes, @price_minor, @currency, @active,
        @requires_confirmation)
RETURNING *;

-- name: GetService :one
SELECT * FROM services WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListServicesPage :many
-- Keyset page over (name, id).
SELECT * FROM services
WHERE tenant_id = @tenant_id
  AND (NOT @has_after::bool OR (name, id) > (@after_name::text, @after_id::uuid))
ORDER BY name, id
LIMIT @page_size;

-- name: InsertServiceVersion :exec
INSERT INTO service_versions (tenant_id, service_id, version, snapshot, changed_by_member_id)
VALUES (@tenant_id, @service_id, @version, @snapshot, sqlc.narg(changed_by_member_id));
