package store_test

// The database-level isolation suite. It is generated from the catalog:
// every table the audit recognises as tenant-owned is attacked the same way,
// so a new tenant-owned table is covered without a new test. Every query
// runs as the app role on a plain connection, with no application filter:
// row security alone must hold. Mutations run in transactions that are
// rolled back.

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/audit"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/store/schema"
)

func auditConfig() audit.Config {
	return audit.Config{AppRole: schema.AppRole, AllowGlobal: schema.GlobalTables}
}

// inTx runs fn in a transaction on conn, optionally bound to a tenant with a
// transaction-local setting, and rolls it back.
func inTx(tb testing.TB, conn *pgx.Conn, tenantID *uuid.UUID, fn func(tx pgx.Tx)) {
	tb.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if tenantID != nil {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.current_tenant_id', $1, true)", tenantID.String()); err != nil {
			tb.Fatal(err)
		}
	}
	fn(tx)
}

func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// requireRLSRefusal fails unless err is row security refusing a row.
func requireRLSRefusal(tb testing.TB, err error) {
	tb.Helper()
	if sqlState(err) != "42501" || !strings.Contains(err.Error(), "row-level security") {
		tb.Fatalf("want a row-level security refusal (42501), got %v", err)
	}
}

func count(tb testing.TB, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) int {
	tb.Helper()
	var n int
	if err := q.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return n
}

// fingerprint returns a digest of every row of the tenant in table, read as
// that tenant, to show a table unchanged.
func fingerprint(tb testing.TB, conn *pgx.Conn, table audit.Table, tenantID uuid.UUID) string {
	tb.Helper()
	var fp string
	inTx(tb, conn, &tenantID, func(tx pgx.Tx) {
		sql := fmt.Sprintf("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, ',' ORDER BY t::text)), '') FROM %s t", table.Ident())
		if err := tx.QueryRow(context.Background(), sql).Scan(&fp); err != nil {
			tb.Fatal(err)
		}
	})
	return fp
}

// updatableColumn returns a column of table the app role may update, or "".
func updatableColumn(tb testing.TB, conn *pgx.Conn, table audit.Table) string {
	tb.Helper()
	var col string
	err := conn.QueryRow(context.Background(), `
		SELECT attname FROM pg_attribute
		WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
		  AND has_column_privilege($2, attrelid, attnum, 'UPDATE')
		ORDER BY attnum LIMIT 1`, table.Ident(), schema.AppRole).Scan(&col)
	if errors.Is(err, pgx.ErrNoRows) {
		return ""
	}
	if err != nil {
		tb.Fatal(err)
	}
	return col
}

