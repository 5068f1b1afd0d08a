-- name: CreateTaskTemplate :one
INSERT INTO task_templates (tenant_id, name, description, checklist, default_due_days)
VALUES (@tenant_id, @name, @description, @checklist, sqlc.narg(default_due_days))
RETURNING *;

-- name: CreateTask :one
INSERT INTO tasks (tenant_id, template_id, service_request_id, title, description, status, priority,
                   assignee_member_id, due_at, completed_at, created_by_member_id)
VALUES (@tenant_id, sqlc.narg(template_id), sqlc.narg(service_request_id), @title, @description, @status, @priority,
        sqlc.narg(assignee_member_id), sqlc.narg(due_at), sqlc.narg(completed_at), sqlc.narg(created_by_member_id))
RETURNING *;

-- name: CreateExpense :one
INSERT INTO expenses (tenant_id, member_id, service_request_id, category, description, amount_minor, currency,
                      incurred_on, status)
VALUES (@tenant_id, @member_id, sqlc.narg(service_request_id), @category, @description, @amount_minor, @currency,
        @incurred_on, @status)
RETURNING *;

-- name: CreatePost :one
INSERT INTO posts (tenant_id, slug, title, excerpt, body, status, published_at, author_member_id)
VALUES (@tenant_id, @slug, @title, @excerpt, @body, @status, sqlc.narg(published_at), sqlc.narg(author_member_id))
RETURNING *;

-- name: UpsertClientPreferences :one
INSERT INTO client_preferences AS p (tenant_id, member_id, preferred_staff_member_id, reminder_minutes_before,
                                     contact_channel, phone, notes)
VALUES (@tenant_id, @member_id, sqlc.narg(preferred_staff_member_id), sqlc.narg(reminder_minutes_before),
        @contact_channel, @phone, @notes)
ON CONFLICT (tenant_id, member_id) DO UPDATE
SET preferred_staff_member_id = excluded.preferred_staff_member_id,
    reminder_minutes_before = excluded.reminder_minutes_before, contact_channel = excluded.contact_channel,
    phone = excluded.phone, notes = excluded.notes, updated_at = now()
RETURNING *;
