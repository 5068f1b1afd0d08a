-- When and from where a session was last used. Conventions: see 00001.
--
-- The per-request check of a tenant session (CheckSession) ends a session
-- idle for longer than the tenant's idle_timeout_minutes and records the
-- use of a live one, in the same statement: no extra round trip. It writes
-- last_used_at at most once a minute per session.

-- +goose Up
-- Sessions open before this migration count as used when it ran.
ALTER TABLE sessions ADD COLUMN last_used_at timestamptz NOT NULL DEFAULT now();
ALTER TABLE sessions ALTER COLUMN last_used_at DROP DEFAULT;
ALTER TABLE sessions ADD COLUMN client_address text NOT NULL DEFAULT '' CHECK (length(client_address) <= 64);
GRANT UPDATE (last_used_at) ON sessions TO tenantkit_app;

-- +goose Down
ALTER TABLE sessions DROP COLUMN client_address;
ALTER TABLE sessions DROP COLUMN last_used_at;
