-- Default privileges of the role that creates the tables (:"other" stands
-- in for the owner) give the app role access to tables not created yet:
-- in the schema of the tenant tables, any access; in every schema, any
-- access (here through PUBLIC); elsewhere TRUNCATE and REFERENCES. A
-- plain SELECT on future tables of a schema without tenant tables is
-- left alone, and stays after the fixes.
-- expect: TK520 default privileges of :other in schema public
-- expect: TK520 default privileges of :other in every schema
-- expect: TK520 default privileges of :other in schema reports
ALTER DEFAULT PRIVILEGES FOR ROLE :"other" IN SCHEMA public GRANT SELECT, INSERT ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"other" GRANT UPDATE ON TABLES TO PUBLIC;
CREATE SCHEMA reports;
ALTER DEFAULT PRIVILEGES FOR ROLE :"other" IN SCHEMA reports GRANT SELECT, TRUNCATE ON TABLES TO :"app";
