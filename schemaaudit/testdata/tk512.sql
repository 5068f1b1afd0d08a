-- The app role can SET ROLE to a role with CREATEROLE. It is NOINHERIT,
-- which stops privileges flowing without SET ROLE, not SET ROLE itself:
-- as the other role it grants itself what it wants (before PostgreSQL 16,
-- any role but a superuser).
-- expect: TK512 role :app
ALTER ROLE :"other" CREATEROLE;
ALTER ROLE :"app" NOINHERIT;
GRANT :"other" TO :"app";
