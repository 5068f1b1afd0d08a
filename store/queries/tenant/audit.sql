-- name: InsertAuditLog :exec
INSERT INTO audit_log (tenant_id, actor_account_id, actor_member_id, action, target_type, target_id, request_id, detail)
VALUES (@tenant_id, sqlc.narg(actor_account_id), sqlc.narg(actor_member_id), @action, @target_type,
        sqlc.narg(target_id), @request_id, @detail);

-- name: ListAuditLog :many
SELECT * FROM audit_log WHERE tenant_id = @tenant_id ORDER BY at DESC, id DESC LIMIT @max_rows;
