-- The app role can SET ROLE to a role that row security does not hold to
-- one tenant: its policy admits every row, and the restrictive tenant
-- policy is for the app role only. tenantkit's platform role is such a
-- role, by design; the app role must not be able to become it.
-- expect: TK519 role :app
CREATE POLICY other_read ON projects FOR SELECT TO :"other" USING (true);
GRANT SELECT ON projects TO :"other";
GRANT :"other" TO :"app";
