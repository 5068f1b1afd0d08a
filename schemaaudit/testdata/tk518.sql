-- The app role is a member of pg_signal_backend: it ends other tenants'
-- sessions.
-- expect: TK518 role :app
GRANT pg_signal_backend TO :"app";
