package schema

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

// RiverSchema is the schema of River's tables (the job queue). It is
// outside row security's tenant rules: its rows are jobs, not tenant data,
// and the tenant a job acts for travels in its arguments. The app role may
// only insert its own tenant's jobs there (riverPrivileges).
const RiverSchema = "river"

// riverPrivileges are the privileges on River's tables, applied by
// migrateRiver as the owner after River's own migrator, every time (River's
// migrations create the tables; who may touch them is tenantkit's).
// Idempotent.
//
// tenantkit_jobs is River's role: it fetches, runs the bookkeeping of and
// completes jobs, and reaches nothing outside this schema.
//
// tenantkit_app inserts jobs, in the tenant transaction of the change that
// causes them (River's InsertTx), and nothing else:
//   - INSERT only on the columns River's insert names, so a job cannot be
//     inserted as already running, attempted or finalized;
//   - row security admits a new job only when its arguments name the
//     transaction's tenant ("tenant_id"), and only as available or
//     scheduled: a statement injected in tenant A's transaction cannot
//     plant a job that runs in tenant B's scope;
//   - SELECT, because River's insert returns the row it wrote (RETURNING),
//     confined by row security to the transaction's tenant's jobs;
//   - UPDATE (kind), only because River's insert is INSERT … ON CONFLICT
//     DO UPDATE SET kind = kind (its unique jobs) and PostgreSQL checks that
//     privilege when it plans the statement; no UPDATE policy admits the
//     app role, so it updates no row, and a conflict fails;
//   - USAGE on the id sequence, and on the schema (its enum type and the
//     function the insert's conflict clause calls).
//
// No DELETE, no TRUNCATE, no access to the leader, queue and client tables.
const riverPrivileges = `
REVOKE ALL ON SCHEMA river FROM PUBLIC;
GRANT USAGE ON SCHEMA river TO tenantkit_app, tenantkit_jobs;

REVOKE ALL ON ALL TABLES IN SCHEMA river FROM PUBLIC, tenantkit_app, tenantkit_platform, tenantkit_jobs;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA river FROM PUBLIC, tenantkit_app, tenantkit_platform, tenantkit_jobs;

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA river TO tenantkit_jobs;
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA river TO tenantkit_jobs;

GRANT INSERT (id, args, created_at, kind, max_attempts, metadata, priority, queue, scheduled_at, state, tags, unique_key, unique_states)
    ON river.river_job TO tenantkit_app;
GRANT SELECT ON river.river_job TO tenantkit_app;
GRANT UPDATE (kind) ON river.river_job TO tenantkit_app;
GRANT USAGE ON SEQUENCE river.river_job_id_seq TO tenantkit_app;

ALTER TABLE river.river_job ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS jobs_all ON river.river_job;
DROP POLICY IF EXISTS app_insert_own_tenant ON river.river_job;
DROP POLICY IF EXISTS app_read_own_tenant ON river.river_job;
CREATE POLICY jobs_all ON river.river_job FOR ALL TO tenantkit_jobs USING (true) WITH CHECK (true);
CREATE POLICY app_insert_own_tenant ON river.river_job FOR INSERT TO tenantkit_app
    WITH CHECK (
        (args ->> 'tenant_id')::uuid = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid)
        AND state IN ('available', 'scheduled')
    );
CREATE POLICY app_read_own_tenant ON river.river_job FOR SELECT TO tenantkit_app
    USING ((args ->> 'tenant_id')::uuid = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
`

// migrateRiver brings River's tables in RiverSchema up to the version of
// the River library built in, with River's own migrator (each of its
// migrations in a transaction of its own: a new enum value must commit
// before use), then applies tenantkit's privileges on them, as the owner.
func migrateRiver(ctx context.Context, cfg *pgx.ConnConfig, logger *slog.Logger) error {
	lock, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("river migrations: connect: %w", err)
	}
	defer lock.Close(ctx)
	// Two processes migrating at once take turns.
	if _, err := lock.Exec(ctx, "SELECT pg_advisory_lock(hashtext('tenantkit-river-migrate'))"); err != nil {
		return fmt.Errorf("river migrations: lock: %w", err)
	}
	pcfg, err := pgxpool.ParseConfig("")
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	pcfg.ConnConfig = cfg.Copy()
	pcfg.MaxConns = 1
	pool, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return fmt.Errorf("river migrations: connect: %w", err)
	}
	defer pool.Close()
	// River's migrator logs each version itself; the lines below say it
	// once, through the caller's logger.
	m, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Schema: RiverSchema, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	res, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil)
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if logger != nil {
		for _, v := range res.Versions {
			logger.InfoContext(ctx, "river migration applied", slog.Int("version", v.Version), slog.Duration("duration", v.Duration))
		}
	}
	// The privileges in one transaction: no moment where they are half set.
	if _, err := lock.PgConn().Exec(ctx, riverPrivilegesTx).ReadAll(); err != nil {
		return fmt.Errorf("river privileges: %w", err)
	}
	return nil
}

const riverPrivilegesTx = "BEGIN;" + riverPrivileges + "COMMIT;"
