package store_test

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Together sends the first statements of its functions in one batch: the
// same answers as one by one, in one round trip on the read path and in
// the transaction's first on the write path, with COMMIT (and what waits
// for it) the second. A function's second statement goes on its own.
func TestTogetherSendsOneBatch(t *testing.T) {
	var writes atomic.Int64
	f := setup(t, withMaxConns(1), withoutConnectionCheck, store.WithDialCounter(func() { writes.Add(1) }))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	globex := scopeOf(context.Background(), f, "globex", "owner")
	var acmeIDs, globexIDs []uuid.UUID
	for _, c := range []struct {
		ctx context.Context
		ids *[]uuid.UUID
	}{{ctx, &acmeIDs}, {globex, &globexIDs}} {
		err := f.Store.ReadTenant(c.ctx, func(tx *store.Tx) error {
			page, err := tx.ListServicesPage(c.ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 3})
			for _, s := range page {
				*c.ids = append(*c.ids, s.ID)
			}
			return err
		})
		if err != nil || len(*c.ids) < 3 {
			t.Fatalf("seeded services: %v, %d", err, len(*c.ids))
		}
	}

	// names reads three services by id together, the third globex's,
	// and a page; with twice set, the second function reads again.
	type answers struct {
		names   [3]string
		missing error
		page    int
	}
	names := func(tx *store.Tx, a *answers, twice bool) error {
		get := func(i int, id uuid.UUID) func(*store.Tx) error {
			return func(tx *store.Tx) error {
				s, err := tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: id})
				if i == 2 {
					a.missing = err
					return nil
				}
				a.names[i] = s.Name
				if err == nil && twice && i == 1 {
					s, err = tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: acmeIDs[2]})
					a.names[2] = s.Name
				}
				return err
			}
		}
		return tx.Together(ctx,
			get(0, acmeIDs[0]),
			get(1, acmeIDs[1]),
			func(*store.Tx) error { return nil }, // sends nothing
			get(2, globexIDs[0]),
			func(tx *store.Tx) error {
				page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 20})
				a.page = len(page)
				return err
			},
		)
	}
	var want answers
	for i, id := range acmeIDs[:2] {
		err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
			s, err := tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: id})
			want.names[i] = s.Name
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		name         string
		run          func(context.Context, func(*store.Tx) error) error
		twice, write bool
		trips        int64
	}{
		{"ReadTenant", f.Store.ReadTenant, false, false, 1},
		{"InTenant", f.Store.InTenant, false, true, 2},
		{"ReadTenant, a second statement", f.Store.ReadTenant, true, false, 2},
		{"InTenant, a second statement", f.Store.InTenant, true, true, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			var got answers
			work := func(tx *store.Tx) error {
				got = answers{}
				if err := names(tx, &got, c.twice); err != nil || !c.write {
					return err
				}
				// Held for COMMIT: no round trip of its own.
				id := acmeIDs[0]
				return tx.Audit(ctx, "together.tested", "service", &id, nil)
			}
			if err := c.run(ctx, work); err != nil { // warm the statement cache
				t.Fatal(err)
			}
			before := writes.Load()
			if err := c.run(ctx, work); err != nil {
				t.Fatal(err)
			}
			if n := writes.Load() - before; n != c.trips {
				t.Errorf("%d round trips, want %d", n, c.trips)
			}
			if got.names[0] != want.names[0] || got.names[1] != want.names[1] || got.names[0] == "" {
				t.Errorf("read together: %q, want %q", got.names[:2], want.names[:2])
			}
			if !store.IsNotFound(got.missing) {
				t.Errorf("globex's service read from acme: %v, want not found", got.missing)
			}
			if got.page < 3 {
				t.Errorf("the page has %d services", got.page)
			}
			if c.twice && got.names[2] == "" {
				t.Errorf("the second statement read nothing")
			}
		})
	}
}

