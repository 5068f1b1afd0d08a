-- The instances of one deployment, for limits that hold across them. No
-- tenant data: each running tenantkit announces itself here every few
-- seconds and counts the others that did, then takes 1/N of each
-- configured per-tenant limit (app.Config.SharedLimits). Nothing reads a
-- row per request. Conventions: see 00001.
--
-- The app role writes it: the instances are the app role's processes. A
-- statement that writes rows here can at worst change the count an
-- instance divides by: more rows make every tenant's limits stricter,
-- fewer make them looser, never more than the configured limit per
-- instance; no tenant's rows are reachable from it.

-- +goose Up
CREATE TABLE instances (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    started_at timestamptz NOT NULL DEFAULT now(),
    seen_at    timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, DELETE ON instances TO tenantkit_app;
GRANT UPDATE (seen_at) ON instances TO tenantkit_app;

-- +goose Down
DROP TABLE instances;
