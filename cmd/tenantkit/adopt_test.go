package main

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store/schema"
)

// legacyDatabase returns an empty database holding one of adopt's legacy
// fixtures, created by the owner role.
func legacyDatabase(t *testing.T, fixture string) *pgtest.DB {
	t.Helper()
	b, err := os.ReadFile("../../adopt/testdata/" + fixture)
	if err != nil {
		t.Fatal(err)
	}
	db := pgtest.NewEmpty(t)
	sql := strings.ReplaceAll(string(b), `:"app"`, pgx.Identifier{schema.AppRole}.Sanitize())
	if _, err := pgtest.Connect(t, db.OwnerURL).Exec(context.Background(), sql); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestAdoptCommand(t *testing.T) {
	db := legacyDatabase(t, "legacy.sql")
	base := []string{"adopt", "--database-url", db.OwnerURL, "--root", "Tenant", "--tenant-column", "tenantId"}

	t.Run("DryRunPrintsThePlanAndChangesNothing", func(t *testing.T) {
		code, out, errOut := runCLI(t, base...)
		if code != 0 || !strings.Contains(out, "-- == expand ==") || !strings.Contains(out, "-- == secure ==") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		if code, _, _ := runCLI(t, "audit", "--database-url", db.AppURL, "--tenant-column", "tenantId", "--tenants-table", "Tenant"); code != 1 {
			t.Fatalf("after the dry run the legacy schema audits with exit %d, want 1", code)
		}
	})

	t.Run("ApplyEndsWithACleanAudit", func(t *testing.T) {
		code, out, errOut := runCLI(t, append(base, "--apply")...)
		if code != 0 || !strings.Contains(out, `"Booking"                backfilled 2502, quarantined 1`) ||
			!strings.Contains(out, "clean: 5 tenant-owned tables, no findings") {
			t.Fatalf("exit %d\n%s%s", code, out, errOut)
		}
		code, out, _ = runCLI(t, "audit", "--database-url", db.AppURL, "--tenant-column", "tenantId", "--tenants-table", "Tenant", "--citus-ready")
		if code != 0 {
			t.Fatalf("the adopted schema audits with exit %d\n%s", code, out)
		}
	})

	t.Run("RefusalExitsOne", func(t *testing.T) {
		tangled := legacyDatabase(t, "tangled.sql")
		var out, errb bytes.Buffer
		err := run(context.Background(), []string{"adopt", "--database-url", tangled.OwnerURL, "--root", "Tenant", "--apply"},
			func(string) string { return "" }, &out, &errb)
		if exitCode(err) != 1 || !strings.Contains(err.Error(), "cycle") {
			t.Fatalf("exit %d: %v", exitCode(err), err)
		}
	})

	t.Run("CannotRunExitsTwo", func(t *testing.T) {
		for name, args := range map[string][]string{
			"NoRoot":      {"adopt", "--database-url", db.OwnerURL},
			"BothModes":   {"adopt", "--database-url", db.OwnerURL, "--root", "Tenant", "--dry-run", "--apply"},
			"UnknownRoot": {"adopt", "--database-url", db.OwnerURL, "--root", "Tenants"},
			"Unreachable": {"adopt", "--database-url", "postgres://nobody@127.0.0.1:1/x?connect_timeout=2", "--root", "Tenant"},
		} {
			t.Run(name, func(t *testing.T) {
				if code, out, errOut := runCLI(t, args...); code != 2 {
					t.Fatalf("exit %d\n%s%s", code, out, errOut)
				}
			})
		}
	})
}
