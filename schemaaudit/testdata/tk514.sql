-- The app role can SET ROLE to a role with CREATEDB.
-- expect: TK514 role :app
ALTER ROLE :"other" CREATEDB;
GRANT :"other" TO :"app";
