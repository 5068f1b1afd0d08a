package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/exaring/otelpgx"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/multitracer"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/store/schema"
	"github.com/tenantkit/tenantkit/tenant"
)

// Config configures a Store.
type Config struct {
	// AppURL connects as the app role (schema.AppRole): every request and
	// job. Required, unless PlatformURL is set for an operator's tool that
	// uses the platform path only: the tenant paths then fail.
	AppURL string
	// PlatformURL connects as the platform role (schema.PlatformRole), for
	// InPlatform. Empty disables the platform path.
	PlatformURL string
	// MaxConns is the size of the app pool. Defaults to pgxpool's default
	// (the greater of 4 and the number of CPUs).
	MaxConns int32
	// PlatformMaxConns is the size of the platform pool. Defaults to 4.
	PlatformMaxConns int32
	// JobsURL connects as the jobs role (schema.JobsRole), for the River
	// client that works the jobs ([Store.JobDriver]). Empty: jobs are
	// inserted (Tx.InsertJob) but cannot be worked through this store.
	JobsURL string
	// JobsMaxConns is the size of the jobs pool. Defaults to 4.
	JobsMaxConns int32
	// AcquireTimeout bounds how long a transaction waits for a pooled
	// connection before failing as unavailable. Defaults to 2s.
	AcquireTimeout time.Duration
	// StatementTimeout bounds each statement of the app pool's
	// transactions, and LockTimeout each wait for a lock: set with
	// set_config(…, true) in every transaction, beside the tenant, so they
	// hold per request and behind PgBouncer in transaction mode. A
	// statement past either fails as unavailable (503 at the edge) and the
	// connection is free again. Defaults to 0: the app role's own settings
	// (tenantkit bootstrap sets 15s and 5s).
	StatementTimeout, LockTimeout time.Duration
	// CheckConnections makes the pool verify, on every acquire, that the
	// connection carries no tenant or account setting, and destroy it
	// otherwise. Costs one round trip per transaction; on in tests.
	CheckConnections bool
	// Logger receives the store's own events. Defaults to slog.Default().
	Logger *slog.Logger
	// TracerProvider, when set, traces every statement of the app pool as
	// a span (otelpgx); spans started in a tenant's scope carry its id.
	TracerProvider trace.TracerProvider
	// QueryTracer, when set, also sees every statement, batch and prepare
	// of the app pool (pgx's tracer interfaces): for counting round trips.
	QueryTracer pgx.QueryTracer

	// configure, set by tests, adjusts the app pool's connection config;
	// configurePlatform the platform pool's.
	configure, configurePlatform func(*pgx.ConnConfig)
	// withoutRowSecurity, set only by the benchmark's build
	// (WithoutRowSecurityForBench, -tags tenantkit_bench), requires an app
	// role that bypasses row security instead of refusing one.
	withoutRowSecurity bool
}

// Store holds the pools. It is safe for concurrent use.
type Store struct {
	app            *pgxpool.Pool
	platform       *pgxpool.Pool
	jobsPool       *pgxpool.Pool
	logger         *slog.Logger
	acquireTimeout time.Duration
	dirtyConns     atomic.Int64
	// limits is appended to the scope preamble of every app-pool
	// transaction: the statement and lock timeouts, with limitArgs.
	limits    string
	limitArgs []any
	// jobs inserts jobs in tenant transactions (Tx.InsertJob).
	jobs *river.Client[pgx.Tx]
}

