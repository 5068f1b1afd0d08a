-- The mail a tenant's jobs send, logged per tenant, and recurring service
-- requests. Conventions: see 00001.
--
-- mail_deliveries: one row per mail a job tried to send, written by the job
-- in its tenant's transaction, read by the tenant's admins, purged after
-- 90 days by the tenant's purge job. It references no tenant row: a mail
-- stays logged when the request or booking it was about is deleted.
--
-- recurrence_rules: a rule repeating a service request (its template)
-- weekly or monthly; recurrence_occurrences: one row per date a rule made a
-- request for. Their primary key (tenant_id, rule_id, occurrence_date) is
-- what makes each occurrence exactly once, however often and however
-- concurrently the recurrence job runs.
--
-- Like every tenant table created after 00011 and 00013, these take the
-- suspension policy (tenant_active) and the platform grants' policies here.

-- +goose Up
CREATE TABLE mail_deliveries (
    tenant_id  uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id         uuid NOT NULL DEFAULT gen_random_uuid(),
    kind       text NOT NULL CHECK (length(kind) BETWEEN 1 AND 64),
    recipient  text NOT NULL CHECK (length(recipient) BETWEEN 1 AND 254),
    subject    text NOT NULL CHECK (length(subject) <= 500),
    result     text NOT NULL CHECK (result IN ('sent', 'failed')),
    error      text NOT NULL DEFAULT '' CHECK (length(error) <= 500),
    created_at timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX mail_deliveries_tenant_id_created_idx ON mail_deliveries (tenant_id, created_at DESC, id DESC);
ALTER TABLE mail_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE mail_deliveries FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON mail_deliveries AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY tenant_active ON mail_deliveries AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT tn.id FROM tenants tn
                        WHERE tn.id = nullif(current_setting('app.current_tenant_id', true), '')::uuid AND tn.status = 'active'));
CREATE POLICY app_all ON mail_deliveries FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_granted_read ON mail_deliveries FOR SELECT TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g WHERE g.ended_at IS NULL AND g.expires_at > now())
    OR EXISTS (SELECT 1 FROM platform_grants g WHERE g.target_tenant_id IS NULL AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_granted_delete ON mail_deliveries FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_delete_granted_only ON mail_deliveries AS RESTRICTIVE FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
GRANT SELECT, DELETE ON mail_deliveries TO tenantkit_platform;
GRANT SELECT, INSERT, DELETE ON mail_deliveries TO tenantkit_app;

CREATE TABLE recurrence_rules (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    service_request_id   uuid NOT NULL,
    frequency            text NOT NULL CHECK (frequency IN ('weekly', 'monthly')),
    every                integer NOT NULL CHECK (every BETWEEN 1 AND 52),
    starts_on            date NOT NULL,
    until_on             date CHECK (until_on IS NULL OR until_on >= starts_on),
    max_count            integer CHECK (max_count IS NULL OR max_count BETWEEN 1 AND 1000),
    created_by_member_id uuid,
    created_at           timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, created_by_member_id) REFERENCES members (tenant_id, id)
);
CREATE INDEX recurrence_rules_tenant_id_created_idx ON recurrence_rules (tenant_id, created_at DESC, id DESC);
CREATE INDEX recurrence_rules_tenant_id_request_idx ON recurrence_rules (tenant_id, service_request_id);
CREATE INDEX recurrence_rules_tenant_id_created_by_idx ON recurrence_rules (tenant_id, created_by_member_id);
ALTER TABLE recurrence_rules ENABLE ROW LEVEL SECURITY;
ALTER TABLE recurrence_rules FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recurrence_rules AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY tenant_active ON recurrence_rules AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT tn.id FROM tenants tn
                        WHERE tn.id = nullif(current_setting('app.current_tenant_id', true), '')::uuid AND tn.status = 'active'));
CREATE POLICY app_all ON recurrence_rules FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_granted_read ON recurrence_rules FOR SELECT TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g WHERE g.ended_at IS NULL AND g.expires_at > now())
    OR EXISTS (SELECT 1 FROM platform_grants g WHERE g.target_tenant_id IS NULL AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_granted_delete ON recurrence_rules FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_delete_granted_only ON recurrence_rules AS RESTRICTIVE FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
GRANT SELECT, DELETE ON recurrence_rules TO tenantkit_platform;
GRANT SELECT, INSERT, DELETE ON recurrence_rules TO tenantkit_app;

CREATE TABLE recurrence_occurrences (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    rule_id            uuid NOT NULL,
    occurrence_date    date NOT NULL,
    -- NULL once the request made for it is deleted: the date stays made.
    service_request_id uuid,
    created_at         timestamptz NOT NULL,
    PRIMARY KEY (tenant_id, rule_id, occurrence_date),
    FOREIGN KEY (tenant_id, rule_id) REFERENCES recurrence_rules (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id) ON DELETE SET NULL (service_request_id)
);
CREATE INDEX recurrence_occurrences_tenant_id_request_idx ON recurrence_occurrences (tenant_id, service_request_id);
ALTER TABLE recurrence_occurrences ENABLE ROW LEVEL SECURITY;
ALTER TABLE recurrence_occurrences FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON recurrence_occurrences AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY tenant_active ON recurrence_occurrences AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT tn.id FROM tenants tn
                        WHERE tn.id = nullif(current_setting('app.current_tenant_id', true), '')::uuid AND tn.status = 'active'));
CREATE POLICY app_all ON recurrence_occurrences FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
CREATE POLICY platform_granted_read ON recurrence_occurrences FOR SELECT TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g WHERE g.ended_at IS NULL AND g.expires_at > now())
    OR EXISTS (SELECT 1 FROM platform_grants g WHERE g.target_tenant_id IS NULL AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_granted_delete ON recurrence_occurrences FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
CREATE POLICY platform_delete_granted_only ON recurrence_occurrences AS RESTRICTIVE FOR DELETE TO tenantkit_platform USING (
    tenant_id IN (SELECT g.target_tenant_id FROM platform_grants g
                  WHERE g.purpose = 'delete' AND g.ended_at IS NULL AND g.expires_at > now()));
GRANT SELECT, DELETE ON recurrence_occurrences TO tenantkit_platform;
GRANT SELECT, INSERT ON recurrence_occurrences TO tenantkit_app;
GRANT UPDATE (service_request_id) ON recurrence_occurrences TO tenantkit_app;

-- +goose Down
DROP TABLE recurrence_occurrences;
DROP TABLE recurrence_rules;
DROP TABLE mail_deliveries;
