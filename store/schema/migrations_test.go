package schema_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/store/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The migration tests walk every embedded migration one by one, so a new
// migration is covered as soon as it is added.

// migrator is goose over one test database, connected as the owner role,
// with the app role's view for the audit.
type migrator struct {
	p   *goose.Provider
	app *pgx.Conn
}

func newMigrator(t *testing.T, db *pgtest.DB) *migrator {
	t.Helper()
	cfg, err := pgx.ParseConfig(db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { sqlDB.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, sqlDB, schema.Migrations(), goose.WithDisableGlobalRegistry(true))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.ListSources()) < 5 {
		t.Fatalf("only %d migrations found", len(p.ListSources()))
	}
	return &migrator{p: p, app: pgtest.Connect(t, db.AppURL)}
}

func (m *migrator) versions() []int64 {
	var vs []int64
	for _, s := range m.p.ListSources() {
		vs = append(vs, s.Version)
	}
	return vs
}

// requireClean fails unless the audit, with the Citus rules, finds nothing.
func (m *migrator) requireClean(t *testing.T, step string) {
	t.Helper()
	findings, err := schemaaudit.Run(context.Background(), m.app, schemaaudit.Config{
		AppRole: schema.AppRole, AllowGlobal: schema.GlobalTables, CitusReady: true, CitusDropForeignKeys: schema.CitusDropForeignKeys,
	})
	if err != nil {
		t.Fatalf("%s: audit: %v", step, err)
	}
	for _, f := range findings {
		t.Errorf("%s: %s\n    fix: %s", step, f, f.Fix)
	}
}

// upOneByOne applies the pending migrations one at a time, auditing after
// each.
func (m *migrator) upOneByOne(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	current, err := m.p.GetDBVersion(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range m.versions() {
		if v <= current {
			continue
		}
		if _, err := m.p.UpTo(ctx, v); err != nil {
			t.Fatalf("up to %d: %v", v, err)
		}
		m.requireClean(t, fmt.Sprintf("after up to %d", v))
	}
}

func (m *migrator) downTo(t *testing.T, v int64) {
	t.Helper()
	if _, err := m.p.DownTo(context.Background(), v); err != nil {
		t.Fatalf("down to %d: %v", v, err)
	}
	m.requireClean(t, fmt.Sprintf("after down to %d", v))
}

func TestMigrationsOnAnEmptyDatabase(t *testing.T) {
	t.Parallel()
	m := newMigrator(t, pgtest.NewEmpty(t))
	m.upOneByOne(t)
	vs := m.versions()
	for i := len(vs) - 1; i >= 0; i-- {
		prev := int64(0)
		if i > 0 {
			prev = vs[i-1]
		}
		m.downTo(t, prev)
	}
	m.upOneByOne(t)
}

// Each migration is applied again on a database that holds the demo data in
// every table the migrations before it created.
func TestMigrationsOnTheDemoData(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.NewEmpty(t)
	m := newMigrator(t, db)
	if _, err := m.p.Up(ctx); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(ctx, store.Config{AppURL: db.AppURL, PlatformURL: db.PlatformURL})
	if err != nil {
		t.Fatal(err)
	}
	hasher := password.NewHasher(password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, password.Offline)
	_, err = demo.Seed(ctx, st, hasher, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	platform := pgtest.Connect(t, db.PlatformURL)
	countTenants := func() int {
		var n int
		if err := platform.QueryRow(ctx, "SELECT count(*) FROM tenants").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	tenants := countTenants()
	if tenants < 2 {
		t.Fatalf("the demo seeded %d tenants", tenants)
	}
	vs := m.versions()
	for i := len(vs) - 1; i >= 1; i-- {
		m.downTo(t, vs[i-1])
		m.upOneByOne(t)
		if n := countTenants(); n != tenants {
			t.Fatalf("migrating %d down and up again left %d tenants of %d", vs[i], n, tenants)
		}
	}
}
