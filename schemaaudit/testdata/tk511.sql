-- The app role has CREATEDB: databases of its own, outside every rule here.
-- expect: TK511 role :app
ALTER ROLE :"app" CREATEDB;
