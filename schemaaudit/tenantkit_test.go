package schemaaudit_test

import (
	"context"
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
