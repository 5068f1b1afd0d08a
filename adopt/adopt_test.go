package adopt_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/adopt"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store/schema"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// legacyDB returns an empty database holding the fixture files, created by
// the owner role as a legacy app's migrations would.
func legacyDB(t *testing.T, files ...string) *pgtest.DB {
	t.Helper()
	db := pgtest.NewEmpty(t)
	owner := pgtest.Connect(t, db.OwnerURL)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", f))
		if err != nil {
			t.Fatal(err)
		}
		sql := strings.ReplaceAll(string(b), `:"app"`, pgx.Identifier{schema.AppRole}.Sanitize())
		if _, err := owner.Exec(context.Background(), sql); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	return db
}

func legacyConfig() adopt.Config {
	return adopt.Config{Root: "Tenant", TenantColumn: "tenantId", AppRole: schema.AppRole, BatchSize: 1000}
}

func auditConfig() schemaaudit.Config {
	return schemaaudit.Config{AppRole: schema.AppRole, TenantColumn: "tenantId", TenantsTable: "Tenant", Schemas: []string{"public"}}
}

func count(t *testing.T, q interface {
	QueryRow(context.Context, string, ...any) pgx.Row
}, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := q.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func TestAdoptLegacySchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := legacyDB(t, "legacy.sql")

	// Before: the audit finds the legacy schema broken.
	before, err := schemaaudit.RunURL(ctx, db.AppURL, auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(before) < 10 {
		t.Fatalf("the legacy schema audits nearly clean: %v", before)
	}

	var progress bytes.Buffer
	plan, res, err := adopt.ApplyURL(ctx, db.OwnerURL, legacyConfig(), &progress)
	if err != nil {
		t.Fatalf("%v\n%s", err, progress.String())
	}
	derived := map[string]string{}
	for _, tp := range plan.Tables {
		derived[tp.Table] = tp.From
	}
	for table, from := range map[string]string{
		`"Booking"`:        `through "Booking"("serviceId") → "Service"`,
		`"ServiceRequest"`: `through "ServiceRequest"("serviceId") → "Service"`,
		`"Expense"`:        `its own column; NULLs from the parent through "Expense"("serviceRequestId")`,
		`"Service"`:        `its own "tenantId"`,
		`"User"`:           `its own "tenantId"`,
	} {
		if !strings.Contains(derived[table], from) {
			t.Errorf("%s: tenant %q, want %q", table, derived[table], from)
		}
	}
	if len(plan.Global) != 1 || plan.Global[0] != "_prisma_migrations" {
		t.Errorf("global tables: %v", plan.Global)
	}
	if res.Backfilled[`"Booking"`] != 2502 || res.Backfilled[`"ServiceRequest"`] != 2 || res.Backfilled[`"Expense"`] != 1 {
		t.Errorf("backfilled: %v", res.Backfilled)
	}
	wantQuarantine := map[string]int64{`"Expense"`: 2, `"Booking"`: 1, `"ServiceRequest"`: 1, `"Service"`: 1}
	for table, n := range wantQuarantine {
		if res.Quarantined[table] != n {
			t.Errorf("quarantined from %s: %d, want %d (all: %v)", table, res.Quarantined[table], n, res.Quarantined)
		}
	}
	if !strings.Contains(progress.String(), "[####################] 2502/2502") || strings.Count(progress.String(), "/2502") != 3 {
		t.Errorf("the backfill of 2502 bookings in batches of 1000 showed no such progress:\n%s", progress.String())
	}

	// After: the audit is clean.
	after, err := schemaaudit.RunURL(ctx, db.AppURL, auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range after {
		t.Errorf("after adopt: %s\n    fix: %s", f, f.Fix)
	}

	owner := pgtest.Connect(t, db.OwnerURL)
	if n := count(t, owner, `SELECT count(*) FROM tenantkit_quarantine WHERE source_table = '"Expense"' AND reason = 'unknown tenant' AND row_data->>'id' = 'exp_gone'`); n != 1 {
		t.Errorf("the expense of a missing tenant is not in the quarantine (%d)", n)
	}

	// Children are quarantined before their parents: no ON DELETE SET NULL
	// rewrote the orphan booking on its way out.
	if n := count(t, owner, `SELECT count(*) FROM tenantkit_quarantine WHERE row_data->>'id' = 'bkg_orphan' AND row_data->>'serviceRequestId' = 'req_orphan'`); n != 1 {
		t.Errorf("the orphan booking was not quarantined as it was (%d)", n)
	}

	// Row security now holds for the app role, on the adopted data.
	app := pgtest.Connect(t, db.AppURL)
	inTenant := func(tenant string, fn func(tx pgx.Tx)) {
		t.Helper()
		tx, err := app.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "SELECT set_config('app.current_tenant_id', $1, true)", tenant); err != nil {
			t.Fatal(err)
		}
		fn(tx)
	}
	inTenant("ten_acme", func(tx pgx.Tx) {
		if n := count(t, tx, `SELECT count(*) FROM "Booking"`); n != 2501 {
			t.Errorf("acme sees %d bookings, want 2501", n)
		}
		if n := count(t, tx, `SELECT count(*) FROM "Expense" WHERE id = 'exp_globex'`); n != 0 {
			t.Error("acme sees globex's expense")
		}
		// The slug that was unique across tenants is unique per tenant.
		if _, err := tx.Exec(ctx, `INSERT INTO "Service" (id, "tenantId", name, slug) VALUES ('svc_acme_audit', 'ten_acme', 'Audit', 'audit')`); err != nil {
			t.Errorf("acme cannot reuse globex's slug: %v", err)
		}
		// A booking of acme cannot point at globex's service.
		_, err := tx.Exec(ctx, `INSERT INTO "Booking" (id, "tenantId", "serviceId", "startsAt") VALUES ('bkg_x', 'ten_acme', 'svc_globex', now())`)
		if err == nil {
			t.Error("a cross-tenant booking was stored")
		}
	})
	inTenant("ten_globex", func(tx pgx.Tx) {
		if n := count(t, tx, `SELECT count(*) FROM "Expense"`); n != 1 {
			t.Errorf("globex sees %d expenses, want its backfilled one", n)
		}
	})
	if n := count(t, app, `SELECT count(*) FROM "Booking"`); n != 0 {
		t.Errorf("without a tenant the app role sees %d bookings", n)
	}
}

func TestDryRunChangesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := legacyDB(t, "legacy.sql")
	plan, err := adopt.PlanURL(ctx, db.OwnerURL, legacyConfig())
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := plan.WriteText(&out); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		`"Booking"                tenant from the parent through "Booking"("serviceId") → "Service"`,
		`ALTER TABLE "public"."Booking" ADD COLUMN IF NOT EXISTS "tenantId" text`,
		`(repeated until it updates no row)`,
		`CREATE POLICY tenant_isolation ON "public"."Booking" AS RESTRICTIVE`,
		`FOREIGN KEY ("tenantId", "serviceId") REFERENCES "public"."Service" ("tenantId", "id") ON DELETE RESTRICT ON UPDATE CASCADE NOT VALID`,
		`VALIDATE CONSTRAINT`,
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the plan lacks %q", want)
		}
	}
	owner := pgtest.Connect(t, db.OwnerURL)
	if n := count(t, owner, `SELECT count(*) FROM information_schema.columns WHERE table_name = 'Booking' AND column_name = 'tenantId'`); n != 0 {
		t.Fatal("the dry run changed the schema")
	}
}

