-- Mail to a tenant's staff and the tenant's delivery log.

-- name: ListStaffRecipients :many
-- The tenant's live members who work its requests: staff, admins, owners.
SELECT m.id, m.display_name, a.email
FROM members m
JOIN accounts a ON a.id = m.account_id
WHERE m.tenant_id = @tenant_id AND m.role IN ('staff', 'admin', 'owner') AND m.removed_at IS NULL
ORDER BY m.id;

-- name: GetRequestMail :one
SELECT r.id, r.title, r.status, r.source, r.assigned_member_id, c.display_name AS client_name
FROM service_requests r
JOIN members c ON c.tenant_id = r.tenant_id AND c.id = r.client_member_id
WHERE r.tenant_id = @tenant_id AND r.id = @id;

-- name: GetCommentMail :one
SELECT c.body, c.visibility, m.display_name AS author_name, m.role AS author_role
FROM service_request_comments c
JOIN members m ON m.tenant_id = c.tenant_id AND m.id = c.author_member_id
WHERE c.tenant_id = @tenant_id AND c.service_request_id = @service_request_id AND c.id = @id;

-- name: InsertMailDelivery :exec
INSERT INTO mail_deliveries (tenant_id, kind, recipient, subject, result, error, created_at, job_id)
VALUES (@tenant_id, @kind, @recipient, @subject, @result, @error, @created_at, sqlc.narg(job_id));

-- name: ListJobMailSent :many
-- The recipients a job's earlier attempts reached with mail of kind.
SELECT recipient FROM mail_deliveries
WHERE tenant_id = @tenant_id AND job_id = sqlc.arg(job_id)::bigint AND kind = @kind AND result = 'sent';

-- name: ListMailDeliveries :many
-- A keyset page over (created_at, id), newest first.
SELECT * FROM mail_deliveries
WHERE tenant_id = @tenant_id
  AND (NOT @has_after::bool OR (created_at, id) < (@after_created_at::timestamptz, @after_id::uuid))
ORDER BY created_at DESC, id DESC
LIMIT @page_size;

-- name: PurgeMailDeliveries :execrows
DELETE FROM mail_deliveries WHERE tenant_id = @tenant_id AND created_at <= sqlc.arg(before)::timestamptz;
