package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/tenants"
)

var operator = tenants.Operator{Actor: "test:operator", Reason: "the lifecycle tests"}

// A suspended tenant's every request gets the suspended answer — the
// operations as a problem, pages as a page, public routes too, with a
// session or without — while the other tenant is served as before; resume
// gives the same sessions and the same data back.
func TestSuspendAndResume(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	owner := e.login("acme", "owner@acme.test")
	gOwner := e.login("globex", "owner@globex.test")
	services := e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner})
	expectStatus(t, services, 200)

	if _, err := e.app.Tenants.Suspend(ctx, operator, "acme"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []req{
		{method: "GET", host: "acme", path: "/api/services", sess: owner},
		{method: "GET", host: "acme", path: "/api/public/services"},
		{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": "tenantkit-demo"}},
	} {
		resp := e.do(r)
		expectStatus(t, resp, 403)
		if !strings.Contains(string(resp.Body), "this workspace is suspended") || strings.Contains(string(resp.Body), "Acme") {
			t.Fatalf("%s %s: %s", r.method, r.path, resp.Body)
		}
	}
	page := e.do(req{method: "GET", host: "acme", path: "/", header: map[string]string{"Accept": "text/html"}})
	expectStatus(t, page, 403)
	if !strings.Contains(string(page.Body), "this workspace is suspended") || !strings.Contains(page.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("suspended page: %s", page.Body)
	}
	expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/services", sess: gOwner}), 200)
	// A suspended organization is not offered on the apex, nor entered by
	// a switch.
	consultant := e.login("", "consultant@example.test")
	var apex struct {
		Memberships []struct{ Tenant struct{ Slug string } }
	}
	e.sessionOf("", consultant).json(t, &apex)
	if len(apex.Memberships) != 1 || apex.Memberships[0].Tenant.Slug != "globex" {
		t.Fatalf("memberships while acme is suspended: %+v", apex.Memberships)
	}
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/auth/switch", sess: consultant, body: map[string]string{"tenant": "acme"}}), 403)

	if _, err := e.app.Tenants.Resume(ctx, operator, "acme"); err != nil {
		t.Fatal(err)
	}
	again := e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner})
	expectStatus(t, again, 200)
	if string(again.Body) != string(services.Body) {
		t.Fatal("the data served after resuming differs")
	}
	// The owners read both operations, with their reason, in their audit
	// log.
	if n := count(t, e.admin(), "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action IN ('platform.tenant_suspended', 'platform.tenant_resumed') AND detail->>'reason' = $2",
		e.seeded["acme"].TenantID, operator.Reason); n != 2 {
		t.Fatalf("%d lifecycle entries in acme's audit log, want 2", n)
	}
}

// exportOf exports slug and returns the archive's files.
func exportOf(t *testing.T, e *env, slug string) (map[string][]byte, tenants.Manifest) {
	t.Helper()
	var buf bytes.Buffer
	m, err := e.app.Tenants.Export(context.Background(), operator, slug, &buf, nil)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	return files, m
}

// An export holds every row of the tenant, table by table, with a
// manifest whose counts and checksums match; nothing of the other tenant;
// and the grant it read under ends with it.
func TestExport(t *testing.T) {
	e := newEnv(t)
	files, m := exportOf(t, e, "acme")
	var manifest tenants.Manifest
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatal(err)
	}
	if manifest.Tenant.Slug != "acme" || len(manifest.Tables) != len(m.Tables) {
		t.Fatalf("manifest: %+v", manifest)
	}
	acme := e.seeded["acme"].TenantID.String()
	db := e.admin()
	for _, tm := range manifest.Tables {
		b := files[tm.File]
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != tm.SHA256 {
			t.Fatalf("%s: checksum does not match the manifest", tm.File)
		}
		lines := bytes.Split(bytes.TrimSuffix(b, []byte("\n")), []byte("\n"))
		if len(b) == 0 {
			lines = nil
		}
		if int64(len(lines)) != tm.Rows {
			t.Fatalf("%s: %d lines, manifest says %d", tm.File, len(lines), tm.Rows)
		}
		for _, l := range lines {
			var row struct {
				TenantID string `json:"tenant_id"`
			}
			if err := json.Unmarshal(l, &row); err != nil || row.TenantID != acme {
				t.Fatalf("%s: a row of another tenant, or not JSON: %s", tm.File, l)
			}
		}
		// Every row the tenant has, counted without row security.
		if n := count(t, db, "SELECT count(*) FROM "+tm.Table+" WHERE tenant_id = $1", acme); int64(n) != tm.Rows {
			t.Fatalf("%s: %d rows exported, the tenant has %d", tm.Table, tm.Rows, n)
		}
	}
	for _, want := range []string{"services", "service_requests", "bookings", "members", "audit_log", "organization_settings"} {
		if _, ok := files[want+".ndjson"]; !ok {
			t.Fatalf("no %s.ndjson in the archive", want)
		}
	}
	// Nothing of globex: not its marker, not its id, not the id of any of
	// its rows.
	gFiles, _ := exportOf(t, e, "globex")
	var all bytes.Buffer
	for _, b := range files {
		all.Write(b)
	}
	if bytes.Contains(all.Bytes(), []byte("Globex")) || bytes.Contains(all.Bytes(), []byte(e.seeded["globex"].TenantID.String())) {
		t.Fatal("acme's export holds globex's marker or id")
	}
	for name, b := range gFiles {
		if !strings.HasSuffix(name, ".ndjson") {
			continue
		}
		for _, l := range bytes.Split(bytes.TrimSpace(b), []byte("\n")) {
			var row struct{ ID string }
			if json.Unmarshal(l, &row) == nil && row.ID != "" && bytes.Contains(all.Bytes(), []byte(row.ID)) {
				t.Fatalf("acme's export holds the id of a globex row of %s", name)
			}
		}
	}
	if n := count(t, db, "SELECT count(*) FROM platform_grants WHERE ended_at IS NULL"); n != 0 {
		t.Fatalf("%d grants still open after the exports", n)
	}
	if n := count(t, db, "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'platform.tenant_export_granted'", acme); n != 1 {
		t.Fatal("the export is not in acme's audit log")
	}
}

