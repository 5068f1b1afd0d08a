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
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/store/schema"
)

func auditConfig() schemaaudit.Config {
	return schemaaudit.Config{AppRole: schema.AppRole, AllowGlobal: schema.GlobalTables}
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
func fingerprint(tb testing.TB, conn *pgx.Conn, table schemaaudit.Table, tenantID uuid.UUID) string {
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
func updatableColumn(tb testing.TB, conn *pgx.Conn, table schemaaudit.Table) string {
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

	tables, err := schemaaudit.TenantTables(ctx, app, auditConfig())
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
			for _, a := range tableAttacks(app, table, acme, globex) {
				t.Run(a.name, func(t *testing.T) { a.run(t) })
			}
		})
	}
}

// tableAttack is one attack of the database suite on one table.
type tableAttack struct {
	name string
	run  func(t testing.TB)
}

// tableAttacks returns the attacks on one tenant-owned table: acme, as the
// app role on app, against globex's rows. The mutation test runs them too,
// against schemas with a protection removed (mutants_test.go).
func tableAttacks(app *pgx.Conn, table schemaaudit.Table, acme, globex uuid.UUID) []tableAttack {
	ctx := context.Background()
	ident := table.Ident()
	return []tableAttack{
		{"SeededForBothTenants", func(t testing.TB) {
			// Non-vacuous: each tenant has rows the other must not see.
			for _, id := range []uuid.UUID{acme, globex} {
				inTx(t, app, &id, func(tx pgx.Tx) {
					if n := count(t, tx, "SELECT count(*) FROM "+ident); n == 0 {
						t.Fatalf("tenant %s has no rows in %s: the demo seed must cover every table", id, table)
					}
				})
			}
		}},

		{"OtherTenantRowsAreInvisible", func(t testing.TB) {
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
		}},

		{"OtherTenantRowsCannotBeUpdated", func(t testing.TB) {
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
		}},

		{"OtherTenantRowsCannotBeDeleted", func(t testing.TB) {
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
		}},

		{"InsertForOtherTenantIsRefused", func(t testing.TB) {
			inTx(t, app, &acme, func(tx pgx.Tx) {
				// A copy of one of acme's rows, relabelled as globex's.
				_, err := tx.Exec(ctx, fmt.Sprintf(`
					INSERT INTO %[1]s
					SELECT (jsonb_populate_record(NULL::%[1]s,
					        to_jsonb(r) || jsonb_build_object('tenant_id', $1::uuid, 'id', gen_random_uuid()))).*
					FROM %[1]s r LIMIT 1`, ident), globex)
				requireRLSRefusal(t, err)
			})
		}},

		{"TenantColumnCannotBeUpdated", func(t testing.TB) {
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
		}},

		{"NoTenantSetSeesAndWritesNothing", func(t testing.TB) {
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
		}},

		{"TruncateIsDenied", func(t testing.TB) {
			inTx(t, app, &acme, func(tx pgx.Tx) {
				// Without CASCADE: with it, a grant of TRUNCATE on this table
				// hides behind the refusal on the tables that reference it
				// (the truncate-grant mutant of internal/mutation showed it).
				// Without, the privilege is checked first: 42501, or 0A000
				// (a referencing table) once the privilege is granted.
				_, err := tx.Exec(ctx, "TRUNCATE "+ident)
				if sqlState(err) != "42501" {
					t.Fatalf("TRUNCATE: want permission denied, got %v", err)
				}
			})
		}},
	}
}

// The table owner is held by row security too (FORCE): with a tenant set it
// reads that tenant's rows only, and without one none. Nothing in the
// request path connects as the owner; migrations and operators do.
func TestOwnerIsHeldByRowSecurity(t *testing.T) { checkOwnerIsHeld(t, setup(t), nil) }

// checkOwnerIsHeld runs the owner's reads on the tenant-owned tables (only
// those named in only, if any).
func checkOwnerIsHeld(t testing.TB, f *fixture, only []string) {
	ctx := context.Background()
	owner := pgtest.Connect(t, f.DB.OwnerURL)
	tables, err := schemaaudit.TenantTables(ctx, pgtest.Connect(t, f.DB.AppURL), auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	acme, globex := f.Seeded["acme"].TenantID, f.Seeded["globex"].TenantID
	for _, table := range tables {
		if len(only) > 0 && !slices.Contains(only, table.Name) {
			continue
		}
		inTx(t, owner, &acme, func(tx pgx.Tx) {
			if n := count(t, tx, "SELECT count(*) FROM "+table.Ident()+" WHERE tenant_id = $1", globex); n != 0 {
				t.Errorf("%s: the owner, in acme, reads %d rows of globex", table, n)
			}
		})
		inTx(t, owner, nil, func(tx pgx.Tx) {
			if n := count(t, tx, "SELECT count(*) FROM "+table.Ident()); n != 0 {
				t.Errorf("%s: the owner, in no tenant, reads %d rows", table, n)
			}
		})
	}
}

// No relation the app role may read returns another tenant's rows: tables,
// and also views and materialized views with a tenant column, which row
// security does not reach unless they run as the caller.
func TestEveryReadableRelationIsIsolated(t *testing.T) { checkReadableRelations(t, setup(t)) }

func checkReadableRelations(t testing.TB, f *fixture) {
	ctx := context.Background()
	app := pgtest.Connect(t, f.DB.AppURL)
	rows, err := app.Query(ctx, `
		SELECT format('%I.%I', n.nspname, c.relname), c.relkind::text
		FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		  AND has_table_privilege(current_user, c.oid, 'SELECT')
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	type relation struct{ name, kind string }
	rels, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (relation, error) {
		var x relation
		return x, r.Scan(&x.name, &x.kind)
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(rels) < 10 {
		t.Fatalf("only %d readable relations with a tenant column: the catalog query is wrong", len(rels))
	}
	acme, globex := f.Seeded["acme"].TenantID, f.Seeded["globex"].TenantID
	for _, r := range rels {
		inTx(t, app, &acme, func(tx pgx.Tx) {
			// r.name comes from the catalog, quoted by format('%I').
			if n := count(t, tx, "SELECT count(*) FROM "+r.name+" WHERE tenant_id = $1", globex); n != 0 {
				t.Errorf("%s (relkind %s): acme reads %d rows of globex", r.name, r.kind, n)
			}
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
	tables, err := schemaaudit.TenantTables(ctx, pgtest.Connect(t, f.DB.AppURL), auditConfig())
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
