package main

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
)

// tenantCLI runs `tenantkit tenant args…` against db as the platform role
// and returns stdout, failing the test on an error unless fail is set.
func tenantCLI(t *testing.T, db *pgtest.DB, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"PLATFORM_DATABASE_URL": db.PlatformURL, "USER": "alice"}
	err := run(context.Background(), append([]string{"tenant"}, args...), func(k string) string { return env[k] }, &out, &errb)
	return out.String(), err
}

func mustTenantCLI(t *testing.T, db *pgtest.DB, args ...string) string {
	t.Helper()
	out, err := tenantCLI(t, db, args...)
	if err != nil {
		t.Fatalf("tenant %v: %v", args, err)
	}
	return out
}

// The lifecycle from the command line: create, list, suspend, resume,
// each change refused without a reason, each recorded with its operator
// and reason in the platform audit log.
func TestTenantCommands(t *testing.T) {
	db := pgtest.New(t)
	if _, err := tenantCLI(t, db, "create", "--slug", "initech", "--name", "Initech"); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("a change without a reason: %v", err)
	}
	out := mustTenantCLI(t, db, "create", "--slug", "initech", "--name", "Initech", "--reason", "ticket 42", "--json")
	var created struct{ ID, Slug, Status string }
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.Slug != "initech" || created.Status != "active" {
		t.Fatalf("create: %s %v", out, err)
	}
	for _, bad := range [][]string{{"--slug", "www"}, {"--slug", "initech"}, {"--slug", "Not A Slug"}} {
		if _, err := tenantCLI(t, db, append([]string{"create", "--name", "X", "--reason", "r"}, bad...)...); err == nil || !strings.Contains(err.Error(), "slug") {
			t.Fatalf("create %v: %v", bad, err)
		}
	}
	mustTenantCLI(t, db, "suspend", "initech", "--reason", "unpaid invoice")
	if out := mustTenantCLI(t, db, "list"); !strings.Contains(out, "initech") || !strings.Contains(out, "suspended") {
		t.Fatalf("list:\n%s", out)
	}
	mustTenantCLI(t, db, "resume", "--reason", "paid", "initech")
	var list []struct {
		Slug, Status string
		Members      int
	}
	if err := json.Unmarshal([]byte(mustTenantCLI(t, db, "list", "--json")), &list); err != nil || len(list) != 1 || list[0].Status != "active" || list[0].Members != 0 {
		t.Fatalf("list --json: %+v %v", list, err)
	}
	if _, err := tenantCLI(t, db, "suspend", "nosuch", "--reason", "r"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("suspend of a missing tenant: %v", err)
	}
	admin := pgtest.Connect(t, db.AdminURL)
	rows, err := admin.Query(context.Background(), "SELECT action || ' ' || actor || ' ' || reason FROM platform_audit_log WHERE action LIKE 'tenant.%' ORDER BY at, action")
	if err != nil {
		t.Fatal(err)
	}
	var audit []string
	for rows.Next() {
		var line string
		_ = rows.Scan(&line)
		audit = append(audit, line)
	}
	joined := strings.Join(audit, "\n")
	for _, want := range []string{"tenant.create cli:alice ticket 42", "tenant.suspend cli:alice unpaid invoice", "tenant.resume cli:alice paid", "tenant.list cli:alice"} {
		if !strings.Contains(joined, want) {
			t.Fatalf("platform audit log lacks %q:\n%s", want, joined)
		}
	}
}

// Export and delete from the command line, on the demo tenants: the
// archive holds a manifest; delete refuses without --confirm, counts with
// --dry-run, and deletes a suspended tenant with a verification.
func TestTenantExportAndDeleteCommands(t *testing.T) {
	f := demotest.New(t, demotest.At(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)))
	out := filepath.Join(t.TempDir(), "globex.zip")
	mustTenantCLI(t, f.DB, "export", "globex", "--reason", "customer asked for their data", "--out", out)
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, file := range zr.File {
		names[file.Name] = true
	}
	zr.Close()
	if !names["manifest.json"] || !names["services.ndjson"] || !names["tenant.json"] {
		t.Fatalf("archive files: %v", names)
	}
	if _, err := tenantCLI(t, f.DB, "export", "globex", "--reason", "again", "--out", out); err == nil {
		t.Fatal("export overwrote an existing file")
	}
	if _, err := tenantCLI(t, f.DB, "delete", "globex", "--reason", "contract ended"); err == nil || !strings.Contains(err.Error(), "--confirm globex") {
		t.Fatalf("delete without --confirm: %v", err)
	}
	dry := mustTenantCLI(t, f.DB, "delete", "globex", "--reason", "contract ended", "--dry-run")
	if !strings.Contains(dry, "dry run") || !strings.Contains(dry, "services") {
		t.Fatalf("dry run:\n%s", dry)
	}
	if _, err := tenantCLI(t, f.DB, "delete", "globex", "--reason", "contract ended", "--confirm", "globex"); err == nil || !strings.Contains(err.Error(), "suspend it first") {
		t.Fatalf("delete of an active tenant: %v", err)
	}
	mustTenantCLI(t, f.DB, "suspend", "globex", "--reason", "contract ended")
	var rep struct {
		Verified        bool `json:"verified"`
		OthersUnchanged bool `json:"others_unchanged"`
	}
	if err := json.Unmarshal([]byte(mustTenantCLI(t, f.DB, "delete", "globex", "--reason", "contract ended", "--confirm", "globex", "--json")), &rep); err != nil || !rep.Verified || !rep.OthersUnchanged {
		t.Fatalf("delete: %+v %v", rep, err)
	}
	if list := mustTenantCLI(t, f.DB, "list"); strings.Contains(list, "globex") || !strings.Contains(list, "acme") {
		t.Fatalf("list after the deletion:\n%s", list)
	}
}

