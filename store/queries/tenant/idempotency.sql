-- ClaimIdempotencyKey claims a key for a request; no row means the key is
-- already taken (look it up).

-- name: ClaimIdempotencyKey :one
INSERT INTO idempotency_keys (tenant_id, account_id, operation, key, request_hash, created_at, lease_until, expires_at)
VALUES (@tenant_id, @account_id, @operation, @key, @request_hash, sqlc.arg(now)::timestamptz,
        sqlc.arg(now)::timestamptz + make_interval(secs => @lease_seconds::int), @expires_at)
ON CONFLICT (tenant_id, account_id, operation, key) DO NOTHING
RETURNING *;

-- name: GetIdempotencyKey :one
SELECT * FROM idempotency_keys
WHERE tenant_id = @tenant_id AND account_id = @account_id AND operation = @operation AND key = @key;

-- TakeOverIdempotencyKey re-claims a key whose holder died before its work
-- committed (its lease ran out in flight), or an expired one.

-- name: TakeOverIdempotencyKey :one
UPDATE idempotency_keys
SET lease_until = sqlc.arg(now)::timestamptz + make_interval(secs => @lease_seconds::int), request_hash = @request_hash,
    state = 'in_flight', response = NULL, response_status = NULL
WHERE tenant_id = @tenant_id AND id = @id
  AND ((state = 'in_flight' AND lease_until < sqlc.arg(now)::timestamptz) OR expires_at < sqlc.arg(now)::timestamptz)
RETURNING *;

-- name: MarkIdempotencyKeyCommitted :execrows
UPDATE idempotency_keys SET state = 'committed'
WHERE tenant_id = @tenant_id AND id = @id AND state = 'in_flight';

-- name: CompleteIdempotencyKey :exec
UPDATE idempotency_keys SET state = 'completed', response_status = @response_status, response = @response
WHERE tenant_id = @tenant_id AND id = @id;

-- name: ReleaseIdempotencyKey :exec
DELETE FROM idempotency_keys WHERE tenant_id = @tenant_id AND id = @id AND state = 'in_flight';
