package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

const usage = `tenantkit — a multi-tenant platform for service businesses

Usage: tenantkit <command> [flags]

Commands:
  dev        run the demo: a managed local PostgreSQL (unless DATABASE_URL is set),
             migrations, demo tenants, and the HTTP server
  serve      run the HTTP server against the configured databases
  migrate    apply pending migrations as the owner role (OWNER_DATABASE_URL)
  bootstrap  create the database roles and the database (needs a superuser URL)
  audit      check any PostgreSQL database for the rules tenant isolation needs
  adopt      plan (--dry-run) or apply (--apply) the migration that puts a database under tenant isolation
  probe      attack a running tenantkit over HTTP: every operation, every isolation variant
  tenant     the tenant lifecycle: list, create, suspend, resume, export, delete, support access
  operator   grant, revoke and list the platform operator role (the lifecycle over the API)
  version    print the version

Run 'tenantkit <command> -h' for a command's flags. Configuration comes from
environment variables; 'tenantkit serve -h' lists them.
`

// errUsage is returned after usage was printed for a bad invocation.
var errUsage = errors.New("usage")

func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "dev":
		return runDev(ctx, rest, getenv, stdout, stderr)
	case "serve":
		return runServe(ctx, rest, getenv, stdout, stderr)
	case "migrate":
		return runMigrate(ctx, rest, getenv, stdout, stderr)
	case "bootstrap":
		return runBootstrap(ctx, rest, getenv, stdout, stderr)
	case "audit":
		return runAudit(ctx, rest, getenv, stdout, stderr)
	case "adopt":
		return runAdopt(ctx, rest, getenv, stdout, stderr)
	case "probe":
		return runProbe(ctx, rest, getenv, stdout, stderr)
	case "tenant":
		return runTenant(ctx, rest, getenv, stdout, stderr)
	case "operator":
		return runOperator(ctx, rest, getenv, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "tenantkit", version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprintf(stderr, "unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
}

// parseFlags parses a subcommand's flags; -h prints them and the
// environment variables, and is not an error.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer, envHelp bool) (bool, error) {
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage of tenantkit %s:\n", fs.Name())
		fs.PrintDefaults()
		if envHelp {
			fmt.Fprint(stderr, "\nEnvironment:\n"+envUsage())
		}
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return true, nil
		}
		return false, errUsage
	}
	return false, nil
}
