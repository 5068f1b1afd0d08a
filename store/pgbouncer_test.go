package store_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/store/schema"
)

// Behind PgBouncer in transaction mode every transaction may land on any
// server connection, and here two application instances share a single
// one. The tenant setting is transaction-local, so it travels with each
// transaction and never with the server connection.
func TestIsolationBehindPgBouncer(t *testing.T) {
	f := setup(t)
	url := pgtest.PgBouncer(t, f.DB, schema.AppRole)
	ctx := context.Background()
	open := func() *store.Store {
		st, err := store.Open(ctx, store.Config{AppURL: url(schema.AppRole), MaxConns: 4})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(st.Close)
		return st
	}
	first, second := open(), open()

	t.Run("SettingDoesNotFollowTheServerConnection", func(t *testing.T) {
		ctxA := scopeOf(ctx, f, "acme", "owner")
		var pidInside int
		err := first.InTenant(ctxA, func(tx *store.Tx) error {
			return tx.QueryRowRaw(ctxA, "SELECT pg_backend_pid()").Scan(&pidInside)
		})
		if err != nil {
			t.Fatal(err)
		}
		var pidAfter, n int
		var setting string
		err = second.AppPool().QueryRow(ctx, "SELECT pg_backend_pid(), coalesce(current_setting('app.current_tenant_id', true), ''), (SELECT count(*) FROM services)").
			Scan(&pidAfter, &setting, &n)
		if err != nil {
			t.Fatal(err)
		}
		if pidAfter != pidInside {
			t.Fatalf("the bouncer used two server connections (%d, %d): the test proves nothing", pidInside, pidAfter)
		}
		if setting != "" || n != 0 {
			t.Fatalf("another instance on the same server connection sees setting %q and %d rows", setting, n)
		}
	})

	t.Run("ConcurrentTenantsNeverMix", func(t *testing.T) {
		var wg sync.WaitGroup
		for i := range 24 {
			st := first
			if i%3 == 0 {
				st = second
			}
			slug, other := "acme", "Globex"
			if i%2 == 1 {
				slug, other = "globex", "Acme"
			}
			wg.Go(func() {
				ctx := scopeOf(ctx, f, slug, "owner")
				for j := range 10 {
					run := st.ReadTenant
					if j%2 == 0 {
						run = st.InTenant
					}
					err := run(ctx, func(tx *store.Tx) error {
						page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 20})
						if err != nil {
							return err
						}
						if len(page) == 0 {
							return fmt.Errorf("%s sees no services", slug)
						}
						for _, s := range page {
							if strings.Contains(s.Name, other) || s.TenantID != tx.TenantID() {
								return fmt.Errorf("%s saw %q", slug, s.Name)
							}
						}
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
	})
}
