-- name: ListUsage :many
-- The tenant's usage rows of every instance in [since, until), by minute.
SELECT * FROM tenant_usage
WHERE tenant_id = @tenant_id AND minute >= @since AND minute < @until
ORDER BY minute, instance_id;
