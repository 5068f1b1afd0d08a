-- Proof of address and of origin. Conventions: see 00001.
--
-- An account gets credentials, or a request from a tenant's public form
-- reaches an account, only through a link mailed to the address; a switch
-- handoff is redeemed only from the origin that asked for it; an
-- invitation dies after a few wrong passwords instead of serving as an
-- unlimited password oracle.

-- +goose Up

-- Wrong passwords given with an invitation of an existing account: past a
-- handful the invitation is revoked (auth.MaxInvitationFailures).
ALTER TABLE invitations ADD COLUMN failed_attempts integer NOT NULL DEFAULT 0 CHECK (failed_attempts BETWEEN 0 AND 1000);
GRANT UPDATE (failed_attempts) ON invitations TO tenantkit_app;

-- The host that asked for a switch: a browser redeems the handoff only
-- from a page of that host (its Origin), so a link minted by one person
-- cannot sign another person's browser in. Empty for rows made before.
ALTER TABLE auth_handoffs ADD COLUMN origin_host text NOT NULL DEFAULT ''
    CHECK (origin_host = lower(origin_host) AND length(origin_host) <= 253);

-- A request sent with a tenant's public form, held until its address
-- confirms it by the mailed link. Until then it names no account and no
-- member: typing someone's address into the form attaches nothing to them.
CREATE TABLE public_submissions (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    email              text NOT NULL CHECK (email = lower(email) AND length(email) <= 254 AND email ~ '^[^@\s]+@[^@\s]+$'),
    name               text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    title              text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    details            text NOT NULL DEFAULT '' CHECK (length(details) <= 20000),
    service_id         uuid,
    token_hash         bytea NOT NULL CHECK (length(token_hash) = 32),
    created_at         timestamptz NOT NULL,
    expires_at         timestamptz NOT NULL,
    confirmed_at       timestamptz,
    service_request_id uuid,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, service_id) REFERENCES services (tenant_id, id) ON DELETE SET NULL (service_id),
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id) ON DELETE SET NULL (service_request_id),
    CHECK (expires_at > created_at AND expires_at <= created_at + interval '7 days'),
    -- The request exists only once the address confirmed it (and may be
    -- deleted later).
    CHECK (service_request_id IS NULL OR confirmed_at IS NOT NULL)
);
CREATE INDEX public_submissions_tenant_id_created_idx ON public_submissions (tenant_id, created_at DESC);
CREATE INDEX public_submissions_tenant_id_service_idx ON public_submissions (tenant_id, service_id);
CREATE INDEX public_submissions_tenant_id_request_idx ON public_submissions (tenant_id, service_request_id);
ALTER TABLE public_submissions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public_submissions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON public_submissions AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON public_submissions FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT ON public_submissions TO tenantkit_app;
GRANT UPDATE (confirmed_at, service_request_id) ON public_submissions TO tenantkit_app;

-- +goose Down
DROP TABLE public_submissions;
ALTER TABLE auth_handoffs DROP COLUMN origin_host;
ALTER TABLE invitations DROP COLUMN failed_attempts;
