-- The app role has CREATEROLE. Up to PostgreSQL 15 it can grant itself
-- membership in any role but a superuser: the tables' owner, or
-- pg_execute_server_program. From 16 it needs ADMIN OPTION on the role.
-- expect: TK509 role :app
ALTER ROLE :"app" CREATEROLE;
