package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store"
)

// runCLI runs tenantkit with args and returns its exit status and output.
func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	err := run(context.Background(), args, func(string) string { return "" }, &out, &errb)
	return exitCode(err), out.String(), errb.String()
}

// demoDatabase returns a migrated database holding the demo tenants.
func demoDatabase(t *testing.T) *pgtest.DB {
	t.Helper()
	db := pgtest.New(t)
	st, err := store.Open(context.Background(), store.Config{AppURL: db.AppURL, PlatformURL: db.PlatformURL})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	fast := password.NewHasher(password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, password.Offline)
	if _, err := demo.Seed(context.Background(), st, fast, clocktest.Default); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestAuditCommand(t *testing.T) {
	db := demoDatabase(t)

	t.Run("DemoDatabaseIsClean", func(t *testing.T) {
		code, out, errOut := runCLI(t, "audit", "--database-url", db.AppURL, "--citus-ready")
		if code != 0 || !strings.HasPrefix(out, "clean: ") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
	})

	t.Run("JSONOfACleanDatabase", func(t *testing.T) {
		code, out, _ := runCLI(t, "audit", "--database-url", db.AppURL, "--format", "json")
		var got struct {
			Clean bool `json:"clean"`
			schemaaudit.Report
		}
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if code != 0 || !got.Clean || got.Findings == nil || len(got.Findings) != 0 || len(got.TenantTables) < 10 {
			t.Fatalf("exit %d: %+v", code, got)
		}
	})

	t.Run("WithoutTheGlobalTablesAllowed", func(t *testing.T) {
		// The default allow-list is what keeps tenantkit's own global
		// tables out: another list replaces it, and they are found.
		code, out, _ := runCLI(t, "audit", "--database-url", db.AppURL, "--allow-global", "accounts")
		if code != 1 || !strings.Contains(out, "public.tenant_domains") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("BrokenDatabaseExitsOneAndNamesTheObject", func(t *testing.T) {
		broken := demoDatabase(t)
		owner := pgtest.Connect(t, broken.OwnerURL)
		if _, err := owner.Exec(context.Background(), "ALTER TABLE bookings NO FORCE ROW LEVEL SECURITY"); err != nil {
			t.Fatal(err)
		}
		code, out, errOut := runCLI(t, "audit", "--database-url", broken.AppURL, "--format", "json")
		var got schemaaudit.Report
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if code != 1 || len(got.Findings) != 1 || got.Findings[0].Code != "TK202" || got.Findings[0].Object != "public.bookings" ||
			!strings.Contains(got.Findings[0].Fix, `FORCE ROW LEVEL SECURITY`) {
			t.Fatalf("exit %d: %+v\n%s", code, got, errOut)
		}
		code, out, _ = runCLI(t, "audit", "--database-url", broken.AppURL)
		if code != 1 || !strings.Contains(out, "TK202 high     public.bookings") || !strings.Contains(out, "1 finding(s) (1 high)") {
			t.Fatalf("exit %d\n%s", code, out)
		}
	})

	t.Run("WhatTheRolesCouldBecomeIsFoundAndStopsTheBoot", func(t *testing.T) {
		// Default privileges live in the database, so this one changes
		// nothing the other tests' databases see (role attributes and
		// memberships are the cluster's).
		broken := demoDatabase(t)
		admin := pgtest.Connect(t, broken.AdminURL)
		for _, sql := range []string{
			"ALTER DEFAULT PRIVILEGES FOR ROLE tenantkit_owner GRANT TRUNCATE ON TABLES TO tenantkit_app",
			"ALTER DEFAULT PRIVILEGES FOR ROLE tenantkit_owner IN SCHEMA public GRANT SELECT ON TABLES TO tenantkit_platform",
		} {
			if _, err := admin.Exec(context.Background(), sql); err != nil {
				t.Fatal(err)
			}
		}
		code, out, errOut := runCLI(t, "audit", "--database-url", broken.AppURL, "--format", "json")
		var got schemaaudit.Report
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		var summary []string
		for _, f := range got.Findings {
			summary = append(summary, f.Code+" "+f.Object+": "+f.Message)
		}
		if code != 1 || len(summary) != 2 ||
			!strings.HasPrefix(summary[0], "TK520 default privileges of tenantkit_owner in every schema: default privileges give the app role TRUNCATE") ||
			!strings.HasPrefix(summary[1], "TK520 default privileges of tenantkit_owner in schema public: default privileges give the platform role SELECT") {
			t.Fatalf("exit %d:\n%s\n%s", code, strings.Join(summary, "\n"), errOut)
		}
		err := auditAtBoot(context.Background(), broken.AppURL, slog.New(slog.DiscardHandler))
		if err == nil || !strings.Contains(err.Error(), "refusing to start") || strings.Count(err.Error(), "TK520") != 2 {
			t.Fatalf("boot audit: %v", err)
		}
	})

	t.Run("CannotRunExitsTwo", func(t *testing.T) {
		for name, args := range map[string][]string{
			"NoDatabase":          {"audit"},
			"BadFormat":           {"audit", "--database-url", db.AppURL, "--format", "xml"},
			"UnknownFlag":         {"audit", "--database-url", db.AppURL, "--strict"},
			"UnknownRole":         {"audit", "--database-url", db.AppURL, "--app-role", "nobody"},
			"UnknownPlatformRole": {"audit", "--database-url", db.AppURL, "--platform-role", "nobody"},
			"Unreachable":         {"audit", "--database-url", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2"},
			"ExtraArgument":       {"audit", "--database-url", db.AppURL, "public"},
		} {
			t.Run(name, func(t *testing.T) {
				if code, out, errOut := runCLI(t, args...); code != 2 {
					t.Fatalf("exit %d\n%s%s", code, out, errOut)
				}
			})
		}
	})

	t.Run("HelpExitsZero", func(t *testing.T) {
		if code, _, errOut := runCLI(t, "audit", "-h"); code != 0 || !strings.Contains(errOut, "-citus-ready") {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
	})
}
