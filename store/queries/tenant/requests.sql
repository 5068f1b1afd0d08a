-- name: CreateServiceRequest :one
INSERT INTO service_requests (tenant_id, client_member_id, service_id, title, details, priority, due_on, source,
                              created_by_member_id, assigned_member_id)
VALUES (@tenant_id, @client_member_id, sqlc.narg(service_id), @title, @details, @priority, sqlc.narg(due_on),
        @source, sqlc.narg(created_by_member_id), sqlc.narg(assigned_member_id))
RETURNING *;

-- name: SetServiceRequestStatus :one
UPDATE service_requests SET status = @status, updated_at = now()
WHERE tenant_id = @tenant_id AND id = @id
RETURNING *;

-- name: InsertServiceRequestEvent :exec
INSERT INTO service_request_events (tenant_id, service_request_id, from_status, to_status, actor_member_id, note)
VALUES (@tenant_id, @service_request_id, sqlc.narg(from_status), @to_status, sqlc.narg(actor_member_id), @note);

-- name: CreateServiceRequestComment :one
INSERT INTO service_request_comments (tenant_id, service_request_id, author_member_id, body, visibility)
VALUES (@tenant_id, @service_request_id, @author_member_id, @body, @visibility)
RETURNING *;
