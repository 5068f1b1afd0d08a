package schemaaudit_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is one broken schema of testdata: tkNNN.sql breaks the rule
// whose finding code is TKNNN, applied on top of clean.sql.
type fixture struct {
	code   string
	sql    string
	onBase bool              // applied on top of clean.sql ("-- base: none" says no)
	citus  bool              // audited with CitusReady ("-- citus")
	byHand bool              // its fix needs more than the finding's SQL ("-- fix: by hand")
	allow  map[string]string // schemas audited as allowed ("-- allow-schema: name")
	expect []string          // "CODE object", from "-- expect: CODE object" lines
}

func readFixture(tb testing.TB, name string) fixture {
	tb.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	f := fixture{code: strings.ToUpper(strings.TrimSuffix(name, ".sql")), sql: string(b), onBase: true}
	for line := range strings.Lines(f.sql) {
		line = strings.TrimSpace(line)
		switch {
		case line == "-- base: none":
			f.onBase = false
		case line == "-- citus":
			f.citus = true
		case strings.HasPrefix(line, "-- fix: by hand"):
			f.byHand = true
		case strings.HasPrefix(line, "-- allow-schema: "):
			if f.allow == nil {
				f.allow = map[string]string{}
			}
			f.allow[strings.TrimPrefix(line, "-- allow-schema: ")] = "a fixture's allowed schema"
		case strings.HasPrefix(line, "-- expect: "):
			f.expect = append(f.expect, strings.TrimPrefix(line, "-- expect: "))
		}
	}
	return f
}

// schema is a database holding one fixture, with its roles.
type schema struct {
	db    *pgtest.DB
	app   pgtest.Role
	other pgtest.Role
}

// substitute fills the psql-style placeholders of a fixture.
func (s schema) substitute(sql string) string {
	return strings.NewReplacer(
		`:"app"`, pgx.Identifier{s.app.Name}.Sanitize(),
		`:"other"`, pgx.Identifier{s.other.Name}.Sanitize(),
		`:app`, s.app.Name,
		`:other`, s.other.Name,
		`:database`, s.db.Name,
	).Replace(sql)
}

// mustSchema returns an empty database with the given fixture files
// applied by a superuser, in order.
func mustSchema(tb testing.TB, files ...string) schema {
	tb.Helper()
	db := pgtest.NewEmpty(tb)
	s := schema{db: db, app: db.NewRole(tb), other: db.NewRole(tb)}
	admin := pgtest.Connect(tb, db.AdminURL)
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := admin.Exec(context.Background(), s.substitute(string(b))); err != nil {
			tb.Fatalf("apply %s: %v", name, err)
		}
	}
	return s
}

// audit runs the checks connected as the app role itself, as the boot
// audit does.
func (s schema) audit(tb testing.TB, citus bool, allow ...map[string]string) []schemaaudit.Finding {
	tb.Helper()
	cfg := schemaaudit.Config{AppRole: s.app.Name, CitusReady: citus}
	if len(allow) > 0 {
		cfg.AllowSchemas = allow[0]
	}
	findings, err := schemaaudit.Run(context.Background(), pgtest.Connect(tb, s.app.URL), cfg)
	if err != nil {
		tb.Fatalf("audit: %v", err)
	}
	return findings
}

func summarize(findings []schemaaudit.Finding) []string {
	got := make([]string, len(findings))
	for i, f := range findings {
		got[i] = f.Code + " " + f.Object
	}
	slices.Sort(got)
	return got
}

func fixtureNames(tb testing.TB) []string {
	tb.Helper()
	names, err := filepath.Glob("testdata/tk*.sql")
	if err != nil || len(names) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	for i, n := range names {
		names[i] = filepath.Base(n)
	}
	return names
}

func TestCleanSchemaPasses(t *testing.T) {
	t.Parallel()
	s := mustSchema(t, "clean.sql")
	for _, citus := range []bool{false, true} {
		for _, f := range s.audit(t, citus) {
			t.Errorf("citus=%v: %s\n    fix: %s", citus, f, f.Fix)
		}
	}
	tables, err := schemaaudit.TenantTables(context.Background(), pgtest.Connect(t, s.app.URL), schemaaudit.Config{AppRole: s.app.Name})
	if err != nil {
		t.Fatal(err)
	}
	// Non-vacuous: the clean schema has tenant-owned tables to check.
	if len(tables) != 2 {
		t.Fatalf("tenant-owned tables of the clean schema: %v", tables)
	}
}

