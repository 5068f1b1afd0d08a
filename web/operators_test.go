package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/tenants"
)

var cliOperator = tenants.Operator{Actor: "cli:test", Reason: "the operator tests"}

// grantOperator makes the account with email a platform operator, as
// `tenantkit operator grant` does.
func (e *env) grantOperator(email string) *tenants.Operators {
	e.t.Helper()
	ops := tenants.NewOperators(e.store, time.Now)
	if _, err := ops.Grant(context.Background(), cliOperator, email); err != nil {
		e.t.Fatal(err)
	}
	return ops
}

// The lifecycle over the API: a granted operator lists, creates, suspends
// and resumes an organization; the suspended host answers 403; every
// change is audited with the operator's account and reason; a plain
// account, an account whose grant was revoked and a missing session are
// refused, and nothing changes.
func TestOperatorLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	ops := e.grantOperator("owner@globex.test")
	op := e.login("", "owner@globex.test")
	plain := e.login("", "consultant@example.test")
	acme := e.seeded["acme"].TenantID.String()
	owner := e.login("acme", "owner@acme.test")

	var list struct {
		Items []struct {
			ID, Slug, Status string
			Members          int
		}
	}
	resp := e.do(req{method: "GET", host: "", path: "/api/platform/tenants", sess: op})
	expectStatus(t, resp, 200)
	resp.json(t, &list)
	if len(list.Items) != 2 || list.Items[0].Slug != "acme" || list.Items[0].Members == 0 {
		t.Fatalf("list: %+v", list.Items)
	}

	// Refused: no session, a plain account, each change untouched.
	reason := map[string]string{"reason": "unpaid invoice"}
	for _, r := range []req{
		{method: "GET", host: "", path: "/api/platform/tenants"},
		{method: "POST", host: "", path: "/api/platform/tenants/" + acme + "/suspend", body: reason},
	} {
		expectStatus(t, e.do(r), 401)
		r.sess = plain
		resp := e.do(r)
		expectStatus(t, resp, 403)
		if pb := resp.problemBody(t); pb["status"] != float64(403) {
			t.Fatalf("not a problem: %s", resp.Body)
		}
	}
	// A tenant session is no platform session.
	expectStatus(t, e.do(req{method: "GET", host: "", path: "/api/platform/tenants", sess: owner}), 403)
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner}), 200)

	// Bad input: 4xx problem, nothing stored.
	before := count(t, e.admin(), "SELECT count(*) FROM tenants")
	for _, b := range []map[string]any{
		{"slug": "initech", "name": "Initech"},
		{"slug": "initech", "name": "Initech", "reason": ""},
		{"slug": "www", "name": "W", "reason": "r"},
		{"slug": "Not A Slug", "name": "N", "reason": "r"},
		{"slug": "acme", "name": "Again", "reason": "r"},
		{"slug": "initech", "name": "Initech", "reason": "r", "tenant_id": acme},
	} {
		resp := e.do(req{method: "POST", host: "", path: "/api/platform/tenants", sess: op, body: b})
		if resp.Status/100 != 4 || resp.problemBody(t)["status"] == nil {
			t.Fatalf("create %v: %d %s", b, resp.Status, resp.Body)
		}
	}
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/platform/tenants/" + acme + "/suspend", sess: op, body: map[string]string{}}), 422)
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/platform/tenants/00000000-0000-4000-8000-000000000000/suspend", sess: op, body: reason}), 404)
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/platform/tenants/" + acme + "/delete", sess: op, body: map[string]any{"reason": "r", "confirm": "globex"}}), 422)
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/platform/tenants/" + acme + "/delete", sess: op, body: map[string]any{"reason": "r"}}), 422)
	if n := count(t, e.admin(), "SELECT count(*) FROM tenants"); n != before {
		t.Fatalf("%d tenants after bad input, %d before", n, before)
	}
	if n := count(t, e.admin(), "SELECT count(*) FROM tenants WHERE status <> 'active'"); n != 0 {
		t.Fatal("a tenant changed on bad input")
	}

	// Create, suspend, resume.
	var created struct{ ID, Slug, Status string }
	resp = e.do(req{method: "POST", host: "", path: "/api/platform/tenants", sess: op, body: map[string]string{"slug": "initech", "name": "Initech", "reason": "ticket 42"}})
	expectStatus(t, resp, 201)
	resp.json(t, &created)
	if created.Slug != "initech" || created.Status != "active" {
		t.Fatalf("create: %s", resp.Body)
	}
	resp = e.do(req{method: "POST", host: "", path: "/api/platform/tenants/" + acme + "/suspend", sess: op, body: reason})
	expectStatus(t, resp, 200)
	if !strings.Contains(string(resp.Body), `"suspended"`) {
		t.Fatalf("suspend: %s", resp.Body)
	}
	suspended := e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner})
	expectStatus(t, suspended, 403)
	if !strings.Contains(string(suspended.Body), "this workspace is suspended") {
		t.Fatalf("suspended host: %s", suspended.Body)
	}
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/platform/tenants/" + acme + "/resume", sess: op, body: map[string]string{"reason": "paid"}}), 200)
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner}), 200)

	// The audit rows name the operator's account and the reason, on the
	// platform and in the tenant's log.
	opID := e.seeded["globex"].Members["owner"].AccountID.String()
	for action, why := range map[string]string{"tenant.create": "ticket 42", "tenant.suspend": "unpaid invoice", "tenant.resume": "paid"} {
		if n := count(t, e.admin(), "SELECT count(*) FROM platform_audit_log WHERE action = $1 AND actor = $2 AND reason = $3", action, opID, why); n != 1 {
			t.Fatalf("%d platform audit rows of %s by %s for %q, want 1", n, action, opID, why)
		}
	}
	if n := count(t, e.admin(), "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'platform.tenant_suspended' AND detail->>'actor' = $2 AND detail->>'reason' = 'unpaid invoice'", acme, opID); n != 1 {
		t.Fatal("the suspension is not in acme's audit log with its operator")
	}

	// Revoked: the same session is refused, nothing changes.
	if err := ops.Revoke(ctx, cliOperator, "owner@globex.test"); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, e.do(req{method: "GET", host: "", path: "/api/platform/tenants", sess: op}), 403)
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/platform/tenants/" + acme + "/suspend", sess: op, body: reason}), 403)
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner}), 200)
	if n := count(t, e.admin(), "SELECT count(*) FROM platform_audit_log WHERE action = 'tenant.suspend'"); n != 1 {
		t.Fatalf("%d suspensions audited, want 1", n)
	}
}

