package store_test

// Benchmarks of the tenant path against the same queries without row
// security: a bench-only role with BYPASSRLS reads through a plain pool with
// the explicit WHERE tenant_id filter alone. Both run in one process against
// one server, interleaved operation by operation, so their ratio is what row
// security and the batched tenant setting cost, and machine noise hits both
// alike. Each operation gets a cancellable context, as an HTTP request does.
//
// Three transports: the Unix socket (no network: the fixed CPU cost of each
// protocol message dominates), TCP on loopback, and TCP through a proxy that
// delays each direction, for a network round trip like a database in the
// same data centre.
//
//	make bench

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/url"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

const (
	benchTenants           = 20
	benchServicesPerTenant = 500
	benchPassword          = "tenantkit-bench"
	// One-way delay of the simulated network.
	benchOneWayDelay = 100 * time.Microsecond
	// The SQL sqlc generates for GetService and ListServicesPage, run by
	// the baseline as is.
	plainGet  = "SELECT tenant_id, id, slug, name, description, duration_minutes, price_minor, currency, active, requires_confirmation, archived_at, version, created_at, updated_at FROM services WHERE tenant_id = $1 AND id = $2"
	plainList = "SELECT tenant_id, id, slug, name, description, duration_minutes, price_minor, currency, active, requires_confirmation, archived_at, version, created_at, updated_at FROM services WHERE tenant_id = $1 AND (NOT $2::bool OR (name, id) > ($3::text, $4::uuid)) ORDER BY name, id LIMIT $5"
)

// benchPair is the tenant path and the baseline over one transport.
type benchPair struct {
	store *store.Store
	plain *pgxpool.Pool
}

type benchEnv struct {
	transports []string
	pairs      map[string]benchPair
	tenants    []uuid.UUID
	services   map[uuid.UUID][]uuid.UUID
}

var benchShared *benchEnv