func TestTenantOwnedTablesAreIsolated(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	app := pgtest.Connect(t, f.DB.AppURL)
	acme, globex := f.Seeded["acme"].TenantID, f.Seeded["globex"].TenantID

	tables, err := audit.TenantTables(ctx, app, auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	// A guard on the catalog query itself: these must be found.
	found := map[string]bool{}
	for _, tb := range tables {
		found[tb.Name] = true
	}
	for _, want := range []string{"members", "audit_log", "organization_settings", "services", "service_requests", "bookings", "tasks", "expenses", "posts"} {
		if !found[want] {
			t.Fatalf("the catalog did not find tenant-owned table %s among %v", want, tables)
		}
	}
	for _, table := range tables {
		t.Run(table.Name, func(t *testing.T) {
			ident := table.Ident()

			t.Run("SeededForBothTenants", func(t *testing.T) {
				// Non-vacuous: each tenant has rows the other must not see.
				for _, id := range []uuid.UUID{acme, globex} {
					inTx(t, app, &id, func(tx pgx.Tx) {
						if n := count(t, tx, "SELECT count(*) FROM "+ident); n == 0 {
							t.Fatalf("tenant %s has no rows in %s: the demo seed must cover every table", id, table)
						}
					})
				}
			})

			t.Run("OtherTenantRowsAreInvisible", func(t *testing.T) {
				inTx(t, app, &acme, func(tx pgx.Tx) {
					if n := count(t, tx, "SELECT count(*) FROM "+ident+" WHERE tenant_id = $1", globex); n != 0 {
						t.Fatalf("acme sees %d globex rows", n)
					}
					all := count(t, tx, "SELECT count(*) FROM "+ident)
					own := count(t, tx, "SELECT count(*) FROM "+ident+" WHERE tenant_id = $1", acme)
					if all != own || all == 0 {
						t.Fatalf("acme sees %d rows, %d of them its own", all, own)
					}
				})
			})

			t.Run("OtherTenantRowsCannotBeUpdated", func(t *testing.T) {
				col := updatableColumn(t, app, table)
				before := fingerprint(t, app, table, globex)
				inTx(t, app, &acme, func(tx pgx.Tx) {
					if col == "" {
						_, err := tx.Exec(ctx, "UPDATE "+ident+" SET tenant_id = tenant_id WHERE tenant_id = $1", globex)
						if sqlState(err) != "42501" {
							t.Fatalf("append-only table: want permission denied, got %v", err)
						}
						return
					}
					c := pgx.Identifier{col}.Sanitize()
					tag, err := tx.Exec(ctx, "UPDATE "+ident+" SET "+c+" = "+c+" WHERE tenant_id = $1", globex)
					if err != nil {
						t.Fatal(err)
					}
					if tag.RowsAffected() != 0 {
						t.Fatalf("acme updated %d globex rows", tag.RowsAffected())
					}
				})
				if after := fingerprint(t, app, table, globex); after != before {
					t.Fatal("globex rows changed")
				}
			})

			t.Run("OtherTenantRowsCannotBeDeleted", func(t *testing.T) {
				before := fingerprint(t, app, table, globex)
				inTx(t, app, &acme, func(tx pgx.Tx) {
					tag, err := tx.Exec(ctx, "DELETE FROM "+ident+" WHERE tenant_id = $1", globex)
					if sqlState(err) == "42501" && !strings.Contains(err.Error(), "row-level") {
						return // no DELETE privilege at all: append-only or archived, never deleted
					}
					if err != nil {
						t.Fatal(err)
					}
					if tag.RowsAffected() != 0 {
						t.Fatalf("acme deleted %d globex rows", tag.RowsAffected())
					}
				})
				if after := fingerprint(t, app, table, globex); after != before {
					t.Fatal("globex rows changed")
				}
			})

			t.Run("InsertForOtherTenantIsRefused", func(t *testing.T) {
				inTx(t, app, &acme, func(tx pgx.Tx) {
					// A copy of one of acme's rows, relabelled as globex's.
					_, err := tx.Exec(ctx, fmt.Sprintf(`
						INSERT INTO %[1]s
						SELECT (jsonb_populate_record(NULL::%[1]s,
						        to_jsonb(r) || jsonb_build_object('tenant_id', $1::uuid, 'id', gen_random_uuid()))).*
						FROM %[1]s r LIMIT 1`, ident), globex)
					requireRLSRefusal(t, err)
				})
			})

			t.Run("TenantColumnCannotBeUpdated", func(t *testing.T) {
				var can bool
				err := app.QueryRow(ctx, "SELECT has_column_privilege($1, $2::regclass, 'tenant_id', 'UPDATE')",
					schema.AppRole, ident).Scan(&can)
				if err != nil {
					t.Fatal(err)
				}
				if can {
					t.Fatal("the app role may update tenant_id: a row could be moved to another tenant")
				}
				inTx(t, app, &acme, func(tx pgx.Tx) {
					_, err := tx.Exec(ctx, "UPDATE "+ident+" SET tenant_id = $1", globex)
					if sqlState(err) != "42501" {
						t.Fatalf("moving rows to another tenant: want 42501, got %v", err)
					}
				})
			})

			t.Run("NoTenantSetSeesAndWritesNothing", func(t *testing.T) {
				var row []byte
				inTx(t, app, &acme, func(tx pgx.Tx) {
					if err := tx.QueryRow(ctx, "SELECT to_jsonb(r) FROM "+ident+" r LIMIT 1").Scan(&row); err != nil {
						t.Fatal(err)
					}
				})
				inTx(t, app, nil, func(tx pgx.Tx) {
					if n := count(t, tx, "SELECT count(*) FROM "+ident); n != 0 {
						t.Fatalf("without a tenant the app role sees %d rows", n)
					}
					_, err := tx.Exec(ctx, fmt.Sprintf(`
						INSERT INTO %[1]s
						SELECT (jsonb_populate_record(NULL::%[1]s, $1::jsonb || jsonb_build_object('id', gen_random_uuid()))).*`, ident), row)
					requireRLSRefusal(t, err)
				})
			})

			t.Run("TruncateIsDenied", func(t *testing.T) {
				inTx(t, app, &acme, func(tx pgx.Tx) {
					_, err := tx.Exec(ctx, "TRUNCATE "+ident+" CASCADE")
					if sqlState(err) != "42501" {
						t.Fatalf("TRUNCATE: want permission denied, got %v", err)
					}
				})
			})
		})
	}
}

// After a transaction that set a tenant, the same pooled connection sees
// nothing: the setting was transaction-local. The pool has one connection
// and no hygiene check (which would hide a leak by destroying the
// connection), and the backend pid proves the session is the same one.
func TestTenantSettingEndsWithTransaction(t *testing.T) {
	f := setup(t, withMaxConns(1), withoutConnectionCheck)
	ctx := context.Background()
	tables, err := audit.TenantTables(ctx, pgtest.Connect(t, f.DB.AppURL), auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	pool := f.Store.AppPool()
	ctxA := scopeOf(ctx, f, "acme", "owner")
	for _, table := range tables {
		for name, run := range map[string]func(context.Context, func(*store.Tx) error) error{
			"InTenant": f.Store.InTenant, "ReadTenant": f.Store.ReadTenant,
		} {
			var pidInside, seen int
			err := run(ctxA, func(tx *store.Tx) error {
				return tx.QueryRowRaw(ctxA, "SELECT pg_backend_pid(), (SELECT count(*) FROM "+table.Ident()+")").Scan(&pidInside, &seen)
			})
			if err != nil {
				t.Fatal(err)
			}
			if seen == 0 {
				t.Fatalf("%s %s: the tenant saw none of its rows", name, table)
			}
			var pidAfter, n int
			var setting string
			err = pool.QueryRow(ctx, "SELECT pg_backend_pid(), coalesce(current_setting('app.current_tenant_id', true), ''), (SELECT count(*) FROM "+table.Ident()+")").
				Scan(&pidAfter, &setting, &n)
			if err != nil {
				t.Fatalf("%s: %v", table, err)
			}
			if pidAfter != pidInside {
				t.Fatalf("%s: the pool reconnected (pid %d, then %d); the test proves nothing", name, pidInside, pidAfter)
			}
			if setting != "" || n != 0 {
				t.Fatalf("%s %s: after the tenant transaction the pooled connection has setting %q and sees %d rows", name, table, setting, n)
			}
		}
	}
}
