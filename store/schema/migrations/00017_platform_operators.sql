-- Platform operators. Conventions: see 00001.
--
-- An account listed here may run the tenant lifecycle over the API on the
-- apex host (web route policy "operator"). Only the platform role reads or
-- writes it, and only `tenantkit operator grant|revoke` (the CLI, on the
-- audited platform path) changes it: no request of the app role can make
-- an account an operator. A revoked grant is deleted; its history is the
-- platform audit log's. Platform data: the app role has no privilege on it.

-- +goose Up
CREATE TABLE platform_operators (
    account_id uuid PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL,
    granted_by text NOT NULL CHECK (length(granted_by) BETWEEN 1 AND 200),
    reason     text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000)
);
GRANT SELECT, INSERT, DELETE ON platform_operators TO tenantkit_platform;

-- +goose Down
DROP TABLE platform_operators;
