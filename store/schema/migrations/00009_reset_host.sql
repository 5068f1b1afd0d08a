-- A password reset link works only on the host that asked for it.
-- Conventions: see 00001.
--
-- A reset asked for on a tenant's host is mailed with a link to that
-- tenant's host and is redeemed only there (its subdomain or a verified
-- custom domain); one asked for on the apex host, only on the apex. A link
-- forwarded to, or phished through, another tenant's host opens nothing
-- there.

-- +goose Up
-- The tenant whose host asked for the reset; NULL: the apex host.
ALTER TABLE password_resets ADD COLUMN asked_on_tenant_id uuid REFERENCES tenants (id) ON DELETE CASCADE;
CREATE INDEX password_resets_asked_on_tenant_idx ON password_resets (asked_on_tenant_id);

-- +goose Down
ALTER TABLE password_resets DROP COLUMN asked_on_tenant_id;
