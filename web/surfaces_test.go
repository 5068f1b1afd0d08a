package web_test

import (
	"strings"
	"testing"
)

// No answer may be kept by a shared cache or read by another origin:
// every response, signed-in or public, page or operation, says
// `private, no-store`, and no origin is granted cross-origin reads —
// tenantkit sends no CORS header whatever Origin a request carries,
// preflights included (SURF-02, REQ-07).
func TestNoSharedCachesNoCrossOriginReads(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	evil := map[string]string{"Origin": "https://evil.test", "Sec-Fetch-Site": "cross-site"}
	for _, r := range []req{
		{method: "GET", host: "acme", path: "/api/services", sess: owner, header: evil},
		{method: "GET", host: "acme", path: "/api/auth/session", sess: owner, header: evil},
		{method: "GET", host: "acme", path: "/api/public/services", header: evil},
		{method: "GET", host: "acme", path: "/", sess: owner, header: evil},
		{method: "GET", host: "", path: "/api/auth/session", header: evil},
		{method: "OPTIONS", host: "acme", path: "/api/services", header: map[string]string{
			"Origin": "https://evil.test", "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}},
	} {
		resp := e.do(r)
		if cc := resp.Header.Get("Cache-Control"); cc != "private, no-store" {
			t.Errorf("%s %s on %q: Cache-Control %q", r.method, r.path, r.host, cc)
		}
		for name := range resp.Header {
			if strings.HasPrefix(strings.ToLower(name), "access-control-") {
				t.Errorf("%s %s on %q: %s: %s", r.method, r.path, r.host, name, resp.Header.Get(name))
			}
		}
	}
}

// A search sees its own tenant's rows only: acme searching for the word
// every globex row carries finds nothing, on the staff list and the
// public one, while its own word finds its rows (SURF-05).
func TestSearchFindsOnlyItsTenantsRows(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	if n := len(e.services("acme", owner, "?q=Acme").Items); n == 0 {
		t.Fatal("acme's own word finds nothing: the search proves nothing")
	}
	for _, r := range []req{
		{method: "GET", host: "acme", path: "/api/services?q=Globex", sess: owner},
		{method: "GET", host: "acme", path: "/api/public/services"},
	} {
		resp := e.do(r)
		expectStatus(t, resp, 200)
		if strings.Contains(string(resp.Body), "Globex") {
			t.Errorf("%s on acme: %s", r.path, resp.Body)
		}
	}
	if n := len(e.services("acme", owner, "?q=Globex").Items); n != 0 {
		t.Fatalf("acme's search for globex's word found %d services", n)
	}
}
