-- The app role has REPLICATION: a replication connection streams the WAL,
-- which carries every tenant's rows; with wal_level = logical the slot
-- functions decode them over plain SQL.
-- expect: TK510 role :app
ALTER ROLE :"app" REPLICATION;
