package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/store/schema"
)

// planExceptions are the tenant queries whose plan may read a tenant table
// without an index led by tenant_id, each with the reason. Keep it short:
// every entry is a query whose cost grows with the table, not with the
// tenant.
var planExceptions = map[string]string{}

// Every tenant query of the store is planned over an index whose leading
// column is tenant_id and whose condition names it, on every tenant table
// it reads (issue 15, item 5). The queries are the ones sqlc generated
// from store/queries/tenant, planned as the app role in a tenant
// transaction, the way requests run them, with their generic plan (what a
// prepared statement settles on, whatever the parameters) and sequential
// scans priced out, so that the demo's small tables do not hide a missing
// index: a sequential scan that remains means no index could serve the
// query at all; an index scan without a tenant condition walks every
// tenant's entries.
func TestEveryTenantQueryIsPlannedOnATenantIndex(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := t.Context()
	queries := generatedQueries(t, filepath.Join("internal", "db"))
	if len(queries) < 100 {
		t.Fatalf("found %d generated tenant queries: the parser missed some", len(queries))
	}
	conn := pgxConnect(t, f.DB.AppURL)
	tenantTables := tenantTablesOf(t, conn)
	leading := leadingColumns(t, conn)

	acme := f.Seeded["acme"].TenantID
	checked := 0
	for _, name := range sortedKeys(queries) {
		sql := queries[name]
		problems, err := planProblems(ctx, conn, acme.String(), name, sql, tenantTables, leading)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		checked++
		reason, excepted := planExceptions[name]
		switch {
		case len(problems) > 0 && !excepted:
			t.Errorf("%s: %s", name, strings.Join(problems, "; "))
		case len(problems) == 0 && excepted:
			t.Errorf("%s is listed as an exception (%s) but is planned on tenant indexes: remove it from the list", name, reason)
		}
	}
	for name := range planExceptions {
		if _, ok := queries[name]; !ok {
			t.Errorf("exception %s names no query", name)
		}
	}
	t.Logf("%d tenant queries planned, %d listed exceptions", checked, len(planExceptions))

	// The check sees a plan that reads without a tenant index: with index
	// scans priced out too, reading a service is a sequential scan.
	problems, err := planProblems(ctx, conn, acme.String(), "GetService", queries["GetService"], tenantTables, leading,
		"SET LOCAL enable_seqscan = on", "SET LOCAL enable_indexscan = off", "SET LOCAL enable_bitmapscan = off")
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) == 0 || !strings.Contains(problems[0], "Seq Scan on services") {
		t.Fatalf("without index scans, the check found %q", problems)
	}
}

// generatedQueries returns the SQL of every query sqlc generated into dir,
// by query name.
func generatedQueries(tb testing.TB, dir string) map[string]string {
	tb.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.sql.go"))
	if err != nil || len(files) == 0 {
		tb.Fatalf("generated query files in %s: %v", dir, err)
	}
	out := map[string]string{}
	fset := token.NewFileSet()
	for _, file := range files {
		parsed, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			tb.Fatal(err)
		}
		for _, decl := range parsed.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				for _, v := range vs.Values {
					lit, ok := v.(*ast.BasicLit)
					if !ok || lit.Kind != token.STRING {
						continue
					}
					sql, err := strconv.Unquote(lit.Value)
					if err != nil {
						tb.Fatal(err)
					}
					first, rest, _ := strings.Cut(sql, "\n")
					fields := strings.Fields(first)
					if len(fields) < 3 || fields[0] != "--" || fields[1] != "name:" {
						continue
					}
					out[fields[2]] = rest
				}
			}
		}
	}
	return out
}

func pgxConnect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(tb.Context(), url)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(tb.Context()) })
	return conn
}

// tenantTablesOf returns the tables of public that carry tenant_id and are
// not global by design.
func tenantTablesOf(tb testing.TB, conn *pgx.Conn) map[string]bool {
	tb.Helper()
	rows, err := conn.Query(tb.Context(), `
		SELECT c.relname FROM pg_class c
		JOIN pg_namespace n ON n.oid = c.relnamespace AND n.nspname = 'public'
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE c.relkind IN ('r', 'p')`)
	if err != nil {
		tb.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]bool{}
	for _, n := range names {
		if !slices.Contains(schema.GlobalTables, n) {
			out[n] = true
		}
	}
	if len(out) < 10 {
		tb.Fatalf("found %d tenant tables", len(out))
	}
	return out
}

