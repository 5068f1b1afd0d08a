package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/probe"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenants"
)

// runProbe attacks a running tenantkit over HTTP: the isolation matrix on
// every operation, the SQL-injection pass and, with --soak, a randomized
// soak. It exits 0 when every check passed, 1 with failures and 2 when it
// cannot run.
func runProbe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("probe", flag.ContinueOnError)
	cfg := probe.Config{Now: time.Now}
	fs.StringVar(&cfg.BaseURL, "base-url", "", "an address of the deployment: a tenant host (its first label names tenant A) or the apex (required)")
	fs.StringVar(&cfg.TenantA, "tenant-a", "", "the tenant that acts (default: the base URL's first label, else acme)")
	fs.StringVar(&cfg.TenantB, "tenant-b", "globex", "the tenant that is attacked")
	fs.StringVar(&cfg.Password, "password", "tenantkit-demo", "password of the tenants' logins (owner@, staff@, client@{slug}.test)")
	fs.StringVar(&cfg.Connect, "connect", "", "send every request to this host:port whatever its host name (default: *.localhost to 127.0.0.1)")
	keys := fs.String("session-keys", "", "the server's SESSION_KEYS, to forge expired tokens (default $SESSION_KEYS, else the dev keys in --dev-dir)")
	devDir := fs.String("dev-dir", ".tenantkit", "directory of `tenantkit dev`, whose dev-keys.json holds the demo's session keys")
	fs.IntVar(&cfg.Soak.Probes, "soak", 0, "after the matrix, send this many random requests across the tenants")
	soakTenants := fs.String("soak-tenants", "", "comma-separated slugs the soak spreads over (default tenants A and B)")
	fs.IntVar(&cfg.Soak.Workers, "soak-workers", 0, "concurrent clients of the soak (default 6)")
	fs.BoolVar(&cfg.SkipInjection, "no-injection", false, "skip the SQL-injection pass")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed of the derived values and the soak (default random)")
	format := fs.String("format", "text", "output: text or json")
	verbose := fs.Bool("v", false, "print progress to stderr")
	if help, err := parseFlags(fs, args, stderr, false); help || err != nil {
		if help {
			fmt.Fprint(stderr, "\nExit status: 0 every check passed, 1 failures, 2 the probe could not run.\n")
		}
		return withExitCode(exitCannotRun, err)
	}
	switch {
	case fs.NArg() > 0:
		return withExitCode(exitCannotRun, fmt.Errorf("probe: unexpected arguments %q", fs.Args()))
	case cfg.BaseURL == "":
		return withExitCode(exitCannotRun, errors.New("probe: --base-url is required"))
	case *format != "text" && *format != "json":
		return withExitCode(exitCannotRun, fmt.Errorf("probe: --format is text or json, not %q", *format))
	}
	if *soakTenants != "" {
		cfg.Soak.Tenants = strings.Split(*soakTenants, ",")
	}
	cfg.SessionKeys = *keys
	if cfg.SessionKeys == "" {
		cfg.SessionKeys = getenv("SESSION_KEYS")
	}
	if cfg.SessionKeys == "" {
		if b, err := os.ReadFile(filepath.Join(*devDir, "dev-keys.json")); err == nil {
			var k devSecrets
			if err := json.Unmarshal(b, &k); err != nil {
				return withExitCode(exitCannotRun, fmt.Errorf("probe: %s: %w", *devDir, err))
			}
			cfg.SessionKeys = k.SessionKeys
		}
	}
	if *verbose {
		cfg.Log = stderr
	}
	if url := getenv("PLATFORM_DATABASE_URL"); url != "" {
		// The owners' operation that ends support access needs grants to
		// end: one-minute grants, audited with this reason (ending an
		// expired one is answered as it is, so a minute is enough).
		st, err := store.Open(ctx, store.Config{PlatformURL: url})
		if err != nil {
			return withExitCode(exitCannotRun, err)
		}
		defer st.Close()
		admin := tenants.NewAdmin(st, tenants.New(st), time.Now)
		op := tenants.Operator{Actor: "cli:probe", Reason: "tenantkit probe: owners end support access"}
		cfg.GrantSupport = func(ctx context.Context, slug string) (string, error) {
			g, err := admin.GrantSupport(ctx, op, slug, time.Minute)
			return g.ID.String(), err
		}
		// The operators' operations need an operator: the probe grants the
		// role to a fresh account of tenant A, whose operations act only on
		// organizations the probe creates.
		operators := tenants.NewOperators(st, time.Now)
		cfg.GrantOperator = func(ctx context.Context, email string) error {
			_, err := operators.Grant(ctx, tenants.Operator{Actor: "cli:probe", Reason: "tenantkit probe: the operators' operations"}, email)
			return err
		}
	}
	report, err := probe.Run(ctx, cfg)
	if err != nil {
		return withExitCode(exitCannotRun, err)
	}
	if *format == "json" {
		err = report.WriteJSON(stdout)
	} else {
		err = report.WriteText(stdout)
	}
	if err != nil {
		return withExitCode(exitCannotRun, fmt.Errorf("probe: write report: %w", err))
	}
	if report.Failed() {
		return withExitCode(exitProblems, fmt.Errorf("probe: %d failed check(s)", len(report.Failures)))
	}
	return nil
}
