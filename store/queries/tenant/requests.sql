-- Rows are stamped by the caller's clock (@created_at), read anew for each
-- row: several written in one transaction (a request and its first events,
-- a seed) then keep the order they were written in, which the lists sort
-- by, and the dates that analytics and filters count by are the
-- application's, not the database server's.

-- name: CreateServiceRequest :one
INSERT INTO service_requests (tenant_id, client_member_id, service_id, title, details, priority, due_on, source,
                              created_by_member_id, assigned_member_id, created_at, updated_at)
VALUES (@tenant_id, @client_member_id, sqlc.narg(service_id), @title, @details, @priority, sqlc.narg(due_on),
        @source, sqlc.narg(created_by_member_id), sqlc.narg(assigned_member_id), @created_at, @created_at)
RETURNING *;

-- name: SetServiceRequestStatus :one
UPDATE service_requests SET status = @status, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: InsertServiceRequestEvent :exec
INSERT INTO service_request_events (tenant_id, service_request_id, from_status, to_status, actor_member_id, note, created_at)
VALUES (@tenant_id, @service_request_id, sqlc.narg(from_status), @to_status, sqlc.narg(actor_member_id), @note, @created_at);

-- name: CreateServiceRequestComment :one
INSERT INTO service_request_comments (tenant_id, service_request_id, author_member_id, body, visibility, created_at)
VALUES (@tenant_id, @service_request_id, @author_member_id, @body, @visibility, @created_at)
RETURNING *;

-- GetServiceRequest reads a request with the names shown beside it (its
-- client, assignee and service); package requests decides which of them a
-- client sees. With client_member_id (the portal), only that client's
-- request answers.

-- name: GetServiceRequest :one
SELECT sqlc.embed(r), c.display_name AS client_name, a.display_name AS assigned_name,
       s.name AS service_name, s.slug AS service_slug
FROM service_requests r
JOIN members c ON c.tenant_id = r.tenant_id AND c.id = r.client_member_id
LEFT JOIN members a ON a.tenant_id = r.tenant_id AND a.id = r.assigned_member_id
LEFT JOIN services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
WHERE r.tenant_id = @tenant_id AND r.id = @id
  AND (sqlc.narg(client_member_id)::uuid IS NULL OR r.client_member_id = sqlc.narg(client_member_id)::uuid);

-- ListServiceRequests is the filtered keyset page over (created_at, id),
-- newest first. Date bounds are strict; created_after is inclusive and
-- created_before exclusive.

-- name: ListServiceRequests :many
SELECT sqlc.embed(r), c.display_name AS client_name, a.display_name AS assigned_name,
       s.name AS service_name, s.slug AS service_slug
FROM service_requests r
JOIN members c ON c.tenant_id = r.tenant_id AND c.id = r.client_member_id
LEFT JOIN members a ON a.tenant_id = r.tenant_id AND a.id = r.assigned_member_id
LEFT JOIN services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
WHERE r.tenant_id = @tenant_id
  AND (sqlc.narg(status)::text IS NULL OR r.status = sqlc.narg(status)::text)
  AND (sqlc.narg(client_member_id)::uuid IS NULL OR r.client_member_id = sqlc.narg(client_member_id)::uuid)
  AND (sqlc.narg(assigned_member_id)::uuid IS NULL OR r.assigned_member_id = sqlc.narg(assigned_member_id)::uuid)
  AND (NOT @unassigned::bool OR r.assigned_member_id IS NULL)
  AND (sqlc.narg(service_id)::uuid IS NULL OR r.service_id = sqlc.narg(service_id)::uuid)
  AND (sqlc.narg(priority)::text IS NULL OR r.priority = sqlc.narg(priority)::text)
  AND (sqlc.narg(due_before)::date IS NULL OR r.due_on < sqlc.narg(due_before)::date)
  AND (sqlc.narg(due_after)::date IS NULL OR r.due_on > sqlc.narg(due_after)::date)
  AND (sqlc.narg(created_after)::timestamptz IS NULL OR r.created_at >= sqlc.narg(created_after)::timestamptz)
  AND (sqlc.narg(created_before)::timestamptz IS NULL OR r.created_at < sqlc.narg(created_before)::timestamptz)
  AND (sqlc.narg(title_like)::text IS NULL OR r.title ILIKE sqlc.narg(title_like)::text OR c.display_name ILIKE sqlc.narg(title_like)::text)
  AND (NOT @has_after::bool OR (r.created_at, r.id) < (@after_created_at::timestamptz, @after_id::uuid))
ORDER BY r.created_at DESC, r.id DESC
LIMIT @page_size;

-- name: GetServiceRequestForUpdate :one
SELECT * FROM service_requests
WHERE tenant_id = @tenant_id AND id = @id
  AND (sqlc.narg(client_member_id)::uuid IS NULL OR client_member_id = sqlc.narg(client_member_id)::uuid)
FOR UPDATE;

-- name: PatchServiceRequest :one
-- Changes the fields given (a NULL leaves one as it is); with set_due_on
-- or set_service_id the field takes the value given, NULL clearing it.
UPDATE service_requests
SET title = coalesce(sqlc.narg(title), title),
    details = coalesce(sqlc.narg(details), details),
    priority = coalesce(sqlc.narg(priority), priority),
    due_on = CASE WHEN @set_due_on::boolean THEN sqlc.narg(due_on) ELSE due_on END,
    service_id = CASE WHEN @set_service_id::boolean THEN sqlc.narg(service_id) ELSE service_id END,
    updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: SetServiceRequestAssignee :one
