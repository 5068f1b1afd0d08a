package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store/schema"
)

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

// runAudit checks any PostgreSQL database for the rules that make tenant
// isolation hold there. It exits 0 when clean, 1 with findings and 2 when it
// cannot run.
func runAudit(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("audit", flag.ContinueOnError)
	url := fs.String("database-url", "", "connection string; connect as the app role to see what it may do (default $DATABASE_URL)")
	cfg := schemaaudit.Config{}
	fs.StringVar(&cfg.AppRole, "app-role", schema.AppRole, "the role requests and jobs connect as")
	fs.StringVar(&cfg.PlatformRole, "platform-role", "", "the role of the cross-tenant platform path, checked for what it could become "+
		"(default with --app-role "+schema.AppRole+": "+schema.PlatformRole+"; otherwise none)")
	fs.StringVar(&cfg.TenantColumn, "tenant-column", "tenant_id", "the column naming a row's tenant")
	fs.StringVar(&cfg.Setting, "setting", schema.TenantSetting, "the transaction-local setting holding the current tenant")
	fs.StringVar(&cfg.TenantsTable, "tenants-table", "tenants", "the table of tenants")
	var schemas, globals stringList
	fs.Var(&schemas, "schema", "a schema to check (repeatable; default every user schema)")
	fs.Var(&globals, "allow-global", "a table (name or schema.name) that is global by design (repeatable; default with --app-role "+
		schema.AppRole+": "+strings.Join(schema.GlobalTables, ", ")+")")
	fs.BoolVar(&cfg.CitusReady, "citus-ready", false, "also check what sharding by the tenant column (Citus) needs")
	format := fs.String("format", "text", "output: text or json")
	if help, err := parseFlags(fs, args, stderr, false); help || err != nil {
		if help {
			fmt.Fprint(stderr, "\nExit status: 0 clean, 1 findings, 2 the audit could not run.\n")
		}
		return withExitCode(exitCannotRun, err)
	}
	if *url == "" {
		*url = getenv("DATABASE_URL")
	}
	switch {
	case fs.NArg() > 0:
		return withExitCode(exitCannotRun, fmt.Errorf("audit: unexpected arguments %q", fs.Args()))
	case *url == "":
		return withExitCode(exitCannotRun, errors.New("audit: --database-url or DATABASE_URL is required"))
	case *format != "text" && *format != "json":
		return withExitCode(exitCannotRun, fmt.Errorf("audit: --format is text or json, not %q", *format))
	}
	cfg.Schemas, cfg.AllowGlobal = schemas, globals
	if len(globals) == 0 && cfg.AppRole == schema.AppRole {
		cfg.AllowGlobal = schema.GlobalTables
	}
	if cfg.AppRole == schema.AppRole {
		cfg.AllowSchemas = schema.AllowedSchemas
		cfg.CitusDropForeignKeys = schema.CitusDropForeignKeys
	}
	if cfg.PlatformRole == "" && cfg.AppRole == schema.AppRole {
		cfg.PlatformRole = schema.PlatformRole
	}
	report, err := schemaaudit.ReportURL(ctx, *url, cfg)
	if err != nil {
		return withExitCode(exitCannotRun, err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(struct {
			Clean bool `json:"clean"`
			schemaaudit.Report
		}{report.Clean(), report})
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		return withExitCode(exitCannotRun, fmt.Errorf("audit: write report: %w", err))
	}
	if !report.Clean() {
		return withExitCode(exitProblems, fmt.Errorf("audit: %d finding(s)", len(report.Findings)))
	}
	return nil
}