func setupBench(b *testing.B) *benchEnv {
	b.Helper()
	if benchShared != nil {
		return benchShared
	}
	ctx := context.Background()
	db := pgtest.New(b)
	seed, err := store.Open(ctx, store.Config{AppURL: db.AppURL, PlatformURL: db.PlatformURL})
	if err != nil {
		b.Fatal(err)
	}
	defer seed.Close()
	env := &benchEnv{pairs: map[string]benchPair{}, services: map[uuid.UUID][]uuid.UUID{}}
	for i := range benchTenants {
		var id uuid.UUID
		err := seed.InPlatform(ctx, store.PlatformOp{Actor: "system:bench", Action: "tenant.create", Reason: "benchmark"}, func(tx *store.PlatformTx) error {
			t, err := tx.CreateTenant(ctx, store.PlatformCreateTenantParams{Slug: fmt.Sprintf("bench-%02d", i), Name: fmt.Sprintf("Bench %02d", i)})
			id = t.ID
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		tctx := tenant.WithScope(ctx, tenant.Scope{TenantID: id})
		err = seed.InTenant(tctx, func(tx *store.Tx) error {
			return tx.ExecRaw(tctx, `
				INSERT INTO services (tenant_id, slug, name, description, duration_minutes, price_minor, currency)
				SELECT $1, 'svc-' || g, 'Service ' || lpad(g::text, 4, '0'), 'Benchmark service', 60, 1000 * g, 'USD'
				FROM generate_series(1, $2::int) g`, id, benchServicesPerTenant)
		})
		if err != nil {
			b.Fatal(err)
		}
		err = seed.ReadTenant(tctx, func(tx *store.Tx) error {
			page, err := tx.ListServicesPage(tctx, store.ListServicesPageParams{TenantID: id, PageSize: 100})
			for _, s := range page {
				env.services[id] = append(env.services[id], s.ID)
			}
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		env.tenants = append(env.tenants, id)
	}
	admin := pgtest.Connect(b, db.AdminURL)
	_, _ = admin.Exec(ctx, "DROP OWNED BY tenantkit_bench")
	_, _ = admin.Exec(ctx, "DROP ROLE IF EXISTS tenantkit_bench")
	for _, sql := range []string{
		"CREATE ROLE tenantkit_bench LOGIN BYPASSRLS PASSWORD '" + benchPassword + "'",
		"ALTER ROLE tenantkit_app PASSWORD '" + benchPassword + "'",
		"GRANT CONNECT ON DATABASE " + db.Name + " TO tenantkit_bench",
		"GRANT USAGE ON SCHEMA public TO tenantkit_bench",
		"GRANT SELECT ON services TO tenantkit_bench",
		"ANALYZE",
	} {
		if _, err := admin.Exec(ctx, sql); err != nil {
			b.Fatalf("%s: %v", sql, err)
		}
	}
	b.Cleanup(func() {
		ctx := context.Background()
		_, _ = admin.Exec(ctx, "DROP OWNED BY tenantkit_bench")
		_, _ = admin.Exec(ctx, "ALTER ROLE tenantkit_app PASSWORD NULL")
	})

	urls := map[string]func(role string) string{
		"unix": func(role string) string { return withUser(db.AppURL, role, "") },
	}
	if db.TCPAddr != "" {
		tcp := func(addr string) func(string) string {
			return func(role string) string {
				return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", role, benchPassword, addr, db.Name)
			}
		}
		urls["tcp"] = tcp(db.TCPAddr)
		urls["tcp+delay"] = tcp(delayProxy(b, db.TCPAddr, benchOneWayDelay))
		env.transports = []string{"unix", "tcp", "tcp+delay"}
	} else {
		b.Log("TEST_DATABASE_URL server: TCP transports not measured")
		env.transports = []string{"unix"}
	}
	for name, u := range urls {
		st, err := store.Open(ctx, store.Config{AppURL: u("tenantkit_app"), MaxConns: 4})
		if err != nil {
			b.Fatal(err)
		}
		cfg, err := pgxpool.ParseConfig(u("tenantkit_bench"))
		if err != nil {
			b.Fatal(err)
		}
		cfg.MaxConns = 4
		plain, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			b.Fatal(err)
		}
		env.pairs[name] = benchPair{store: st, plain: plain}
	}
	b.Cleanup(func() {
		for _, p := range env.pairs {
			p.store.Close()
			p.plain.Close()
		}
		benchShared = nil
	})
	benchShared = env
	return env
}

func withUser(raw, user, password string) string {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	if password != "" {
		u.User = url.UserPassword(user, password)
	} else {
		u.User = url.User(user)
	}
	return u.String()
}

// delayProxy forwards TCP connections to target, delaying each chunk by
// oneWay in both directions.
func delayProxy(tb testing.TB, target string, oneWay time.Duration) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	var wg sync.WaitGroup
	tb.Cleanup(func() { ln.Close(); wg.Wait() })
	pipe := func(dst, src net.Conn) {
		defer dst.Close()
		buf := make([]byte, 64<<10)
		for {
			n, err := src.Read(buf)
			if n > 0 {
				sleepPrecise(oneWay)
				if _, werr := dst.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				if err != io.EOF {
					return
				}
				return
			}
		}
	}
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			wg.Go(func() { pipe(s, c) })
			wg.Go(func() { pipe(c, s) })
		}
	})
	return ln.Addr().String()
}

// sleepPrecise blocks the goroutine's thread in nanosleep: time.Sleep is
// rounded to the runtime's timer resolution, far coarser than a data
// centre's network latency.
func sleepPrecise(d time.Duration) {
	ts := syscall.NsecToTimespec(d.Nanoseconds())
	for syscall.Nanosleep(&ts, &ts) == syscall.EINTR {
	}
}

func (e *benchEnv) pick(i int) (uuid.UUID, uuid.UUID) {
	t := e.tenants[i%len(e.tenants)]
	s := e.services[t]
	return t, s[(i/len(e.tenants))%len(s)]
}

