package web_test

import (
	"context"
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
