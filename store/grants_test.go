package store_test

import (
	"context"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store"
)

// The platform role reads a tenant's rows only under a live grant row for
// that tenant, and deletes them only under a live 'delete' grant: without
// one it reads nothing, an expired or ended one opens nothing, and a
// grant on acme opens nothing of globex. Checked on every tenant-owned
// table whose platform policies are the grant's (those with platform_all
// serve the identity path and are left out).
func TestPlatformRoleReadsOnlyUnderAGrant(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	platform := pgtest.Connect(t, f.DB.PlatformURL)
	admin := pgtest.Connect(t, f.DB.AdminURL)
	acme, globex := f.Seeded["acme"].TenantID, f.Seeded["globex"].TenantID
	tables, err := schemaaudit.TenantTables(ctx, pgtest.Connect(t, f.DB.AppURL), auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	var gated []schemaaudit.Table
	for _, table := range tables {
		var open bool
		if err := admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_policy WHERE polrelid = $1::regclass AND polname = 'platform_all')", table.Ident()).Scan(&open); err != nil {
			t.Fatal(err)
		}
		if !open {
			gated = append(gated, table)
		}
	}
	if len(gated) < 10 {
		t.Fatalf("only %d tables gated by grants: %v", len(gated), gated)
	}
	countAll := func(table schemaaudit.Table) (own, other int) {
		return count(t, platform, "SELECT count(*) FROM "+table.Ident()+" WHERE tenant_id = $1", acme),
			count(t, platform, "SELECT count(*) FROM "+table.Ident()+" WHERE tenant_id <> $1", acme)
	}
	grant := func(purpose, createdAgo, expiresIn string) {
		t.Helper()
		_, err := admin.Exec(ctx, `INSERT INTO platform_grants (target_tenant_id, purpose, actor, reason, created_at, expires_at)
			VALUES ($1, $2, 'test', 'test', now() - $3::interval, now() + $4::interval)`, acme, purpose, createdAgo, expiresIn)
		if err != nil {
			t.Fatal(err)
		}
	}
	check := func(wantOwn bool) {
		t.Helper()
		for _, table := range gated {
			own, other := countAll(table)
			if other != 0 || (own > 0) != wantOwn {
				t.Fatalf("%s: the platform role reads %d of acme's rows and %d of others'", table, own, other)
			}
		}
	}
	check(false)
	grant("export", "2 hours", "-1 hour") // expired
	check(false)
	grant("support", "0 seconds", "30 minutes")
	check(true)
	// Reading is not deleting.
	for _, table := range gated {
		tag, err := platform.Exec(ctx, "DELETE FROM "+table.Ident()+" WHERE tenant_id = $1", acme)
		if err != nil || tag.RowsAffected() != 0 {
			t.Fatalf("%s: a read grant deleted %d rows (%v)", table, tag.RowsAffected(), err)
		}
	}
	if _, err := admin.Exec(ctx, "UPDATE platform_grants SET ended_at = now()"); err != nil {
		t.Fatal(err)
	}
	check(false)
	// A delete grant on acme deletes acme's rows, never globex's, on every
	// tenant-owned table, those with platform_all too.
	grant("delete", "0 seconds", "30 minutes")
	for _, table := range tables {
		tx, err := platform.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		tag, err := tx.Exec(ctx, "DELETE FROM "+table.Ident()+" WHERE tenant_id = $1", globex)
		if err != nil && sqlState(err) != "42501" {
			t.Fatalf("%s: %v", table, err)
		}
		if err == nil && tag.RowsAffected() != 0 {
			t.Fatalf("%s: a delete grant on acme deleted %d of globex's rows", table, tag.RowsAffected())
		}
		_ = tx.Rollback(ctx)
	}
	inPlatformTx(t, platform, func(tx pgx.Tx) {
		tag, err := tx.Exec(ctx, "DELETE FROM booking_events WHERE tenant_id = $1", acme)
		if err != nil || tag.RowsAffected() == 0 {
			t.Fatalf("a delete grant did not delete acme's booking events: %d %v", tag.RowsAffected(), err)
		}
	})
}

// inPlatformTx runs fn in a transaction on conn and rolls it back.
func inPlatformTx(tb testing.TB, conn *pgx.Conn, fn func(tx pgx.Tx)) {
	tb.Helper()
	tx, err := conn.Begin(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	fn(tx)
}

// A support read's statements carry the grant: on a table whose platform
// policy is open for the identity path (members), nothing is read once the
// grant has expired or ended, by the database's clock.
func TestSupportReadsNeedTheLiveGrant(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	admin := pgtest.Connect(t, f.DB.AdminURL)
	acme := f.Seeded["acme"].TenantID
	var grant uuid.UUID
	if err := admin.QueryRow(ctx, `INSERT INTO platform_grants (target_tenant_id, purpose, actor, reason, expires_at)
		VALUES ($1, 'support', 'test', 'test', now() + interval '30 minutes') RETURNING id`, acme).Scan(&grant); err != nil {
		t.Fatal(err)
	}
	read := func() (rows int, n int64) {
		t.Helper()
		err := f.Store.InPlatform(ctx, store.PlatformOp{Actor: "test", Action: "test.support_read", Reason: "test"}, func(tx *store.PlatformTx) error {
			table, err := tx.TenantTable(ctx, "members")
			if err != nil {
				return err
			}
			rs, err := tx.TenantRows(ctx, table, acme, grant, 100, 0)
			rows = len(rs)
			if err != nil {
				return err
			}
			n, err = tx.CountTenantRows(ctx, table, acme, grant)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return rows, n
	}
	if rows, n := read(); rows == 0 || int64(rows) != n {
		t.Fatalf("under a live grant: %d rows, count %d", rows, n)
	}
	if _, err := admin.Exec(ctx, "UPDATE platform_grants SET created_at = now() - interval '1 hour', expires_at = now() - interval '1 second' WHERE id = $1", grant); err != nil {
		t.Fatal(err)
	}
	if rows, n := read(); rows != 0 || n != 0 {
		t.Fatalf("after the expiry: %d rows, count %d", rows, n)
	}
	if _, err := admin.Exec(ctx, "UPDATE platform_grants SET expires_at = now() + interval '1 hour', ended_at = now() WHERE id = $1", grant); err != nil {
		t.Fatal(err)
	}
	if rows, n := read(); rows != 0 || n != 0 {
		t.Fatalf("after the end: %d rows, count %d", rows, n)
	}
}
