package web_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/dnstest"
	"github.com/tenantkit/tenantkit/tenants"
)

type domainOut struct {
	ID       string `json:"id"`
	Domain   string `json:"domain"`
	Verified bool   `json:"verified"`
	TXTName  string `json:"txt_name"`
	TXTValue string `json:"txt_value"`
}

// A custom domain serves its firm only once verified by its TXT record,
// and then exactly as the subdomain does: sign-in, the binding, the
// firm's data; another firm's session is refused there. Removed, it
// answers 404 at once, and serves again only after a new verification.
func TestCustomDomains(t *testing.T) {
	dns := dnstest.New()
	e := newEnv(t, resolving(dns))
	owner := e.login("acme", "owner@acme.test")
	const host = "shop.acme-firm.test"

	add := e.do(req{method: "POST", host: "acme", path: "/api/domains", sess: owner, body: map[string]string{"domain": " Shop.Acme-Firm.TEST. "}})
	expectStatus(t, add, 201)
	var d domainOut
	add.json(t, &d)
	if d.Domain != host || d.Verified || d.TXTName != "_tenantkit."+host || len(d.TXTValue) < 20 {
		t.Fatalf("added: %+v", d)
	}
	served := func(want int) {
		t.Helper()
		expectStatus(t, e.do(req{method: "GET", host: host, path: "/api/public/services"}), want)
	}
	// Unverified: nothing at all, not even sign-in.
	served(404)
	expectStatus(t, e.do(req{method: "POST", host: host, path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": "tenantkit-demo"}}), 404)
	verify := func(id string) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/domains/" + id + "/verify", sess: owner})
	}
	expectStatus(t, verify(d.ID), 409) // no record
	dns.Publish(d.TXTName, "something else")
	expectStatus(t, verify(d.ID), 409) // not the token
	served(404)
	dns.Publish(d.TXTName, "v=spf1 -all", d.TXTValue)
	v := verify(d.ID)
	expectStatus(t, v, 200)
	v.json(t, &d)
	if !d.Verified {
		t.Fatalf("verified: %+v", d)
	}

	// Verified: the firm, as on its subdomain.
	pub := e.do(req{method: "GET", host: host, path: "/api/public/services"})
	expectStatus(t, pub, 200)
	if !strings.Contains(string(pub.Body), "Acme") || strings.Contains(string(pub.Body), "Globex") {
		t.Fatalf("public services on the domain: %s", pub.Body)
	}
	onDomain := e.login(host, "owner@acme.test")
	expectStatus(t, e.do(req{method: "GET", host: host, path: "/api/services", sess: onDomain}), 200)
	expectStatus(t, e.do(req{method: "GET", host: host, path: "/api/domains", sess: onDomain}), 200)
	// Another firm's session, or a member of another firm signing in.
	gOwner := e.login("globex", "owner@globex.test")
	expectStatus(t, e.do(req{method: "GET", host: host, path: "/api/services", sess: gOwner}), 403)
	expectStatus(t, e.do(req{method: "POST", host: host, path: "/api/auth/login", body: map[string]string{"email": "owner@globex.test", "password": "tenantkit-demo"}}), 401)
	// The domain's session is bound to acme: refused on globex.
	expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/services", sess: onDomain}), 403)

	// One domain, one firm: globex cannot add acme's domain, nor verify
	// a domain acme verified first even when the record holds its token.
	gList := func() int {
		var l struct{ Items []domainOut }
		r := e.do(req{method: "GET", host: "globex", path: "/api/domains", sess: gOwner})
		expectStatus(t, r, 200)
		r.json(t, &l)
		return len(l.Items)
	}
	before := gList()
	expectProblem(t, e.do(req{method: "POST", host: "globex", path: "/api/domains", sess: gOwner, body: map[string]string{"domain": host}}), 409)
	if gList() != before {
		t.Fatal("a refused domain was stored")
	}
	var a2, g2 domainOut
	r := e.do(req{method: "POST", host: "acme", path: "/api/domains", sess: owner, body: map[string]string{"domain": "both.example.test"}})
	expectStatus(t, r, 201)
	r.json(t, &a2)
	r = e.do(req{method: "POST", host: "globex", path: "/api/domains", sess: gOwner, body: map[string]string{"domain": "both.example.test"}})
	expectStatus(t, r, 201) // a pending claim blocks nobody
	r.json(t, &g2)
	dns.Publish(a2.TXTName, a2.TXTValue, g2.TXTValue)
	expectStatus(t, verify(a2.ID), 200)
	expectProblem(t, e.do(req{method: "POST", host: "globex", path: "/api/domains/" + g2.ID + "/verify", sess: gOwner}), 409)
	if n := count(t, e.admin(), "SELECT count(*) FROM tenant_domains WHERE domain = 'both.example.test' AND tenant_id = $1", e.seeded["acme"].TenantID); n != 1 {
		t.Fatalf("both.example.test: %d rows of acme", n)
	}
	// Another firm's domain id reads as missing; staff are refused.
	expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/domains/" + d.ID + "/verify", sess: gOwner}), 404)
	expectStatus(t, e.do(req{method: "DELETE", host: "globex", path: "/api/domains/" + d.ID, sess: gOwner}), 404)
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/domains", sess: e.login("acme", "staff@acme.test")}), 403)
	served(200)

	// Removed: 404 at once; added again, a new token to verify.
	expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/domains/" + d.ID, sess: owner}), 204)
	served(404)
	expectStatus(t, e.do(req{method: "GET", host: host, path: "/api/services", sess: onDomain}), 404)
	var again domainOut
	r = e.do(req{method: "POST", host: "acme", path: "/api/domains", sess: owner, body: map[string]string{"domain": host}})
	expectStatus(t, r, 201)
	r.json(t, &again)
	if again.Verified || again.TXTValue == d.TXTValue {
		t.Fatalf("added again: %+v (before: %s)", again, d.TXTValue)
	}
	served(404)
	expectStatus(t, verify(again.ID), 409) // the record holds the old token
	dns.Publish(again.TXTName, again.TXTValue)
	expectStatus(t, verify(again.ID), 200)
	served(200)

	if n := count(t, e.admin(), "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action IN ('domain.added', 'domain.verified', 'domain.removed')",
		e.seeded["acme"].TenantID); n != 7 {
		t.Fatalf("%d domain entries in acme's audit log, want 7", n)
	}
}

// Bad input is refused with a problem naming the field, and nothing is
// stored.
func TestCustomDomainInput(t *testing.T) {
	e := newEnv(t, resolving(dnstest.New()))
	owner := e.login("acme", "owner@acme.test")
	stored := func() int {
		return count(t, e.admin(), "SELECT count(*) FROM domain_claims WHERE tenant_id = $1", e.seeded["acme"].TenantID)
	}
	before := stored()
	for _, body := range []any{
		map[string]string{"domain": "not a domain"},
		map[string]string{"domain": "localhost"},
		map[string]string{"domain": "intranet"},
		map[string]string{"domain": "10.0.0.1"},
		map[string]string{"domain": "globex." + e.base},
		map[string]string{"domain": e.base},
		map[string]string{"domain": "bücher.example"},
		map[string]string{"domain": "-bad.example.com"},
		map[string]string{"domain": strings.Repeat("a", 64) + ".example.com"},
		map[string]string{"domain": strings.Repeat("abcdefghi.", 26) + "com"},
		map[string]string{"domain": ""},
		map[string]any{"domain": 7},
		map[string]string{"domain": "ok.example.com", "tenant_id": e.seeded["globex"].TenantID.String()},
		"{",
	} {
		r := e.do(req{method: "POST", host: "acme", path: "/api/domains", sess: owner, body: body})
		if r.Status/100 != 4 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
			t.Fatalf("%v: %d %s", body, r.Status, r.Body)
		}
	}
	if stored() != before {
		t.Fatal("refused input was stored")
	}
	expectProblem(t, e.do(req{method: "POST", host: "acme", path: "/api/domains/not-a-uuid/verify", sess: owner}), 422)
	// The page shows the field's error and keeps the input.
	expectPage(t, e.page("POST", "acme", "/app/settings/domains", owner, url.Values{"domain": {"intranet"}}), 422, "a full domain name", `value="intranet"`)
	if stored() != before {
		t.Fatal("refused input from the page was stored")
	}
}

// expectProblem fails unless r is an RFC 9457 problem with status want.
func expectProblem(t testing.TB, r response, want int) {
	t.Helper()
	expectStatus(t, r, want)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
		t.Fatalf("content type %q: %s", r.Header.Get("Content-Type"), r.Body)
	}
}

