-- The app role can SET ROLE to a role with REPLICATION, and use the
-- replication functions of SQL as it.
-- expect: TK513 role :app
ALTER ROLE :"other" REPLICATION;
GRANT :"other" TO :"app";
