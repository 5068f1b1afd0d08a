package store_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/store"
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
	divide := func(tx *store.Tx) error { return tx.ExecRaw(ctx, "SELECT 1/0") }
	audit := func(tx *store.Tx) error { return tx.Audit(ctx, "together.failed", "tenant", nil, nil) }
	var later error // what the function after a failing statement read
	read := func(tx *store.Tx) error {
		_, later = tx.GetOrganizationSettings(ctx, tx.TenantID())
		return nil // swallowed: Together still returns the failure
	}
	for _, c := range []struct {
		name string
		fns  []func(*store.Tx) error
		want func(error) bool
	}{
		{"a statement fails", []func(*store.Tx) error{audit, read, divide}, isDivisionByZero},
		{"a function fails", []func(*store.Tx) error{audit, read, func(*store.Tx) error { return refused }}, func(err error) bool { return errors.Is(err, refused) }},
		{"a statement fails before another", []func(*store.Tx) error{audit, divide, read}, isDivisionByZero},
		// The transaction is aborted all the same: COMMIT fails.
		{"a statement fails, its function keeps the error", []func(*store.Tx) error{audit, func(tx *store.Tx) error { _ = divide(tx); return nil }}, func(err error) bool { return err != nil }},
	} {
		t.Run(c.name, func(t *testing.T) {
			later = nil
			err := f.Store.InTenant(ctx, func(tx *store.Tx) error { return tx.Together(ctx, c.fns...) })
			if !c.want(err) {
				t.Fatalf("got %v", err)
			}
			if c.name == "a statement fails before another" && later == nil {
				t.Fatal("the statement after the failing one succeeded in an aborted transaction")
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

func isDivisionByZero(err error) bool {
	return err != nil && strings.Contains(err.Error(), "division by zero")
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

// A transaction whose statements are all held for COMMIT (and read with
// it) is one round trip: BEGIN, the scope, the held statements, the
// Finally read and COMMIT in one batch. One of them failing keeps nothing.
func TestHeldStatementsAloneAreOneRoundTrip(t *testing.T) {
	var writes atomic.Int64
	f := setup(t, withMaxConns(1), withoutConnectionCheck, store.WithDialCounter(func() { writes.Add(1) }))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	count := func(ctx context.Context, tx *store.Tx, n *int) error {
		return tx.QueryRowRaw(ctx, "SELECT count(*) FROM audit_log WHERE action = 'held.tested'").Scan(n)
	}
	kept := 0
	for i := 1; i <= 2; i++ { // the first warms the statement cache
		var seen int
		before := writes.Load()
		err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
			if err := tx.Audit(ctx, "held.tested", "tenant", nil, nil); err != nil {
				return err
			}
			if err := tx.Audit(ctx, "held.tested", "tenant", nil, nil); err != nil {
				return err
			}
			return tx.Finally(ctx, func(tx *store.Tx) error { return count(ctx, tx, &seen) })
		})
		if err != nil {
			t.Fatal(err)
		}
		if kept += 2; seen != kept {
			t.Fatalf("Finally read %d entries, want %d", seen, kept)
		}
		if n := writes.Load() - before; i == 2 && n != 1 {
			t.Errorf("held statements and a Finally read: %d round trips, want 1", n)
		}
		before = writes.Load()
		if err := f.Store.InTenant(ctx, func(tx *store.Tx) error { return tx.Audit(ctx, "held.tested", "tenant", nil, nil) }); err != nil {
			t.Fatal(err)
		}
		kept++
		if n := writes.Load() - before; i == 2 && n != 1 {
			t.Errorf("a held statement alone: %d round trips, want 1", n)
		}
	}
	// The audit log refuses an entry with an empty action (a check): the
	// entry before it in the batch is not kept either.
	err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
		if err := tx.Audit(ctx, "held.tested", "tenant", nil, nil); err != nil {
			return err
		}
		return tx.Audit(ctx, "", "tenant", nil, nil)
	})
	if err == nil {
		t.Fatal("a batch with a failing held statement committed")
	}
	// The global path, on another tenant: globex's entries are not
	// acme's, and the connection works after the failure.
	globex := scopeOf(context.Background(), f, "globex", "owner")
	if err := f.Store.InTenant(globex, func(tx *store.Tx) error { return tx.Audit(globex, "held.tested", "tenant", nil, nil) }); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error { return count(ctx, tx, &n) }); err != nil {
		t.Fatal(err)
	}
	if n != kept {
		t.Fatalf("acme holds %d entries, want %d: the failed transaction's was kept, or globex's is read", n, kept)
	}
}

// A function of Together that leaves its first rows open, or reads them
// to the end without closing them, and sends a second statement neither
// hangs nor sees another function's results.
func TestTogetherWithRowsLeftOpen(t *testing.T) {
	f := setup(t, withMaxConns(1))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	for _, run := range []func(context.Context, func(*store.Tx) error) error{f.Store.ReadTenant, f.Store.InTenant} {
		var first, second, other int
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, func(tx *store.Tx) error {
				return tx.Together(ctx,
					func(tx *store.Tx) error {
						rows, err := tx.QueryRaw(ctx, "SELECT generate_series(1, 3)")
						if err != nil {
							return err
						}
						if rows.Next() { // one row read, the rows left open
							if err := rows.Scan(&first); err != nil {
								return err
							}
						}
						return tx.QueryRowRaw(ctx, "SELECT 20").Scan(&second)
					},
					func(tx *store.Tx) error {
						rows, err := tx.QueryRaw(ctx, "SELECT 30")
						if err != nil {
							return err
						}
						for rows.Next() { // read to the end, never closed
							if err := rows.Scan(&other); err != nil {
								return err
							}
						}
						return rows.Err()
					},
				)
			})
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("Together hangs on rows left open")
		}
		if first != 1 || second != 20 || other != 30 {
			t.Fatalf("read %d, %d, %d; want 1, 20, 30", first, second, other)
		}
	}
}
