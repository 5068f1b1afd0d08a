package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/tenantkit/tenantkit/adopt"
	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store/schema"
)

// runAdopt plans (--dry-run, the default) or applies (--apply) the
// migration that brings an existing database under tenant isolation, and
// after applying it runs the audit, which must be clean. It exits 0 when
// done, 1 when adopt refuses or the audit finds problems, 2 when it cannot
// run.
func runAdopt(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("adopt", flag.ContinueOnError)
	url := fs.String("database-url", "", "connection string of the tables' owner (default $OWNER_DATABASE_URL)")
	cfg := adopt.Config{}
	fs.StringVar(&cfg.Root, "root", "", "the table of tenants (required)")
	fs.StringVar(&cfg.Schema, "schema", "public", "the schema of the tables")
	fs.StringVar(&cfg.TenantColumn, "tenant-column", "tenant_id", "the tenant column, added where missing, reused where present")
	fs.StringVar(&cfg.Setting, "setting", schema.TenantSetting, "the transaction-local setting the tenant policy reads")
	fs.StringVar(&cfg.AppRole, "app-role", schema.AppRole, "the role the policies are for")
	fs.IntVar(&cfg.BatchSize, "batch-size", 1000, "rows per backfill batch")
	var via stringList
	fs.Var(&via, "via", "TABLE.COLUMN: the foreign key a table's tenant comes through, where more than one could (repeatable)")
	dryRun := fs.Bool("dry-run", false, "print the plan and its SQL, change nothing (the default)")
	apply := fs.Bool("apply", false, "run the migration, then the audit")
	if help, err := parseFlags(fs, args, stderr, false); help || err != nil {
		if help {
			fmt.Fprint(stderr, "\nExit status: 0 done, 1 refused or the audit found problems, 2 adopt could not run.\n")
		}
		return withExitCode(exitCannotRun, err)
	}
	if *url == "" {
		*url = getenv("OWNER_DATABASE_URL")
	}
	switch {
	case fs.NArg() > 0:
		return withExitCode(exitCannotRun, fmt.Errorf("adopt: unexpected arguments %q", fs.Args()))
	case *url == "":
		return withExitCode(exitCannotRun, errors.New("adopt: --database-url or OWNER_DATABASE_URL is required"))
	case cfg.Root == "":
		return withExitCode(exitCannotRun, errors.New("adopt: --root is required"))
	case *dryRun && *apply:
		return withExitCode(exitCannotRun, errors.New("adopt: --dry-run and --apply exclude each other"))
	}
	cfg.Via = via
	if !*apply {
		plan, err := adopt.PlanURL(ctx, *url, cfg)
		if err != nil {
			return adoptError(err)
		}
		return plan.WriteText(stdout)
	}
	plan, res, err := adopt.ApplyURL(ctx, *url, cfg, stdout)
	if err != nil {
		return adoptError(err)
	}
	for _, t := range plan.Tables {
		fmt.Fprintf(stdout, "%-24s backfilled %d, quarantined %d\n", t.Table, res.Backfilled[t.Table], res.Quarantined[t.Table])
	}
	fmt.Fprintln(stdout, "\naudit:")
	report, err := schemaaudit.ReportURL(ctx, *url, schemaaudit.Config{
		AppRole: cfg.AppRole, TenantColumn: cfg.TenantColumn, Setting: cfg.Setting,
		TenantsTable: cfg.Root, Schemas: []string{cfg.Schema},
	})
	if err != nil {
		return withExitCode(exitCannotRun, err)
	}
	if err := report.WriteText(stdout); err != nil {
		return withExitCode(exitCannotRun, err)
	}
	if !report.Clean() {
		return withExitCode(exitProblems, fmt.Errorf("adopt: applied, but the audit found %d problem(s)", len(report.Findings)))
	}
	return nil
}

// adoptError exits 2 when adopt could not start (no connection, no such
// root), 1 when it refused or a step failed.
func adoptError(err error) error {
	if errors.Is(err, adopt.ErrCannotRun) {
		return withExitCode(exitCannotRun, err)
	}
	return withExitCode(exitProblems, err)
}