// perTenantCounts counts, without row security, every tenant's rows in
// every table with a tenant_id column.
func perTenantCounts(t *testing.T, e *env) map[string]int {
	t.Helper()
	db := e.admin()
	rows, err := db.Query(context.Background(), `
		SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
		WHERE n.nspname = 'public' AND c.relkind = 'r'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		_ = rows.Scan(&n)
		tables = append(tables, n)
	}
	out := map[string]int{}
	for _, table := range tables {
		r, err := db.Query(context.Background(), "SELECT tenant_id::text, count(*) FROM "+table+" GROUP BY tenant_id")
		if err != nil {
			t.Fatal(err)
		}
		for r.Next() {
			var id string
			var n int
			_ = r.Scan(&id, &n)
			out[table+"/"+id] = n
		}
	}
	return out
}

// Deleting a tenant: refused while it is served; a dry run counts and
// changes nothing; then batches, and a verification that finds nothing of
// it in any table while every other tenant's counts are unchanged — which
// a count without row security confirms — recorded in the platform audit
// log.
func TestDeleteTenant(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	acme := e.seeded["acme"].TenantID.String()
	before := perTenantCounts(t, e)
	if _, err := e.app.Tenants.Delete(ctx, operator, "acme", tenants.DeleteOptions{}); !errors.Is(err, tenants.ErrNotSuspended) {
		t.Fatalf("deleting an active tenant: %v", err)
	}
	dry, err := e.app.Tenants.Delete(ctx, operator, "acme", tenants.DeleteOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]int64{}
	for _, tc := range dry.Tables {
		rows[tc.Table] = tc.Rows
	}
	if rows["services"] == 0 || rows["members"] == 0 || int(rows["bookings"]) != before["bookings/"+acme] {
		t.Fatalf("dry run counts: %+v", dry.Tables)
	}
	// A dry run deletes nothing; it tells the tenant's audit log.
	afterDry := perTenantCounts(t, e)
	if afterDry["audit_log/"+acme] != before["audit_log/"+acme]+1 {
		t.Fatal("the dry run is not in the tenant's audit log")
	}
	afterDry["audit_log/"+acme]--
	if fmt.Sprint(afterDry) != fmt.Sprint(before) {
		t.Fatal("a dry run changed something")
	}

	if _, err := e.app.Tenants.Suspend(ctx, operator, "acme"); err != nil {
		t.Fatal(err)
	}
	rep, err := e.app.Tenants.Delete(ctx, operator, "acme", tenants.DeleteOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Verified || !rep.OthersUnchanged || rep.Batches <= len(rep.Tables) {
		t.Fatalf("report: %+v", rep)
	}
	after := perTenantCounts(t, e)
	for key, n := range before {
		table, id, _ := strings.Cut(key, "/")
		switch id {
		case acme:
			if after[key] != 0 {
				t.Fatalf("%s: %d rows of the deleted tenant left", table, after[key])
			}
		default:
			if after[key] != n {
				t.Fatalf("%s: another tenant's rows went from %d to %d", table, n, after[key])
			}
		}
	}
	db := e.admin()
	if n := count(t, db, "SELECT count(*) FROM tenants WHERE id = $1", acme); n != 0 {
		t.Fatal("the tenant row is left")
	}
	if n := count(t, db, "SELECT count(*) FROM platform_audit_log WHERE action = 'tenant.delete_verified' AND detail->>'verified' = 'true' AND detail->>'tenant_id' = $1", acme); n != 1 {
		t.Fatal("the verification is not in the platform audit log")
	}
	if n := count(t, db, "SELECT count(*) FROM platform_grants WHERE ended_at IS NULL"); n != 0 {
		t.Fatalf("%d grants still open after the deletion", n)
	}
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/public/services"}), 404)
	g := e.login("globex", "owner@globex.test")
	expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/services", sess: g}), 200)
}
