package probe_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/probe"
)

// disableRowSecurity knocks the database layer out: as a superuser, every
// table of the test database loses row security (policies stay, unused).
// It returns the tables changed, and fails tb unless the app role then
// sees another tenant's rows: proof that the knock-out took.
func disableRowSecurity(tb testing.TB, s *server) []string {
	tb.Helper()
	ctx := context.Background()
	admin := pgtest.Connect(tb, s.db.AdminURL)
	rows, err := admin.Query(ctx, `
		SELECT format('%I.%I', n.nspname, c.relname) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND c.relrowsecurity AND n.nspname NOT IN ('pg_catalog', 'information_schema')
		ORDER BY 1`)
	if err != nil {
		tb.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	for _, t := range tables {
		// t is a catalog name quoted by format('%I'): not input.
		if _, err := admin.Exec(ctx, "ALTER TABLE "+t+" NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY"); err != nil {
			tb.Fatal(err)
		}
	}
	app := pgtest.Connect(tb, s.db.AppURL)
	tx, err := app.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer tx.Rollback(ctx)
	var foreign int
	err = tx.QueryRow(ctx, `
		SELECT set_config('app.current_tenant_id', (SELECT id::text FROM tenants WHERE slug = 'acme'), true),
		       (SELECT count(*) FROM services WHERE tenant_id = (SELECT id FROM tenants WHERE slug = 'globex'))`).Scan(new(string), &foreign)
	if err != nil {
		tb.Fatal(err)
	}
	if foreign == 0 {
		tb.Fatal("row security still holds after the knock-out: the test would prove nothing")
	}
	return tables
}

// Layer knock-out: with row security disabled on every table, the
// application layer alone must still hold the whole matrix, and a short
// soak.
func TestMatrixWithoutRowSecurity(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	tables := disableRowSecurity(t, s)
	t.Logf("row security disabled on %d tables", len(tables))
	cfg := s.config()
	cfg.Soak = probe.SoakConfig{Probes: 2000}
	// The parsers refuse before any SQL runs: TestInputEdges covers them.
	cfg.SkipEdges = true
	rep, err := probe.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, s, rep)
	if rep.Soak == nil || rep.Soak.Probes < 2000 || rep.Soak.Leaks != 0 {
		t.Fatalf("soak without row security: %+v", rep.Soak)
	}
}
