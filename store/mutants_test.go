package store_test

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/tenantkit/tenantkit/internal/mutation"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
)

// recorder is a testing.TB that records failures instead of failing, so
// that the database suite can run against a mutant, which it must fail.
type recorder struct {
	testing.TB
	mu       sync.Mutex
	failures []string
}

func (r *recorder) record(msg string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failures = append(r.failures, msg)
}

func (r *recorder) Helper()                           {}
func (r *recorder) Error(args ...any)                 { r.record(fmt.Sprint(args...)) }
func (r *recorder) Errorf(format string, args ...any) { r.record(fmt.Sprintf(format, args...)) }
func (r *recorder) Fail()                             { r.record("failed") }
func (r *recorder) FailNow()                          { r.record("failed"); runtime.Goexit() }
func (r *recorder) Fatal(args ...any)                 { r.record(fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Fatalf(format string, args ...any) {
	r.record(fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) Skip(args ...any) { r.record("skipped: " + fmt.Sprint(args...)); runtime.Goexit() }
func (r *recorder) Skipf(format string, args ...any) {
	r.record("skipped: " + fmt.Sprintf(format, args...))
	runtime.Goexit()
}
func (r *recorder) SkipNow() { r.record("skipped"); runtime.Goexit() }
func (r *recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.failures) > 0
}

// recorded runs check with a recorder and returns what failed.
func recorded(t *testing.T, check func(testing.TB)) []string {
	r := &recorder{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		check(r)
	}()
	<-done
	return r.failures
}

// killers runs the database suite on a fresh seeded database with the
// schema mutant m applied (as the owner, as a migration would) and returns
// the checks that failed, with their first message.
func killers(t *testing.T, m mutation.Mutant) map[string]string {
	f := setup(t)
	ctx := context.Background()
	if m.SQL != "" {
		if _, err := pgtest.Connect(t, f.DB.OwnerURL).Exec(ctx, m.SQL); err != nil {
			t.Fatalf("the mutant does not apply to the migrated schema: %v", err)
		}
	}
	out := map[string]string{}
	run := func(name string, check func(testing.TB)) {
		if fs := recorded(t, check); len(fs) > 0 {
			out[name] = fs[0]
		}
	}
	run("TestAuditOfMigratedSchemaIsClean", func(tb testing.TB) { checkAuditIsClean(tb, f) })
	run("TestCompositeForeignKeyRevealsNothing", func(tb testing.TB) { checkCompositeForeignKey(tb, f) })
	run("TestServiceSlugIsUniquePerTenant", func(tb testing.TB) { checkSlugIsUniquePerTenant(tb, f) })
	run("TestOwnerIsHeldByRowSecurity", func(tb testing.TB) { checkOwnerIsHeld(tb, f, m.Tables) })
	run("TestEveryReadableRelationIsIsolated", func(tb testing.TB) { checkReadableRelations(tb, f) })
	app := pgtest.Connect(t, f.DB.AppURL)
	tables, err := schemaaudit.TenantTables(ctx, app, auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	acme, globex := f.Seeded["acme"].TenantID, f.Seeded["globex"].TenantID
	for _, table := range tables {
		if !slices.Contains(m.Tables, table.Name) {
			continue
		}
		for _, a := range tableAttacks(app, table, acme, globex) {
			run("TestTenantOwnedTablesAreIsolated/"+table.Name+"/"+a.name, a.run)
		}
	}
	return out
}

// Every schema mutant of package mutation, applied to a fresh database,
// makes the database suite fail: a protection whose removal no test
// notices is not tested. (make mutation also runs the whole test suites
// against every mutant, code mutants included.)
func TestSchemaMutantsAreKilled(t *testing.T) {
	var tables []string
	for _, m := range mutation.Mutants {
		tables = append(tables, m.Tables...)
	}
	t.Run("Unmutated", func(t *testing.T) {
		t.Parallel()
		// On the schema as migrated the same checks pass: otherwise every
		// mutant would read as killed.
		if k := killers(t, mutation.Mutant{Tables: tables}); len(k) > 0 {
			t.Fatalf("the database suite fails without a mutant: %v", k)
		}
	})
	for _, m := range mutation.Mutants {
		if !m.Schema() {
			continue
		}
		t.Run(m.Name, func(t *testing.T) {
			t.Parallel()
			k := killers(t, m)
			if len(k) == 0 {
				t.Fatalf("survived: nothing in the database suite notices that %s", m.Breaks)
			}
			names := make([]string, 0, len(k))
			for n := range k {
				names = append(names, n)
			}
			sort.Strings(names)
			t.Logf("killed by %s (%s)", strings.Join(names, ", "), k[names[0]])
		})
	}
}