// Open connects the pools and checks that the app role is what row
// security needs: not a superuser and without BYPASSRLS.
func Open(ctx context.Context, cfg Config) (*Store, error) {
	if cfg.AppURL == "" && cfg.PlatformURL == "" {
		return nil, errors.New("store: app database url required")
	}
	s := &Store{logger: cfg.Logger, acquireTimeout: cfg.AcquireTimeout}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.acquireTimeout == 0 {
		s.acquireTimeout = 2 * time.Second
	}
	s.limits, s.limitArgs = timeoutSettings(cfg.StatementTimeout, cfg.LockTimeout)
	var err error
	if s.jobs, err = newJobInserter(); err != nil {
		return nil, err
	}
	if cfg.AppURL == "" {
		if err := s.openPlatform(ctx, cfg); err != nil {
			return nil, err
		}
		return s, nil
	}
	appCfg, err := pgxpool.ParseConfig(cfg.AppURL)
	if err != nil {
		return nil, fmt.Errorf("parse app database url: %w", err)
	}
	appCfg.AfterConnect = registerUUID
	if cfg.MaxConns > 0 {
		appCfg.MaxConns = cfg.MaxConns
	}
	if cfg.CheckConnections {
		appCfg.PrepareConn = s.checkConn
	}
	var tracers []pgx.QueryTracer
	if cfg.TracerProvider != nil {
		tracers = append(tracers, otelpgx.NewTracer(otelpgx.WithTracerProvider(cfg.TracerProvider)))
	}
	if cfg.QueryTracer != nil {
		tracers = append(tracers, cfg.QueryTracer)
	}
	switch len(tracers) {
	case 1:
		appCfg.ConnConfig.Tracer = tracers[0]
	case 2:
		appCfg.ConnConfig.Tracer = multitracer.New(tracers...)
	}
	if cfg.configure != nil {
		cfg.configure(appCfg.ConnConfig)
	}
	s.app, err = pgxpool.NewWithConfig(ctx, appCfg)
	if err != nil {
		return nil, fmt.Errorf("app pool: %w", err)
	}
	check := checkRole
	if cfg.withoutRowSecurity {
		check = checkBypassRole
	}
	if err := check(ctx, s.app, schema.AppRole); err != nil {
		s.app.Close()
		return nil, err
	}
	if cfg.PlatformURL != "" {
		if err := s.openPlatform(ctx, cfg); err != nil {
			s.app.Close()
			return nil, err
		}
	}
	if cfg.JobsURL != "" {
		if err := s.openJobs(ctx, cfg); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// timeoutSettings returns the set_config calls that bound statements and
// lock waits for the rest of a transaction (parameters $3 and on, after
// the scope's), and their values in milliseconds. A zero duration leaves
// the role's setting alone.
func timeoutSettings(statement, lock time.Duration) (string, []any) {
	var sql string
	var args []any
	for _, t := range []struct {
		name string
		d    time.Duration
	}{{"statement_timeout", statement}, {"lock_timeout", lock}} {
		if t.d <= 0 {
			continue
		}
		args = append(args, strconv.FormatInt(max(t.d.Milliseconds(), 1), 10))
		sql += fmt.Sprintf(", set_config('%s', $%d, true)", t.name, 2+len(args))
	}
	return sql, args
}

// openPlatform connects the platform pool.
func (s *Store) openPlatform(ctx context.Context, cfg Config) error {
	pcfg, err := pgxpool.ParseConfig(cfg.PlatformURL)
	if err != nil {
		return fmt.Errorf("parse platform database url: %w", err)
	}
	pcfg.AfterConnect = registerUUID
	pcfg.MaxConns = 4
	if cfg.PlatformMaxConns > 0 {
		pcfg.MaxConns = cfg.PlatformMaxConns
	}
	if cfg.configurePlatform != nil {
		cfg.configurePlatform(pcfg.ConnConfig)
	}
	if s.platform, err = pgxpool.NewWithConfig(ctx, pcfg); err != nil {
		return fmt.Errorf("platform pool: %w", err)
	}
	if err := checkRole(ctx, s.platform, schema.PlatformRole); err != nil {
		s.platform.Close()
		return err
	}
	return nil
}

// checkRole refuses a pool whose role would make row security inert.
func checkRole(ctx context.Context, pool *pgxpool.Pool, want string) error {
	user, super, bypass, err := roleOf(ctx, pool)
	if err != nil {
		return fmt.Errorf("connect as %s: %w", want, err)
	}
	if super || bypass {
		return fmt.Errorf("database role %s is a superuser or has BYPASSRLS: row security would not apply; connect as %s", user, want)
	}
	return nil
}

// checkBypassRole is checkRole's opposite, for the benchmark's baseline
// only: the role must bypass row security (and not be a superuser), so
// the baseline is what it claims to be.
func checkBypassRole(ctx context.Context, pool *pgxpool.Pool, _ string) error {
	user, super, bypass, err := roleOf(ctx, pool)
	if err != nil {
		return fmt.Errorf("connect as the baseline role: %w", err)
	}
	if super || !bypass {
		return fmt.Errorf("baseline role %s must have BYPASSRLS and not be a superuser", user)
	}
	return nil
}

// roleOf reads the pool's role and whether it is a superuser or bypasses
// row security.
func roleOf(ctx context.Context, pool *pgxpool.Pool) (user string, super, bypass bool, err error) {
	err = pool.QueryRow(ctx,
		"SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").Scan(&user, &super, &bypass)
	return user, super, bypass, err
}

// Close closes the pools.
func (s *Store) Close() {
	if s.app != nil {
		s.app.Close()
	}
	if s.platform != nil {
		s.platform.Close()
	}
	if s.jobsPool != nil {
		s.jobsPool.Close()
	}
}

// Ping checks that the database answers on the app pool.
func (s *Store) Ping(ctx context.Context) error {
	conn, err := s.acquire(ctx, s.app)
	if err != nil {
		return translate(err)
	}
	defer conn.Release()
	return translate(conn.Ping(ctx))
}

// Stats reports pool and hygiene figures.
type Stats struct {
	AcquiredConns, IdleConns, TotalConns int32
	// DirtyConnections counts connections destroyed because they carried a
	// tenant setting when acquired (only counted with CheckConnections).
	DirtyConnections int64
}

// Stats returns the current figures of the app pool.
func (s *Store) Stats() Stats {
	if s.app == nil {
		return Stats{}
	}
	st := s.app.Stat()
	return Stats{
		AcquiredConns:    st.AcquiredConns(),
		IdleConns:        st.IdleConns(),
		TotalConns:       st.TotalConns(),
		DirtyConnections: s.dirtyConns.Load(),
	}
}

func (s *Store) acquire(ctx context.Context, pool *pgxpool.Pool) (*pgxpool.Conn, error) {
	if pool == nil {
		return nil, tenant.Errorf(tenant.CodeInternal, "this store has no connection for that path")
	}
	actx := ctx
	// A context that ends sooner bounds the wait already; otherwise add the
	// acquire timeout (a timer per transaction, so only when needed).
	if d, ok := ctx.Deadline(); !ok || time.Until(d) > s.acquireTimeout {
		var cancel context.CancelFunc
		actx, cancel = context.WithTimeout(ctx, s.acquireTimeout)
		defer cancel()
	}
	conn, err := pool.Acquire(actx)
	if err != nil {
		if ctx.Err() == nil && errors.Is(err, context.DeadlineExceeded) {
			return nil, errPoolExhausted
		}
		return nil, err
	}
	return conn, nil
}

var errPoolExhausted = errors.New("no database connection free within the acquire timeout")

// checkConn is the pool's PrepareConn hook under CheckConnections: a
// connection that still names a tenant or account is destroyed, never lent.
func (s *Store) checkConn(ctx context.Context, conn *pgx.Conn) (bool, error) {
	var t, a string
	err := conn.QueryRow(ctx,
		"SELECT coalesce(current_setting('"+schema.TenantSetting+"', true), ''), coalesce(current_setting('"+schema.AccountSetting+"', true), '')",
		pgx.QueryExecModeSimpleProtocol).Scan(&t, &a)
	if err != nil {
		return false, nil
	}
	if t != "" || a != "" {
		s.dirtyConns.Add(1)
		s.logger.ErrorContext(ctx, "pooled connection carried a tenant setting; destroyed",
			slog.String("tenant_setting", t), slog.String("account_setting", a))
		return false, nil
	}
	return true, nil
}