func TestRefusesToGuess(t *testing.T) {
	t.Parallel()
	db := legacyDB(t, "tangled.sql")
	cfg := adopt.Config{Root: "Tenant", TenantColumn: "tenantId", AppRole: schema.AppRole}
	_, err := adopt.PlanURL(context.Background(), db.OwnerURL, cfg)
	var refusal *adopt.RefusalError
	if !errors.As(err, &refusal) || len(refusal.Problems) != 2 ||
		!strings.Contains(err.Error(), `"Invoice" reaches "Tenant" through 2 foreign keys`) ||
		!strings.Contains(err.Error(), `--via Invoice.COLUMN`) ||
		!strings.Contains(err.Error(), `cycle "Member" → "Team" → "Member"`) {
		t.Fatalf("want refusals for the ambiguous invoice and the cycle, got %v", err)
	}
	// Choosing the invoice's parent leaves the cycle, still refused.
	cfg.Via = []string{"Invoice.projectId"}
	_, err = adopt.PlanURL(context.Background(), db.OwnerURL, cfg)
	if !errors.As(err, &refusal) || len(refusal.Problems) != 1 || !strings.Contains(err.Error(), "cycle") {
		t.Fatalf("want only the cycle refused, got %v", err)
	}
}

// A row whose parents belong to different tenants stops the migration
// before anything is rekeyed; once the row is fixed, adopt runs again and
// finishes.
func TestCrossTenantLinkIsRefusedThenRerun(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := legacyDB(t, "legacy.sql")
	owner := pgtest.Connect(t, db.OwnerURL)
	if _, err := owner.Exec(ctx, `INSERT INTO "ServiceRequest" (id, "serviceId", "clientId", title) VALUES ('req_cross', 'svc_acme', 'usr_globex', 'crossed')`); err != nil {
		t.Fatal(err)
	}
	var progress bytes.Buffer
	_, _, err := adopt.ApplyURL(ctx, db.OwnerURL, legacyConfig(), &progress)
	var refusal *adopt.RefusalError
	if !errors.As(err, &refusal) || !strings.Contains(err.Error(), `1: rows of "ServiceRequest" reference a "User" row of another tenant`) {
		t.Fatalf("want the cross-tenant request refused, got %v\n%s", err, progress.String())
	}
	if n := count(t, owner, `SELECT count(*) FROM tenantkit_quarantine`); n != 0 {
		t.Fatalf("the refused contract left %d quarantined rows", n)
	}
	if _, err := owner.Exec(ctx, `UPDATE "ServiceRequest" SET "clientId" = NULL WHERE id = 'req_cross'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := adopt.ApplyURL(ctx, db.OwnerURL, legacyConfig(), &progress); err != nil {
		t.Fatalf("rerun: %v", err)
	}
	findings, err := schemaaudit.RunURL(ctx, db.AppURL, auditConfig())
	if err != nil || len(findings) != 0 {
		t.Fatalf("after the rerun: %v %v", findings, err)
	}
}
