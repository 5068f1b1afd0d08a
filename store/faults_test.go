package store_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

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

// A slow statement is ended at the configured statement timeout, in
// ReadTenant's one-batch path as in InTenant's, as unavailable (503 at the
// edge); the connection is free again at once and the next transaction
// on it runs with its own limit (F-07, SURF-11).
func TestStatementTimeoutEndsASlowQuery(t *testing.T) {
	const limit = 300 * time.Millisecond
	f := setup(t, withMaxConns(1), func(c *store.Config) { c.StatementTimeout = limit })
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	for name, path := range map[string]func(context.Context, func(*store.Tx) error) error{
		"InTenant": f.Store.InTenant, "ReadTenant": f.Store.ReadTenant,
	} {
		t.Run(name, func(t *testing.T) {
			t0 := time.Now()
			err := path(ctx, func(tx *store.Tx) error { return tx.ExecRaw(ctx, "SELECT pg_sleep(5)") })
			took := time.Since(t0)
			if !tenant.IsCode(err, tenant.CodeUnavailable) || !strings.Contains(tenant.ErrorMessage(err), "longer than the database allows") {
				t.Fatalf("a 5 s statement under a %v limit: want unavailable (statement timeout), got %v", limit, err)
			}
			if took < limit || took > limit+2*time.Second {
				t.Fatalf("the statement ended after %v; the limit is %v", took, limit)
			}
			t.Logf("a 5 s statement ended after %v under a limit of %v", took.Round(time.Millisecond), limit)
			if st := f.Store.Stats(); st.AcquiredConns != 0 {
				t.Fatalf("the connection is still held: %+v", st)
			}
			var setting string
			err = f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
				return tx.QueryRowRaw(ctx, "SELECT current_setting('statement_timeout')").Scan(&setting)
			})
			if err != nil || setting != "300ms" {
				t.Fatalf("the next transaction runs with statement_timeout %q (%v), want 300ms", setting, err)
			}
		})
	}
}

// A write that waits on a lock held elsewhere (a migration, an operator's
// LOCK TABLE) gives up at the lock timeout, as unavailable, and changes
// nothing (F-07, F-12).
//
// The statement is prepared on the connection before the lock is taken,
// as the store's statements are after their first use: preparing one
// (pgx does it ahead of the batch that sets the limits) waits for a lock
// under the role's own lock_timeout.
func TestLockTimeoutEndsAWait(t *testing.T) {
	const limit = 300 * time.Millisecond
	f := setup(t, withMaxConns(1), func(c *store.Config) { c.LockTimeout = limit })
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	const update = "UPDATE services SET name = name || $2 WHERE tenant_id = $1"
	if err := f.Store.InTenant(ctx, func(tx *store.Tx) error { return tx.ExecRaw(ctx, update, tx.TenantID(), "") }); err != nil {
		t.Fatal(err)
	}
	admin := pgtest.Connect(t, f.DB.AdminURL)
	lock := pgtest.LockTable(t, admin, "services")
	t0 := time.Now()
	err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.ExecRaw(ctx, update, tx.TenantID(), " (changed)")
	})
	took := time.Since(t0)
	if !tenant.IsCode(err, tenant.CodeUnavailable) || !strings.Contains(tenant.ErrorMessage(err), "locked") {
		t.Fatalf("a write behind a held lock: want unavailable (lock timeout), got %v", err)
	}
	if took < limit || took > limit+2*time.Second {
		t.Fatalf("the wait ended after %v; the limit is %v", took, limit)
	}
	t.Logf("the wait ended after %v under a lock timeout of %v", took.Round(time.Millisecond), limit)
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	var changed int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM services WHERE name LIKE '% (changed)'").Scan(&changed); err != nil || changed != 0 {
		t.Fatalf("%d services changed by the refused write (%v)", changed, err)
	}
}

// A savepoint rolled back after a statement that named another tenant
// leaves the transaction on its own tenant: the setting reverts with the
// savepoint, and the other tenant's rows stay out of reach (POOL-06).
func TestSavepointCannotKeepAnotherTenant(t *testing.T) {
	f := setup(t)
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	globex := f.Seeded["globex"].TenantID
	err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
		for _, sql := range []string{"SAVEPOINT s", "SELECT set_config('app.current_tenant_id', $1, true)", "ROLLBACK TO SAVEPOINT s"} {
			var args []any
			if strings.Contains(sql, "$1") {
				args = append(args, globex.String())
			}
			if err := tx.ExecRaw(ctx, sql, args...); err != nil {
				return err
			}
		}
		var setting string
		var foreign int
		if err := tx.QueryRowRaw(ctx, "SELECT current_setting('app.current_tenant_id'), (SELECT count(*) FROM services WHERE tenant_id = $1)", globex).Scan(&setting, &foreign); err != nil {
			return err
		}
		if setting != tx.TenantID().String() || foreign != 0 {
			return fmt.Errorf("after the savepoint: setting %s, %d of globex's services visible", setting, foreign)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// Two transactions that lock the same rows in opposite orders deadlock;
// PostgreSQL ends one (40P01), InTenant runs it again from the start — the
// tenant set anew in the new transaction — and both succeed (F-11).
func TestDeadlockIsRetriedWithItsTenant(t *testing.T) {
	f := setup(t)
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	var ids []uuid.UUID
	err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
		page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 2})
		for _, s := range page {
			ids = append(ids, s.ID)
		}
		return err
	})
	if err != nil || len(ids) != 2 {
		t.Fatalf("two services of acme: %v %v", ids, err)
	}
	locked := []chan struct{}{make(chan struct{}), make(chan struct{})}
	var attempts [2]atomic.Int32
	update := func(i int) error {
		first, second := ids[i], ids[1-i]
		return f.Store.InTenant(ctx, func(tx *store.Tx) error {
			n := attempts[i].Add(1)
			const sql = "UPDATE services SET description = description WHERE tenant_id = $1 AND id = $2"
			if err := tx.ExecRaw(ctx, sql, tx.TenantID(), first); err != nil {
				return err
			}
			if n == 1 {
				// Both hold their first row before either asks for its second.
				close(locked[i])
				<-locked[1-i]
			}
			if err := tx.ExecRaw(ctx, sql, tx.TenantID(), second); err != nil {
				return err
			}
			var setting string
			if err := tx.QueryRowRaw(ctx, "SELECT current_setting('app.current_tenant_id')").Scan(&setting); err != nil {
				return err
			}
			if setting != tx.TenantID().String() {
				return fmt.Errorf("attempt %d runs with tenant setting %q", n, setting)
			}
			return nil
		})
	}
	errs := make(chan error, 2)
	for i := range 2 {
		go func() { errs <- update(i) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := attempts[0].Load() + attempts[1].Load(); n != 3 {
		t.Fatalf("%d attempts, want 3: one transaction ended by the deadlock and run again", n)
	}
}
