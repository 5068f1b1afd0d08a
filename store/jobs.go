package store

import (
	"context"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/tenantkit/tenantkit/store/schema"
	"github.com/tenantkit/tenantkit/tenant"
)

// JobArgs are the arguments of a tenant's job: River's job arguments (a
// Kind, encoded as JSON) that name the tenant the job acts for, under the
// JSON key "tenant_id" (the key the river schema's row security reads).
type JobArgs interface {
	Kind() string
	JobTenantID() uuid.UUID
}

// newJobInserter returns the River client the store inserts jobs with: it
// has no pool and works no jobs, it only writes a job in a transaction it
// is given (see the jobs package for the client that works them).
func newJobInserter() (*river.Client[pgx.Tx], error) {
	c, err := river.NewClient(riverpgxv5.New(nil), &river.Config{Schema: schema.RiverSchema})
	if err != nil {
		return nil, fmt.Errorf("job inserter: %w", err)
	}
	return c, nil
}

// InsertJob inserts jobs in the tenant transaction, with River (all of
// them in one statement): they are worked only once the transaction
// commits, and a rolled-back transaction leaves none. Each job must name
// the transaction's tenant (CodeInternal otherwise, before any SQL); the
// database checks that too, with row security on River's job table. Only
// an InTenant transaction inserts jobs.
func (tx *Tx) InsertJob(ctx context.Context, args ...JobArgs) error {
	if len(args) == 0 {
		return nil
	}
	for _, a := range args {
		if a.JobTenantID() != tx.scope.TenantID || tx.scope.TenantID == uuid.Nil {
			return tenant.Errorf(tenant.CodeInternal, "job %s names tenant %s in a transaction of tenant %s", a.Kind(), a.JobTenantID(), tx.scope.TenantID)
		}
	}
	lt, ok := tx.conn.(*lazyTx)
	if !ok || tx.jobs == nil {
		return tenant.Errorf(tenant.CodeInternal, "job %s: only an InTenant transaction inserts jobs", args[0].Kind())
	}
	if lt.tx == nil {
		// Begin the transaction (BEGIN and the scope travel with it).
		if _, err := lt.Exec(ctx, "SELECT 1"); err != nil {
			return err
		}
	}
	if len(args) == 1 {
		if _, err := tx.jobs.InsertTx(ctx, lt.tx, args[0], nil); err != nil {
			return fmt.Errorf("insert job %s: %w", args[0].Kind(), err)
		}
		return nil
	}
	params := make([]river.InsertManyParams, len(args))
	for i, a := range args {
		params[i] = river.InsertManyParams{Args: a}
	}
	if _, err := tx.jobs.InsertManyTx(ctx, lt.tx, params); err != nil {
		return fmt.Errorf("insert jobs %s and %d more: %w", args[0].Kind(), len(args)-1, err)
	}
	return nil
}

// openJobs connects the jobs role's pool.
func (s *Store) openJobs(ctx context.Context, cfg Config) error {
	jcfg, err := pgxpool.ParseConfig(cfg.JobsURL)
	if err != nil {
		return fmt.Errorf("parse jobs database url: %w", err)
	}
	jcfg.AfterConnect = registerUUID
	jcfg.MaxConns = 4
	if cfg.JobsMaxConns > 0 {
		jcfg.MaxConns = cfg.JobsMaxConns
	}
	if s.jobsPool, err = pgxpool.NewWithConfig(ctx, jcfg); err != nil {
		return fmt.Errorf("jobs pool: %w", err)
	}
	if err := checkRole(ctx, s.jobsPool, schema.JobsRole); err != nil {
		return err
	}
	var user string
	if err := s.jobsPool.QueryRow(ctx, "SELECT current_user").Scan(&user); err != nil {
		return fmt.Errorf("connect as %s: %w", schema.JobsRole, err)
	}
	if user != schema.JobsRole {
		return fmt.Errorf("the jobs database url connects as %s; connect as %s, which reaches only River's tables", user, schema.JobsRole)
	}
	return nil
}

// JobDriver returns River's driver over the jobs role's pool, for the
// client that works the jobs (package jobs): River's own bookkeeping on
// River's tables, which is all that role reaches. The work a job does
// goes through the tenant paths like any other. CodeInternal without
// Config.JobsURL.
func (s *Store) JobDriver() (riverdriver.Driver[pgx.Tx], error) {
	if s.jobsPool == nil {
		return nil, tenant.Errorf(tenant.CodeInternal, "the store has no jobs connection (Config.JobsURL)")
	}
	return riverpgxv5.New(s.jobsPool), nil
}

// PingJobs checks that the job queue's database answers.
func (s *Store) PingJobs(ctx context.Context) error {
	if s.jobsPool == nil {
		return tenant.Errorf(tenant.CodeInternal, "the store has no jobs connection (Config.JobsURL)")
	}
	return translate(s.jobsPool.Ping(ctx))
}
