package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// With every connection busy, a transaction waits at most the acquire
// timeout and then fails as unavailable (503 with Retry-After at the
// edge), instead of hanging (F-05).
func TestPoolExhaustionFailsFast(t *testing.T) {
	f := setup(t, withMaxConns(1), func(c *store.Config) { c.AcquireTimeout = 200 * time.Millisecond })
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	held := make(chan error, 1)
	started := make(chan struct{})
	go func() {
		held <- f.Store.InTenant(ctx, func(tx *store.Tx) error {
			close(started)
			return tx.ExecRaw(ctx, "SELECT pg_sleep(1)")
		})
	}()
	<-started
	t0 := time.Now()
	err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
		_, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 1})
		return err
	})
	waited := time.Since(t0)
	if !tenant.IsCode(err, tenant.CodeUnavailable) {
		t.Fatalf("with the pool exhausted: want unavailable, got %v", err)
	}
	if waited > 900*time.Millisecond {
		t.Fatalf("waited %v for a connection: the acquire timeout did not bound it", waited)
	}
	if err := <-held; err != nil {
		t.Fatal(err)
	}
	if st := f.Store.Stats(); st.AcquiredConns != 0 {
		t.Fatalf("connections still held: %+v", st)
	}
}

// Connections killed under the pool (a failover, an operator's
// pg_terminate_backend) cost at most one failed request, reported as
// unavailable; the pool then serves again, each tenant its own rows (F-01).
func TestKilledConnectionsRecover(t *testing.T) {
	f := setup(t, withMaxConns(2), withoutConnectionCheck)
	ctx := context.Background()
	read := func(slug string) error {
		c := scopeOf(ctx, f, slug, "owner")
		return f.Store.ReadTenant(c, func(tx *store.Tx) error {
			page, err := tx.ListServicesPage(c, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 20})
			if err == nil && (len(page) == 0 || page[0].TenantID != tx.TenantID()) {
				err = errors.New("wrong rows")
			}
			return err
		})
	}
	for _, slug := range []string{"acme", "globex"} {
		if err := read(slug); err != nil {
			t.Fatal(err)
		}
	}
	admin := pgtest.Connect(t, f.DB.AdminURL)
	var killed int
	err := admin.QueryRow(ctx, "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = 'tenantkit_app' AND datname = current_database()) k").Scan(&killed)
	if err != nil || killed == 0 {
		t.Fatalf("terminated %d backends: %v", killed, err)
	}
	failures := 0
	for i := range 6 {
		slug := []string{"acme", "globex"}[i%2]
		if err := read(slug); err != nil {
			if !tenant.IsCode(err, tenant.CodeUnavailable) {
				t.Fatalf("after the kill: want unavailable or success, got %v", err)
			}
			failures++
		}
	}
	if failures > 2 {
		t.Fatalf("%d of 6 requests failed after the kill: the pool did not recover", failures)
	}
}
