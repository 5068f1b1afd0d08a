-- name: GetTenant :one
SELECT id, slug, name, status, created_at FROM tenants WHERE id = @tenant_id;