// Support access seen from the firm: the owners see each grant, its
// reason and the reads under it, on the API and the settings page, and
// end it; other roles and other firms see and end nothing.
func TestSupportAccessForOwners(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	g, err := e.app.Tenants.GrantSupport(ctx, operator, "acme", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Tenants.SupportRead(ctx, operator, "acme", tenants.SupportReadOptions{Table: "services"}); err != nil {
		t.Fatal(err)
	}
	owner := e.login("acme", "owner@acme.test")
	var list struct {
		Items []struct {
			ID, Operator, Reason string
			Live                 bool
			Reads                []struct {
				Table string
				Rows  int
			}
		}
	}
	r := e.do(req{method: "GET", host: "acme", path: "/api/support-access", sess: owner})
	expectStatus(t, r, 200)
	r.json(t, &list)
	if len(list.Items) != 1 || list.Items[0].ID != g.ID.String() || list.Items[0].Reason != operator.Reason || !list.Items[0].Live ||
		len(list.Items[0].Reads) != 1 || list.Items[0].Reads[0].Table != "services" || list.Items[0].Reads[0].Rows == 0 {
		t.Fatalf("support access: %s", r.Body)
	}
	expectPage(t, e.page("GET", "acme", "/app/settings", owner, nil), 200, "Support access", operator.Reason, "/app/settings/support/"+g.ID.String()+"/end")
	// Staff and other firms: nothing.
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/support-access", sess: e.login("acme", "staff@acme.test")}), 403)
	gOwner := e.login("globex", "owner@globex.test")
	r = e.do(req{method: "GET", host: "globex", path: "/api/support-access", sess: gOwner})
	expectStatus(t, r, 200)
	if strings.Contains(string(r.Body), g.ID.String()) {
		t.Fatalf("globex sees acme's grant: %s", r.Body)
	}
	expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/support-access/" + g.ID.String() + "/end", sess: gOwner}), 404)
	if _, err := e.app.Tenants.SupportRead(ctx, operator, "acme", tenants.SupportReadOptions{}); err != nil {
		t.Fatalf("globex ended acme's grant: %v", err)
	}
	// The owner ends it from the page: the operator reads nothing more.
	expectStatus(t, e.page("POST", "acme", "/app/settings/support/"+g.ID.String()+"/end", owner, url.Values{}), 303)
	if _, err := e.app.Tenants.SupportRead(ctx, operator, "acme", tenants.SupportReadOptions{Table: "services"}); err != tenants.ErrNoSupportAccess && !strings.Contains(errString(err), "no live support access") {
		t.Fatalf("a read after the owner ended the access: %v", err)
	}
	r = e.do(req{method: "POST", host: "acme", path: "/api/support-access/" + g.ID.String() + "/end", sess: owner})
	expectStatus(t, r, 200) // already over: answered as it is
	if strings.Contains(string(r.Body), `"live":true`) {
		t.Fatalf("ended: %s", r.Body)
	}
	if n := count(t, e.admin(), "SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'support.ended_by_owner' AND actor_member_id IS NOT NULL",
		e.seeded["acme"].TenantID); n != 1 {
		t.Fatalf("%d owner ends in acme's audit log", n)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