// An error in one function of Together fails the whole transaction:
// Together returns it and nothing the transaction wrote is kept.
func TestTogetherFailsTheTransaction(t *testing.T) {
	f := setup(t, withMaxConns(1))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	count := func() int {
		var n int
		err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
			return tx.QueryRowRaw(ctx, "SELECT count(*) FROM audit_log WHERE action = 'together.failed'").Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	refused := errors.New("refused")
	for name, bad := range map[string]func(*store.Tx) error{
		"a statement fails": func(tx *store.Tx) error { return tx.ExecRaw(ctx, "SELECT 1/0") },
		"a function fails":  func(*store.Tx) error { return refused },
	} {
		t.Run(name, func(t *testing.T) {
			err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
				return tx.Together(ctx,
					func(tx *store.Tx) error {
						return tx.Audit(ctx, "together.failed", "tenant", nil, nil)
					},
					func(tx *store.Tx) error {
						_, err := tx.GetOrganizationSettings(ctx, tx.TenantID())
						return err
					},
					bad,
				)
			})
			if err == nil {
				t.Fatal("Together succeeded")
			}
			if name == "a function fails" && !errors.Is(err, refused) {
				t.Fatalf("got %v, want the function's error", err)
			}
			if name == "a statement fails" && tenant.IsCode(err, tenant.CodeNotFound) {
				t.Fatalf("got %v", err)
			}
			if n := count(); n != 0 {
				t.Fatalf("%d audit entries of the failed transaction kept", n)
			}
		})
	}
	// The connection is clean afterwards.
	if err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.Together(ctx,
			func(tx *store.Tx) error { return tx.Audit(ctx, "together.failed", "tenant", nil, nil) },
			func(tx *store.Tx) error { _, err := tx.GetOrganizationSettings(ctx, tx.TenantID()); return err },
		)
	}); err != nil {
		t.Fatal(err)
	}
	if n := count(); n != 1 {
		t.Fatalf("%d audit entries after a good transaction, want 1", n)
	}
}

// Finally reads, in COMMIT's round trip, what the transaction wrote and
// held for COMMIT; a statement of it that fails rolls everything back.
func TestFinallyReadsWithCommit(t *testing.T) {
	var writes atomic.Int64
	f := setup(t, withMaxConns(1), withoutConnectionCheck, store.WithDialCounter(func() { writes.Add(1) }))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	count := func(tx *store.Tx, n *int) error {
		return tx.QueryRowRaw(ctx, "SELECT count(*) FROM audit_log WHERE action = 'finally.tested'").Scan(n)
	}
	for i := 1; i <= 2; i++ { // the first warms the statement cache
		var seen int
		before := writes.Load()
		err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
			if _, err := tx.GetOrganizationSettings(ctx, tx.TenantID()); err != nil {
				return err
			}
			if err := tx.Audit(ctx, "finally.tested", "tenant", nil, nil); err != nil {
				return err
			}
			return tx.Finally(ctx, func(tx *store.Tx) error { return count(tx, &seen) })
		})
		if err != nil {
			t.Fatal(err)
		}
		if seen != i {
			t.Fatalf("Finally read %d entries, want %d (with the one held for COMMIT)", seen, i)
		}
		if n := writes.Load() - before; i == 2 && n != 2 {
			t.Errorf("%d round trips, want 2", n)
		}
	}
	err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
		if err := tx.Audit(ctx, "finally.tested", "tenant", nil, nil); err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) error { return tx.ExecRaw(ctx, "SELECT 1/0") })
	})
	if err == nil {
		t.Fatal("a failing Finally statement committed")
	}
	err = f.Store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.Finally(ctx, func(tx *store.Tx) error {
			var n int
			if err := count(tx, &n); err != nil {
				return err
			}
			return count(tx, &n) // a second statement: refused
		})
	})
	if err == nil {
		t.Fatal("a Finally function sent a second statement")
	}
	var n int
	if err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error { return count(tx, &n) }); err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d entries kept, want 2: the failed transaction's was kept", n)
	}
}