// The platform role crosses tenants through its policies by design, but is
// held to the same rules as the app role on what it could become; the app
// role must not be able to become it.
func TestPlatformRole(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := mustSchema(t, "clean.sql")
	platform := s.db.NewRole(t)
	admin := pgtest.Connect(t, s.db.AdminURL)
	find := func(tb testing.TB, cfg schemaaudit.Config) []string {
		tb.Helper()
		findings, err := schemaaudit.Run(ctx, pgtest.Connect(tb, s.app.URL), cfg)
		if err != nil {
			tb.Fatalf("audit: %v", err)
		}
		return summarize(findings)
	}
	exec := func(tb testing.TB, sql string) {
		tb.Helper()
		sql = strings.ReplaceAll(s.substitute(sql), ":platform", pgx.Identifier{platform.Name}.Sanitize())
		if _, err := admin.Exec(ctx, sql); err != nil {
			tb.Fatalf("%s: %v", sql, err)
		}
	}
	withPlatform := schemaaudit.Config{AppRole: s.app.Name, PlatformRole: platform.Name}

	// Its policy admits every tenant's rows, as tenantkit's platform
	// role's do: that alone is no finding.
	exec(t, `CREATE POLICY platform_all ON projects FOR ALL TO :platform USING (true) WITH CHECK (true);
	      GRANT SELECT ON projects TO :platform`)
	if got := find(t, withPlatform); len(got) != 0 {
		t.Fatalf("clean schema with a platform role: %q", got)
	}

	t.Run("WhatItCouldBecomeIsFound", func(t *testing.T) {
		exec(t, `ALTER ROLE :platform CREATEROLE; GRANT pg_read_all_data TO :platform`)
		defer exec(t, `ALTER ROLE :platform NOCREATEROLE; REVOKE pg_read_all_data FROM :platform`)
		want := []string{"TK509 role " + platform.Name, "TK516 role " + platform.Name}
		if got := find(t, withPlatform); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
		// Without the platform role configured, only the app role is
		// checked.
		if got := find(t, schemaaudit.Config{AppRole: s.app.Name}); len(got) != 0 {
			t.Fatalf("without PlatformRole: %q", got)
		}
	})

	t.Run("TheAppRoleBecomingItIsFound", func(t *testing.T) {
		exec(t, `GRANT :platform TO :"app"`)
		defer exec(t, `REVOKE :platform FROM :"app"`)
		want := []string{"TK519 role " + s.app.Name}
		if got := find(t, withPlatform); !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})

	t.Run("UnknownPlatformRoleCannotRun", func(t *testing.T) {
		_, err := schemaaudit.Run(ctx, pgtest.Connect(t, s.app.URL), schemaaudit.Config{AppRole: s.app.Name, PlatformRole: "nobody"})
		if err == nil || !strings.Contains(err.Error(), "nobody") {
			t.Fatalf("err = %v", err)
		}
	})
}

// Every code the checks can report has a fixture that produces it.
func TestEveryFindingCodeHasAFixture(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var src []byte
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		src = append(src, b...)
	}
	codes := regexp.MustCompile(`"(TK\d{3})"`).FindAllStringSubmatch(string(src), -1)
	if len(codes) < 30 {
		t.Fatalf("found only %d codes in checks.go", len(codes))
	}
	names := fixtureNames(t)
	for _, c := range codes {
		name := strings.ToLower(c[1]) + ".sql"
		if !slices.Contains(names, name) {
			t.Errorf("finding %s has no fixture testdata/%s", c[1], name)
		}
	}
	for _, name := range names {
		f := readFixture(t, name)
		if !slices.ContainsFunc(f.expect, func(e string) bool { return strings.HasPrefix(e, f.code+" ") }) {
			t.Errorf("%s does not expect its own code %s", name, f.code)
		}
	}
}

// Each broken schema yields exactly the findings it declares, naming the
// broken object, each with a reason and a fix. Where every fix is plain SQL
// (no placeholder to fill in, not only a comment), running the fixes makes
// the audit clean.
func TestEachBrokenSchemaIsFound(t *testing.T) {
	var repaired atomic.Int32
	t.Run("Fixtures", func(t *testing.T) {
		for _, name := range fixtureNames(t) {
			f := readFixture(t, name)
			t.Run(f.code, func(t *testing.T) {
				t.Parallel()
				files := []string{name}
				if f.onBase {
					files = []string{"clean.sql", name}
				}
				s := mustSchema(t, files...)
				findings := s.audit(t, f.citus, f.allow)
				want := make([]string, len(f.expect))
				for i, e := range f.expect {
					want[i] = s.substitute(e)
				}
				slices.Sort(want)
				if got := summarize(findings); !slices.Equal(got, want) {
					t.Fatalf("findings:\n  got  %q\n  want %q", got, want)
				}
				for _, fd := range findings {
					if fd.Message == "" || fd.Fix == "" || fd.Severity == "" {
						t.Errorf("incomplete finding %+v", fd)
					}
					if f.byHand || !runnable(fd.Fix) {
						return
					}
				}
				admin := pgtest.Connect(t, s.db.AdminURL)
				for _, fd := range findings {
					if _, err := admin.Exec(context.Background(), fd.Fix); err != nil {
						t.Fatalf("fix of %s: %v\n%s", fd, err, fd.Fix)
					}
				}
				for _, fd := range s.audit(t, f.citus, f.allow) {
					t.Errorf("still found after the fixes: %s", fd)
				}
				repaired.Add(1)
			})
		}
	})
	if n := repaired.Load(); n < 20 && !t.Failed() {
		t.Fatalf("only %d fixtures were repaired by their own fixes", n)
	}
}

// runnable reports whether fix is SQL to run as it is: no placeholder, and
// not only comments.
func runnable(fix string) bool {
	if strings.Contains(fix, "<") {
		return false
	}
	for line := range strings.Lines(fix) {
		if !strings.HasPrefix(strings.TrimSpace(line), "--") {
			return true
		}
	}
	return false
}
