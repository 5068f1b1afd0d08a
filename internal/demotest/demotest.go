// Package demotest gives data tests a fresh database seeded with the demo
// tenants (acme and globex) and a store connected to it as the app role,
// checking every pooled connection for a leftover tenant.
package demotest

import (
	"context"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Hasher hashes the demo password cheaply: tests that do not measure
// password hashing need no work factor.
var Hasher = password.NewHasher(password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, password.Offline)

// Fixture is one test's seeded database and store.
type Fixture struct {
	DB     *pgtest.DB
	Store  *store.Store
	Seeded map[string]demo.Seeded
}

type options struct {
	now   time.Time
	store []func(*store.Config)
}

// An Option changes how New builds the fixture.
type Option func(*options)

// At seeds with now as the demo's anchor (bookings, dates). Defaults to the
// current time.
func At(now time.Time) Option { return func(o *options) { o.now = now } }

// WithStore changes the store's configuration.
func WithStore(f func(*store.Config)) Option {
	return func(o *options) { o.store = append(o.store, f) }
}

// New returns a fresh seeded fixture for tb.
func New(tb testing.TB, opts ...Option) *Fixture {
	tb.Helper()
	o := options{now: time.Now()}
	for _, f := range opts {
		f(&o)
	}
	ctx := tb.Context()
	db := pgtest.New(tb)
	cfg := store.Config{AppURL: db.AppURL, PlatformURL: db.PlatformURL, JobsURL: db.JobsURL, CheckConnections: true}
	for _, f := range o.store {
		f(&cfg)
	}
	st, err := store.Open(ctx, cfg)
	if err != nil {
		tb.Fatalf("open store: %v", err)
	}
	tb.Cleanup(st.Close)
	seeded, err := demo.Seed(ctx, st, Hasher, o.now)
	if err != nil {
		tb.Fatalf("seed: %v", err)
	}
	return &Fixture{DB: db, Store: st, Seeded: seeded}
}

// As returns ctx scoped to the demo member key (owner, staff, client,
// consultant) of tenant slug.
func (f *Fixture) As(ctx context.Context, slug, key string) context.Context {
	s := f.Seeded[slug]
	m := s.Members[key]
	return tenant.WithScope(ctx, tenant.Scope{
		TenantID: s.TenantID, AccountID: m.AccountID, MemberID: m.ID, Role: tenant.Role(m.Role), RequestID: "test",
	})
}

// Public returns ctx scoped to tenant slug alone, as a public request is.
func (f *Fixture) Public(ctx context.Context, slug string) context.Context {
	return tenant.WithScope(ctx, tenant.Scope{TenantID: f.Seeded[slug].TenantID, RequestID: "test"})
}