// leadingColumns returns each index of public by its leading column.
func leadingColumns(tb testing.TB, conn *pgx.Conn) map[string]string {
	tb.Helper()
	rows, err := conn.Query(tb.Context(), `
		SELECT ic.relname, coalesce(a.attname, '(expression)')
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_namespace n ON n.oid = ic.relnamespace AND n.nspname = 'public'
		LEFT JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]`)
	if err != nil {
		tb.Fatal(err)
	}
	out := map[string]string{}
	var index, col string
	if _, err := pgx.ForEachRow(rows, []any{&index, &col}, func() error { out[index] = col; return nil }); err != nil {
		tb.Fatal(err)
	}
	return out
}

// planNode is the part of EXPLAIN (FORMAT JSON) a check reads.
type planNode struct {
	NodeType     string     `json:"Node Type"`
	RelationName string     `json:"Relation Name"`
	IndexName    string     `json:"Index Name"`
	IndexCond    string     `json:"Index Cond"`
	Plans        []planNode `json:"Plans"`
}

// planProblems plans sql as the app role in tenantID's scope and returns
// what in the plan reads a tenant table other than through a tenant index.
// Nothing is executed: EXPLAIN without ANALYZE only plans, and the
// transaction is rolled back.
func planProblems(ctx context.Context, conn *pgx.Conn, tenantID, name, sql string, tenantTables map[string]bool, leading map[string]string, settings ...string) ([]string, error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(ctx)
	settings = append([]string{
		"SELECT set_config('" + schema.TenantSetting + "', '" + tenantID + "', true)",
		"SET LOCAL enable_seqscan = off",
		"SET LOCAL plan_cache_mode = force_generic_plan",
	}, settings...)
	for _, s := range settings {
		if _, err := tx.Exec(ctx, s); err != nil {
			return nil, err
		}
	}
	stmt := "plan_" + strings.ToLower(name)
	desc, err := tx.Conn().Prepare(ctx, stmt, sql)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	defer tx.Conn().Deallocate(ctx, stmt)
	args := strings.TrimSuffix(strings.Repeat("NULL, ", len(desc.ParamOIDs)), ", ")
	explain := "EXPLAIN (FORMAT JSON) EXECUTE " + stmt
	if args != "" {
		explain += "(" + args + ")"
	}
	var raw []byte
	if err := tx.QueryRow(ctx, explain).Scan(&raw); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	var plans []struct {
		Plan planNode `json:"Plan"`
	}
	if err := json.Unmarshal(raw, &plans); err != nil {
		return nil, err
	}
	var problems []string
	var walk func(n planNode)
	walk = func(n planNode) {
		switch n.NodeType {
		case "Seq Scan", "Tid Scan", "Tid Range Scan", "Sample Scan":
			if tenantTables[n.RelationName] {
				problems = append(problems, fmt.Sprintf("%s on %s", n.NodeType, n.RelationName))
			}
		case "Index Scan", "Index Only Scan":
			if tenantTables[n.RelationName] {
				problems = append(problems, indexProblems(n.RelationName, n, leading)...)
			}
		case "Bitmap Heap Scan":
			if tenantTables[n.RelationName] {
				for _, c := range n.Plans {
					walkBitmap(n.RelationName, c, leading, &problems)
				}
				return
			}
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	for _, p := range plans {
		walk(p.Plan)
	}
	return problems, nil
}

// walkBitmap checks the index scans under a tenant table's bitmap heap scan.
func walkBitmap(table string, n planNode, leading map[string]string, problems *[]string) {
	if n.NodeType == "Bitmap Index Scan" {
		*problems = append(*problems, indexProblems(table, n, leading)...)
		return
	}
	for _, c := range n.Plans {
		walkBitmap(table, c, leading, problems)
	}
}

// indexProblems checks one index scan: its index leads with tenant_id and
// its condition compares tenant_id.
func indexProblems(table string, n planNode, leading map[string]string) []string {
	var out []string
	if col := leading[n.IndexName]; col != "tenant_id" {
		out = append(out, fmt.Sprintf("%s on %s uses %s, led by %s", n.NodeType, table, n.IndexName, col))
	}
	if !strings.Contains(n.IndexCond, "tenant_id") {
		out = append(out, fmt.Sprintf("%s on %s through %s without a tenant condition (%q)", n.NodeType, table, n.IndexName, n.IndexCond))
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