UPDATE service_requests SET assigned_member_id = sqlc.narg(assigned_member_id), updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: DeleteServiceRequest :execrows
DELETE FROM service_requests WHERE tenant_id = @tenant_id AND id = @id;

-- name: ListServiceRequestTransitionsTo :many
SELECT from_status FROM service_request_transitions WHERE to_status = @to_status ORDER BY from_status;

-- name: ListServiceRequestTransitionsFrom :many
SELECT to_status FROM service_request_transitions WHERE from_status = @from_status ORDER BY to_status;

-- name: ListServiceRequestEvents :many
SELECT sqlc.embed(e), m.display_name AS actor_name
FROM service_request_events e
LEFT JOIN members m ON m.tenant_id = e.tenant_id AND m.id = e.actor_member_id
WHERE e.tenant_id = @tenant_id AND e.service_request_id = @service_request_id
  AND (NOT @has_after::bool OR (e.created_at, e.id) > (@after_created_at::timestamptz, @after_id::uuid))
ORDER BY e.created_at, e.id
LIMIT @page_size;

-- ListServiceRequestComments pages a request's comments, oldest first;
-- client_only leaves out the internal ones.

-- name: ListServiceRequestComments :many
SELECT sqlc.embed(c), m.display_name AS author_name
FROM service_request_comments c
JOIN members m ON m.tenant_id = c.tenant_id AND m.id = c.author_member_id
WHERE c.tenant_id = @tenant_id AND c.service_request_id = @service_request_id
  AND (NOT @client_only::bool OR c.visibility = 'client')
  AND (NOT @has_after::bool OR (c.created_at, c.id) > (@after_created_at::timestamptz, @after_id::uuid))
ORDER BY c.created_at, c.id
LIMIT @page_size;

-- name: GetServiceRequestComment :one
SELECT sqlc.embed(c), m.display_name AS author_name
FROM service_request_comments c
JOIN members m ON m.tenant_id = c.tenant_id AND m.id = c.author_member_id
WHERE c.tenant_id = @tenant_id AND c.service_request_id = @service_request_id AND c.id = @id;

-- name: DeleteServiceRequestComment :execrows
DELETE FROM service_request_comments
WHERE tenant_id = @tenant_id AND service_request_id = @service_request_id AND id = @id;

-- name: GetActiveServiceBySlug :one
SELECT * FROM services WHERE tenant_id = @tenant_id AND slug = @slug AND active AND archived_at IS NULL;

-- CreateClientMemberIfAbsent adds account_id as a client; nothing (no row)
-- when the account already holds a membership, live or removed.

-- name: CreateClientMemberIfAbsent :one
INSERT INTO members (tenant_id, account_id, role, display_name)
VALUES (@tenant_id, @account_id, 'client', @display_name)
ON CONFLICT (tenant_id, account_id) DO NOTHING
RETURNING *;

-- ServiceRequestAnalytics counts the requests created in [from_at, to_at)
-- by status, by service and by month in time_zone, in one statement (one
-- snapshot): dimension is 'status', 'service' or 'month'; key the status,
-- the service id ('' for none) or the month (YYYY-MM); label the service's
-- name.

-- name: ServiceRequestAnalytics :many
WITH r AS (
    SELECT r.status, r.service_id, s.name AS service_name,
           to_char(r.created_at AT TIME ZONE @time_zone::text, 'YYYY-MM') AS month
    FROM service_requests r
    LEFT JOIN services s ON s.tenant_id = r.tenant_id AND s.id = r.service_id
    WHERE r.tenant_id = @tenant_id AND r.created_at >= @from_at::timestamptz AND r.created_at < @to_at::timestamptz
)
SELECT 'status'::text AS dimension, r.status::text AS key, ''::text AS label, count(*)::bigint AS count
FROM r GROUP BY r.status
UNION ALL
SELECT 'service'::text, coalesce(r.service_id::text, '')::text, coalesce(max(r.service_name), '')::text, count(*)::bigint
FROM r GROUP BY r.service_id
UNION ALL
SELECT 'month'::text, r.month::text, ''::text, count(*)::bigint
FROM r GROUP BY r.month
ORDER BY 1, 2;

-- Submissions of the public form, held until their address confirms them.

-- name: CreatePublicSubmission :one
INSERT INTO public_submissions (tenant_id, email, name, title, details, service_id, token_hash, created_at, expires_at)
VALUES (@tenant_id, @email, @name, @title, @details, sqlc.narg(service_id), @token_hash, @created_at, @expires_at)
RETURNING *;

-- name: LockOpenPublicSubmission :one
SELECT * FROM public_submissions
WHERE tenant_id = @tenant_id AND token_hash = @token_hash AND confirmed_at IS NULL AND expires_at > @now
FOR UPDATE;

-- name: ConfirmPublicSubmission :exec
UPDATE public_submissions SET confirmed_at = sqlc.arg(now)::timestamptz, service_request_id = sqlc.arg(service_request_id)::uuid
WHERE tenant_id = @tenant_id AND id = @id AND confirmed_at IS NULL;