// Support access from the command line: a grant with a reason and an
// expiry; reads under it, every one in the platform audit log and in the
// tenant's, where its owners read them; nothing of another tenant; no
// read without a live grant, after its expiry (the database's clock) or
// after it ended.
func TestTenantSupportCommands(t *testing.T) {
	f := demotest.New(t, demotest.At(time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)))
	ctx := context.Background()
	admin := pgtest.Connect(t, f.DB.AdminURL)
	if _, err := tenantCLI(t, f.DB, "support-read", "acme", "services"); err == nil || !strings.Contains(err.Error(), "no live support access") {
		t.Fatalf("a read without a grant: %v", err)
	}
	if _, err := tenantCLI(t, f.DB, "support", "acme"); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("a grant without a reason: %v", err)
	}
	if _, err := tenantCLI(t, f.DB, "support", "acme", "--reason", "ticket 7", "--for", "9h"); err == nil || !strings.Contains(err.Error(), "4h") {
		t.Fatalf("a grant of 9 hours: %v", err)
	}
	var g struct {
		ID        string    `json:"id"`
		ExpiresAt time.Time `json:"expires_at"`
		CreatedAt time.Time `json:"created_at"`
	}
	if err := json.Unmarshal([]byte(mustTenantCLI(t, f.DB, "support", "acme", "--reason", "ticket 7: invoices look wrong", "--json")), &g); err != nil {
		t.Fatal(err)
	}
	if d := g.ExpiresAt.Sub(g.CreatedAt); d != 30*time.Minute {
		t.Fatalf("default length %s", d)
	}
	tables := mustTenantCLI(t, f.DB, "support-read", "acme")
	if !strings.Contains(tables, "services") || !strings.Contains(tables, "bookings") {
		t.Fatalf("tables:\n%s", tables)
	}
	rows := mustTenantCLI(t, f.DB, "support-read", "acme", "services", "--limit", "500")
	lines := strings.Split(strings.TrimSpace(rows), "\n")
	var acmeServices int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM services WHERE tenant_id = $1", f.Seeded["acme"].TenantID).Scan(&acmeServices); err != nil {
		t.Fatal(err)
	}
	if len(lines) != acmeServices || acmeServices == 0 {
		t.Fatalf("read %d rows of acme's %d services", len(lines), acmeServices)
	}
	for _, l := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(l), &row); err != nil || row["tenant_id"] != f.Seeded["acme"].TenantID.String() {
			t.Fatalf("row %s (%v)", l, err)
		}
	}
	// Secrets stay hidden: the members' sessions hold token hashes.
	if s := mustTenantCLI(t, f.DB, "support-read", "acme", "sessions"); strings.Contains(s, `"token_hash":"`) && !strings.Contains(s, "[redacted]") {
		t.Fatalf("a session's token hash shown:\n%s", s)
	}
	if _, err := tenantCLI(t, f.DB, "support-read", "acme", "pg_authid"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a read of a table that is not a tenant's: %v", err)
	}
	if _, err := tenantCLI(t, f.DB, "support-read", "globex", "services"); err == nil || !strings.Contains(err.Error(), "no live support access") {
		t.Fatalf("a read of another tenant: %v", err)
	}
	// The owners' audit log: the grant with its reason, and each read.
	var granted, reads int
	if err := admin.QueryRow(ctx, `SELECT count(*) FILTER (WHERE action = 'platform.support_granted' AND detail->>'reason' = 'ticket 7: invoices look wrong'),
		count(*) FILTER (WHERE action = 'platform.support_read' AND detail->>'grant_id' = $2)
		FROM audit_log WHERE tenant_id = $1`, f.Seeded["acme"].TenantID, g.ID).Scan(&granted, &reads); err != nil {
		t.Fatal(err)
	}
	if granted != 1 || reads != 3 {
		t.Fatalf("acme's audit log: %d grants, %d reads", granted, reads)
	}
	var platformReads int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM platform_audit_log WHERE action = 'tenant.support_read' AND actor = 'cli:alice'").Scan(&platformReads); err != nil {
		t.Fatal(err)
	}
	if platformReads != 3 { // a refused read's transaction, and its audit row, roll back
		t.Fatalf("%d support reads in the platform audit log", platformReads)
	}
	// At its expiry, by the database's clock, the access ends by itself.
	if _, err := admin.Exec(ctx, "UPDATE platform_grants SET created_at = now() - interval '31 minutes', expires_at = now() - interval '1 minute' WHERE id = $1", g.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := tenantCLI(t, f.DB, "support-read", "acme", "services"); err == nil || !strings.Contains(err.Error(), "no live support access") {
		t.Fatalf("a read after the expiry: %v", err)
	}
	platform := pgtest.Connect(t, f.DB.PlatformURL)
	var n int
	if err := platform.QueryRow(ctx, "SELECT count(*) FROM services WHERE tenant_id = $1", f.Seeded["acme"].TenantID).Scan(&n); err != nil || n != 0 {
		t.Fatalf("the platform role reads %d of acme's services after the expiry (%v)", n, err)
	}
	// Ended by the operator.
	mustTenantCLI(t, f.DB, "support", "acme", "--reason", "ticket 8", "--for", "2h")
	mustTenantCLI(t, f.DB, "support-read", "acme", "bookings")
	if out := mustTenantCLI(t, f.DB, "support-end", "acme"); !strings.Contains(out, "ended 1") {
		t.Fatalf("support-end: %s", out)
	}
	if _, err := tenantCLI(t, f.DB, "support-read", "acme", "bookings"); err == nil {
		t.Fatal("a read after support-end")
	}
}
