-- The app role is a member of pg_monitor, and through it of
-- pg_read_all_stats: it sees every session's query text.
-- expect: TK517 role :app
GRANT pg_monitor TO :"app";
