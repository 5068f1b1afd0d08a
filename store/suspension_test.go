package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
)

// setStatus sets a tenant's status as the platform role does.
func setStatus(tb testing.TB, platform *pgx.Conn, slug, status string) {
	tb.Helper()
	if _, err := platform.Exec(context.Background(), "UPDATE tenants SET status = $1 WHERE slug = $2", status, slug); err != nil {
		tb.Fatal(err)
	}
}

// A suspended tenant's rows are refused by the database itself: the app
// role, with the tenant setting naming the tenant by hand, reads none of
// them in any tenant-owned table and writes none; the other tenant is
// untouched, and resuming gives everything back.
func TestSuspendedTenantIsRefusedByTheDatabase(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	app := pgtest.Connect(t, f.DB.AppURL)
	platform := pgtest.Connect(t, f.DB.PlatformURL)
	acme, globex := f.Seeded["acme"].TenantID, f.Seeded["globex"].TenantID
	tables, err := schemaaudit.TenantTables(ctx, app, auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	before := map[string]int{}
	for _, table := range tables {
		inTx(t, app, &acme, func(tx pgx.Tx) { before[table.Name] = count(t, tx, "SELECT count(*) FROM "+table.Ident()) })
		if before[table.Name] == 0 {
			t.Fatalf("acme has no rows in %s: the test would prove nothing", table)
		}
	}
	setStatus(t, platform, "acme", "suspended")
	for _, table := range tables {
		inTx(t, app, &acme, func(tx pgx.Tx) {
			if n := count(t, tx, "SELECT count(*) FROM "+table.Ident()); n != 0 {
				t.Fatalf("%s: the app role reads %d rows of a suspended tenant", table, n)
			}
		})
		inTx(t, app, &globex, func(tx pgx.Tx) {
			if n := count(t, tx, "SELECT count(*) FROM "+table.Ident()); n == 0 {
				t.Fatalf("%s: suspending acme hid globex's rows", table)
			}
		})
	}
	inTx(t, app, &acme, func(tx pgx.Tx) {
		_, err := tx.Exec(ctx, "INSERT INTO audit_log (tenant_id, action) VALUES ($1, 'written while suspended')", acme)
		requireRLSRefusal(t, err)
	})
	inTx(t, app, &acme, func(tx pgx.Tx) {
		tag, err := tx.Exec(ctx, "UPDATE services SET name = name || ' (changed)' WHERE tenant_id = $1", acme)
		if err != nil {
			t.Fatal(err)
		}
		if tag.RowsAffected() != 0 {
			t.Fatalf("the app role changed %d rows of a suspended tenant", tag.RowsAffected())
		}
	})
	setStatus(t, platform, "acme", "active")
	for _, table := range tables {
		inTx(t, app, &acme, func(tx pgx.Tx) {
			if n := count(t, tx, "SELECT count(*) FROM "+table.Ident()); n != before[table.Name] {
				t.Fatalf("%s: %d rows after resuming, %d before", table, n, before[table.Name])
			}
		})
	}
}

// Every tenant-owned table, found from the catalog, carries the
// restrictive tenant_active policy for the app role: a table added later
// without it fails here. The policy reads the setting through a
// sub-select, computed once per statement and probing tenants by its
// primary key (migration 00024); the bare expression it replaced cost a
// scan of tenants per policy use.
func TestEveryTenantTableRefusesSuspendedTenants(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	app := pgtest.Connect(t, f.DB.AppURL)
	tables, err := schemaaudit.TenantTables(ctx, app, auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, table := range tables {
		var restrictive, forApp bool
		var qual string
		err := app.QueryRow(ctx, `
			SELECT NOT p.polpermissive, 'tenantkit_app'::regrole = ANY (p.polroles), pg_get_expr(p.polqual, p.polrelid)
			FROM pg_policy p WHERE p.polrelid = $1::regclass AND p.polname = 'tenant_active' AND p.polcmd = '*'`,
			table.Ident()).Scan(&restrictive, &forApp, &qual)
		if err != nil || !restrictive || !forApp {
			t.Errorf("%s: no restrictive tenant_active policy for the app role on all commands (%v)", table, err)
			continue
		}
		if !strings.Contains(qual, "tn.id = ( SELECT (NULLIF(current_setting('app.current_tenant_id'::text, true), ''::text))::uuid") {
			t.Errorf("%s: tenant_active compares tenants.id with the setting's expression, not a sub-select (see migration 00024): %s", table, qual)
		}
	}
}
