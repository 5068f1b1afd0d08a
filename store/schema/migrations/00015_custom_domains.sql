-- Custom domains a firm registers itself. Conventions: see 00001.
--
-- A firm claims a domain (domain_claims, tenant-owned: two firms may each
-- hold a pending claim on the same name, so nobody can squat on another
-- firm's domain by claiming it first) and proves it controls its DNS with
-- a TXT record _tenantkit.<domain> holding the claim's token. Only then
-- does the domain go into tenant_domains, whose primary key is the domain:
-- one domain can never belong to two firms, and the host resolver serves
-- nothing else. Removal deletes both rows; a new claim has a new token and
-- must be verified again.
--
-- The app role writes tenant_domains for its own tenant only, while it is
-- active, and only a verified row that matches one of the tenant's claims
-- (domain and token): the row security of domain_claims decides which
-- claims the check sees. The DNS lookup itself is the application's.
--
-- domain_claims is created after 00011 and 00013 walked the catalog, so it
-- takes their policies (tenant_active, the platform grants') here.

-- +goose Up
CREATE TABLE domain_claims (
    tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id          uuid NOT NULL DEFAULT gen_random_uuid(),
    domain      text NOT NULL
                CHECK (domain = lower(domain) AND domain ~ '^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$'),
    token       text NOT NULL CHECK (length(token) BETWEEN 20 AND 100),
    verified_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, domain)
);
ALTER TABLE domain_claims ENABLE ROW LEVEL SECURITY;
ALTER TABLE domain_claims FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON domain_claims AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY tenant_active ON domain_claims AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT tn.id FROM tenants tn
                        WHERE tn.id = nullif(current_setting('app.current_tenant_id', true), '')::uuid AND tn.status = 'active'));
CREATE POLICY app_all ON domain_claims FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_granted_read ON domain_claims FOR SELECT TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g WHERE g.ended_at IS NULL AND g.expires_at > now())
    OR EXISTS (SELECT 1 FROM platform_grants g WHERE g.target_tenant_id IS NULL AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_granted_delete ON domain_claims FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_delete_granted_only ON domain_claims AS RESTRICTIVE FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
GRANT SELECT, INSERT, DELETE ON domain_claims TO tenantkit_app;
GRANT UPDATE (verified_at) ON domain_claims TO tenantkit_app;
GRANT SELECT, DELETE ON domain_claims TO tenantkit_platform;

CREATE POLICY app_insert_verified_claim ON tenant_domains FOR INSERT TO tenantkit_app
    WITH CHECK (
        tenant_id = (SELECT tn.id FROM tenants tn
                     WHERE tn.id = nullif(current_setting('app.current_tenant_id', true), '')::uuid AND tn.status = 'active')
        AND verified_at IS NOT NULL
        AND EXISTS (SELECT 1 FROM domain_claims c
                    WHERE c.tenant_id = tenant_domains.tenant_id AND c.domain = tenant_domains.domain
                      AND c.token = tenant_domains.verification_token));
CREATE POLICY app_delete_own ON tenant_domains FOR DELETE TO tenantkit_app
    USING (tenant_id = (SELECT tn.id FROM tenants tn
                        WHERE tn.id = nullif(current_setting('app.current_tenant_id', true), '')::uuid AND tn.status = 'active'));
GRANT INSERT (domain, tenant_id, verification_token, verified_at) ON tenant_domains TO tenantkit_app;
GRANT DELETE ON tenant_domains TO tenantkit_app;

-- +goose Down
REVOKE DELETE ON tenant_domains FROM tenantkit_app;
REVOKE INSERT (domain, tenant_id, verification_token, verified_at) ON tenant_domains FROM tenantkit_app;
DROP POLICY app_delete_own ON tenant_domains;
DROP POLICY app_insert_verified_claim ON tenant_domains;
DROP TABLE domain_claims;
