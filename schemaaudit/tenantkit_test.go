package schemaaudit_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
	tkschema "github.com/tenantkit/tenantkit/store/schema"
)

// tenantkit's own schema, River's queue included, audits clean with its
// allow-lists; with row security off on River's job table, the app role's
// insert privilege there is a finding.
func TestTenantkitSchemaIsClean(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	cfg := schemaaudit.Config{
		AppRole: tkschema.AppRole, PlatformRole: tkschema.PlatformRole,
		AllowGlobal: tkschema.GlobalTables, AllowSchemas: tkschema.AllowedSchemas,
	}
	r, err := schemaaudit.ReportURL(context.Background(), db.AppURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		t.Errorf("%s\n    fix: %s", f, f.Fix)
	}
	if len(r.AllowedSchemas) != 1 || r.AllowedSchemas[0].Schema != tkschema.RiverSchema || r.AllowedSchemas[0].Reason == "" {
		t.Fatalf("allowed schemas: %+v", r.AllowedSchemas)
	}
	var jobTables int
	if err := pgtest.Connect(t, db.AdminURL).QueryRow(context.Background(),
		"SELECT count(*) FROM pg_tables WHERE schemaname = $1", tkschema.RiverSchema).Scan(&jobTables); err != nil {
		t.Fatal(err)
	}
	if jobTables < 4 {
		t.Fatalf("River's migrator made %d tables in %s", jobTables, tkschema.RiverSchema)
	}

	owner := pgtest.Connect(t, db.OwnerURL)
	if _, err := owner.Exec(context.Background(), "ALTER TABLE river.river_job DISABLE ROW LEVEL SECURITY"); err != nil {
		t.Fatal(err)
	}
	findings, err := schemaaudit.RunURL(context.Background(), db.AppURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Code != "TK521" || findings[0].Object != "river.river_job" {
		t.Fatalf("with row security off on river.river_job: %v", findings)
	}
}

// With --citus-ready, tenantkit's schema shards as the design says: every
// tenant-owned table distributed by tenant_id, the global tables (the
// tenants, accounts, custom domains, the platform's own tables) copied as
// reference tables, and the one foreign key Citus refuses — from accounts
// to members, an account's default tenant — reported to be dropped, with
// its reason; without that reason it is a finding.
func TestTenantkitSchemaIsCitusReady(t *testing.T) {
	t.Parallel()
	db := pgtest.New(t)
	cfg := schemaaudit.Config{
		AppRole: tkschema.AppRole, PlatformRole: tkschema.PlatformRole, CitusReady: true,
		AllowGlobal: tkschema.GlobalTables, AllowSchemas: tkschema.AllowedSchemas, CitusDropForeignKeys: tkschema.CitusDropForeignKeys,
	}
	r, err := schemaaudit.ReportURL(context.Background(), db.AppURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range r.Findings {
		t.Errorf("%s\n    fix: %s", f, f.Fix)
	}
	p := r.Citus
	if p == nil || len(p.Distributed) != len(r.TenantTables) || len(p.Distributed) < 10 {
		t.Fatalf("plan: %+v", p)
	}
	for _, want := range []string{"public.tenants", "public.accounts", "public.tenant_domains", "public.instances"} {
		if !slices.Contains(p.Reference, want) {
			t.Errorf("%s is not a reference table: %v", want, p.Reference)
		}
	}
	for _, ref := range p.Reference {
		if slices.Contains(p.Distributed, ref) || strings.HasPrefix(ref, tkschema.RiverSchema+".") {
			t.Errorf("%s is listed as a reference table", ref)
		}
	}
	if len(p.DropForeignKeys) != 1 || p.DropForeignKeys[0].Constraint != "accounts_default_membership_fkey" || p.DropForeignKeys[0].Reason == "" {
		t.Fatalf("foreign keys to drop: %+v", p.DropForeignKeys)
	}
	var text strings.Builder
	if err := r.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	t.Logf("%s", text.String())
	if !strings.Contains(text.String(), "citus: reference table public.accounts") {
		t.Errorf("the text report does not list the reference tables:\n%s", text.String())
	}

	cfg.CitusDropForeignKeys = nil
	findings, err := schemaaudit.RunURL(context.Background(), db.AppURL, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if len(findings) != 1 || findings[0].Code != "TK603" || findings[0].Object != "public.accounts constraint accounts_default_membership_fkey" {
		t.Fatalf("without the reason: %v", findings)
	}
}