func plainGetOp(ctx context.Context, pool *pgxpool.Pool, t, id uuid.UUID) error {
	rows, err := pool.Query(ctx, plainGet, t, id)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 1 {
		return fmt.Errorf("plain get: %d rows", n)
	}
	return rows.Err()
}

func plainListOp(ctx context.Context, pool *pgxpool.Pool, t uuid.UUID) error {
	rows, err := pool.Query(ctx, plainList, t, false, "", uuid.Nil, 20)
	if err != nil {
		return err
	}
	n := 0
	for rows.Next() {
		n++
	}
	rows.Close()
	if n != 20 {
		return fmt.Errorf("plain list: %d rows", n)
	}
	return rows.Err()
}

type runner func(context.Context, func(*store.Tx) error) error

func tenantGetOp(ctx context.Context, run runner, t, id uuid.UUID) error {
	ctx = tenant.WithScope(ctx, tenant.Scope{TenantID: t})
	return run(ctx, func(tx *store.Tx) error {
		_, err := tx.GetService(ctx, store.GetServiceParams{TenantID: t, ID: id})
		return err
	})
}

func tenantListOp(ctx context.Context, run runner, t uuid.UUID) error {
	ctx = tenant.WithScope(ctx, tenant.Scope{TenantID: t})
	return run(ctx, func(tx *store.Tx) error {
		page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: t, PageSize: 20})
		if err == nil && len(page) != 20 {
			err = fmt.Errorf("tenant list: %d rows", len(page))
		}
		return err
	})
}

// requestCtx is a cancellable context per operation, like an HTTP request's.
func requestCtx() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// BenchmarkTenantPath reports, per transport and operation, the throughput
// of the tenant path relative to the baseline (1.0 = no cost), and the
// latency of both.
func BenchmarkTenantPath(b *testing.B) {
	e := setupBench(b)
	for _, transport := range e.transports {
		p := e.pairs[transport]
		ops := []struct {
			name string
			base func(ctx context.Context, i int) error
			rls  func(ctx context.Context, i int) error
		}{
			{"GetByID/ReadTenant",
				func(ctx context.Context, i int) error { t, id := e.pick(i); return plainGetOp(ctx, p.plain, t, id) },
				func(ctx context.Context, i int) error {
					t, id := e.pick(i)
					return tenantGetOp(ctx, p.store.ReadTenant, t, id)
				}},
			{"ListPage/ReadTenant",
				func(ctx context.Context, i int) error { t, _ := e.pick(i); return plainListOp(ctx, p.plain, t) },
				func(ctx context.Context, i int) error {
					t, _ := e.pick(i)
					return tenantListOp(ctx, p.store.ReadTenant, t)
				}},
			{"GetByID/InTenant",
				func(ctx context.Context, i int) error { t, id := e.pick(i); return plainGetOp(ctx, p.plain, t, id) },
				func(ctx context.Context, i int) error {
					t, id := e.pick(i)
					return tenantGetOp(ctx, p.store.InTenant, t, id)
				}},
		}
		for _, op := range ops {
			b.Run(transport+"/"+op.name, func(b *testing.B) {
				var base, rls time.Duration
				i := 0
				for b.Loop() {
					ctx, cancel := requestCtx()
					t0 := time.Now()
					if err := op.base(ctx, i); err != nil {
						b.Fatal(err)
					}
					t1 := time.Now()
					if err := op.rls(ctx, i); err != nil {
						b.Fatal(err)
					}
					rls += time.Since(t1)
					base += t1.Sub(t0)
					cancel()
					i++
				}
				b.ReportMetric(float64(base)/float64(rls), "ratio")
				b.ReportMetric(float64(base.Microseconds())/float64(i), "plain-µs/op")
				b.ReportMetric(float64(rls.Microseconds())/float64(i), "tenant-µs/op")
			})
		}
	}
}
