-- Recurring service requests: the rules and the occurrences they made.

-- name: CreateRecurrenceRule :one
INSERT INTO recurrence_rules (tenant_id, service_request_id, frequency, every, starts_on, until_on, max_count,
                              created_by_member_id, created_at)
VALUES (@tenant_id, @service_request_id, @frequency, @every, @starts_on, sqlc.narg(until_on), sqlc.narg(max_count),
        sqlc.narg(created_by_member_id), @created_at)
RETURNING *;

-- name: GetRecurrenceRule :one
SELECT * FROM recurrence_rules WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListRecurrenceRules :many
-- A keyset page over (created_at, id), newest first.
SELECT * FROM recurrence_rules
WHERE tenant_id = @tenant_id
  AND (NOT @has_after::bool OR (created_at, id) < (@after_created_at::timestamptz, @after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: ListAllRecurrenceRules :many
SELECT * FROM recurrence_rules WHERE tenant_id = @tenant_id ORDER BY id;

-- name: UpdateRecurrenceRule :one
UPDATE recurrence_rules
SET frequency = @frequency, every = @every, starts_on = @starts_on, until_on = sqlc.narg(until_on), max_count = sqlc.narg(max_count)
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: DeleteRecurrenceRule :execrows
DELETE FROM recurrence_rules WHERE tenant_id = @tenant_id AND id = @id;

-- name: ClaimRecurrenceOccurrence :execrows
-- Claims one date of a rule: 1 when this call made it, 0 when it was made
-- before (or is being made by a transaction that holds it).
INSERT INTO recurrence_occurrences (tenant_id, rule_id, occurrence_date, created_at)
VALUES (@tenant_id, @rule_id, @occurrence_date, @created_at)
ON CONFLICT (tenant_id, rule_id, occurrence_date) DO NOTHING;

-- name: SetRecurrenceOccurrenceRequest :exec
UPDATE recurrence_occurrences SET service_request_id = @service_request_id
WHERE tenant_id = @tenant_id AND rule_id = @rule_id AND occurrence_date = @occurrence_date;

-- name: ListRecurrenceOccurrenceDates :many
SELECT occurrence_date FROM recurrence_occurrences
WHERE tenant_id = @tenant_id AND rule_id = @rule_id ORDER BY occurrence_date;