// Export over HTTP streams the tenant's rows and nothing of the other
// tenant; delete counts with dry_run and deletes a suspended tenant with
// the slug confirmed.
func TestOperatorExportAndDelete(t *testing.T) {
	e := newEnv(t)
	e.grantOperator("consultant@example.test")
	op := e.login("", "consultant@example.test")
	acme := e.seeded["acme"].TenantID.String()
	expectStatus(t, e.do(req{method: "GET", host: "", path: "/api/platform/tenants/" + acme + "/export", sess: op}), 422)
	resp := e.do(req{method: "GET", host: "", path: "/api/platform/tenants/" + acme + "/export?reason=case+7", sess: op})
	expectStatus(t, resp, 200)
	zr, err := zip.NewReader(bytes.NewReader(resp.Body), int64(len(resp.Body)))
	if err != nil {
		t.Fatal(err)
	}
	var all bytes.Buffer
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		all.Write(b)
	}
	if !names["manifest.json"] || !names["services.ndjson"] || !bytes.Contains(all.Bytes(), []byte(acme)) {
		t.Fatalf("export: %v", names)
	}
	if bytes.Contains(all.Bytes(), []byte("Globex")) || bytes.Contains(all.Bytes(), []byte(e.seeded["globex"].TenantID.String())) {
		t.Fatal("acme's export holds globex's marker or id")
	}

	// Delete: an active tenant is refused; dry_run counts; a suspended one
	// goes, verified.
	path := "/api/platform/tenants/" + acme
	resp = e.do(req{method: "POST", host: "", path: path + "/delete", sess: op, body: map[string]any{"reason": "closed", "dry_run": true}})
	expectStatus(t, resp, 200)
	if count(t, e.admin(), "SELECT count(*) FROM tenants WHERE id = $1", acme) != 1 {
		t.Fatal("a dry run deleted")
	}
	if r := e.do(req{method: "POST", host: "", path: path + "/delete", sess: op, body: map[string]any{"reason": "closed", "confirm": "acme"}}); r.Status/100 != 4 {
		t.Fatalf("delete of an active tenant: %d %s", r.Status, r.Body)
	}
	expectStatus(t, e.do(req{method: "POST", host: "", path: path + "/suspend", sess: op, body: map[string]any{"reason": "closed"}}), 200)
	resp = e.do(req{method: "POST", host: "", path: path + "/delete", sess: op, body: map[string]any{"reason": "closed", "confirm": "acme"}})
	expectStatus(t, resp, 200)
	var rep struct {
		Verified bool `json:"verified"`
	}
	resp.json(t, &rep)
	if !rep.Verified || count(t, e.admin(), "SELECT count(*) FROM tenants WHERE id = $1", acme) != 0 {
		t.Fatalf("delete: %s", resp.Body)
	}
}
