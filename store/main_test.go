package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

type fixture = demotest.Fixture

func withMaxConns(n int32) func(*store.Config) { return func(c *store.Config) { c.MaxConns = n } }

func withoutConnectionCheck(c *store.Config) { c.CheckConnections = false }

// scopeOf returns ctx scoped to the demo member with key (owner, staff,
// client, consultant) of the demo tenant slug.
func scopeOf(ctx context.Context, f *fixture, slug, key string) context.Context {
	return f.As(ctx, slug, key)
}

// setup returns a fresh database seeded with the demo tenants (anchored on
// a fixed date) and a store connected as the app role.
func setup(tb testing.TB, opts ...func(*store.Config)) *fixture {
	tb.Helper()
	o := []demotest.Option{demotest.At(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC))}
	for _, f := range opts {
		o = append(o, demotest.WithStore(f))
	}
	return demotest.New(tb, o...)
}
