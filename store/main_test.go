package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fastHasher keeps seeding quick: test passwords need no real work factor.
var fastHasher = auth.NewHasher(auth.PasswordParams{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, 0)

type fixture struct {
	db     *pgtest.DB
	store  *store.Store
	seeded map[string]demo.Seeded
}

func withMaxConns(n int32) func(*store.Config) { return func(c *store.Config) { c.MaxConns = n } }

func withoutConnectionCheck(c *store.Config) { c.CheckConnections = false }

// scopeOf returns ctx scoped to the demo member with key (owner, staff,
// client, consultant) of the demo tenant slug.
func scopeOf(ctx context.Context, f *fixture, slug, key string) context.Context {
	s := f.seeded[slug]
	m := s.Members[key]
	return tenant.WithScope(ctx, tenant.Scope{
		TenantID: s.TenantID, AccountID: m.AccountID, MemberID: m.ID, Role: tenant.Role(m.Role), RequestID: "test",
	})
}

// setup returns a fresh database seeded with the demo tenants and a store
// connected as the app role.
func setup(tb testing.TB, opts ...func(*store.Config)) *fixture {
	tb.Helper()
	ctx := context.Background()
	db := pgtest.New(tb)
	cfg := store.Config{AppURL: db.AppURL, PlatformURL: db.PlatformURL, CheckConnections: true}
	for _, o := range opts {
		o(&cfg)
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(st.Close)
	seeded, err := demo.Seed(ctx, st, fastHasher, time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
	return &fixture{db: db, store: st, seeded: seeded}
}
