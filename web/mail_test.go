package web_test

import (
	"strings"
	"testing"
)

// The mail a request causes goes through the application's queue into
// the delivery log of the tenant it is sent for, and no one else's; a
// password reset is account mail and appears in no tenant's log.
func TestRequestMailIsInItsTenantsDeliveryLogOnly(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/members/invitations", sess: owner,
		body: map[string]string{"email": "invited@example.test", "role": "staff", "display_name": "Acme <i>Invitee</i>"}}), 201)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests",
		body: publicForm("former@example.test", "<script>alert(1)</script>")}), 202)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset", body: map[string]string{"email": "staff@acme.test"}}), 202)

	inv := e.mailTo("invited@example.test")
	if !strings.Contains(inv.HTML, "Acme &lt;i&gt;Invitee&lt;/i&gt;") || !strings.Contains(inv.Text, "/invitations/accept?token=") {
		t.Fatalf("invitation text %q html %q", inv.Text, inv.HTML)
	}
	conf := e.mailTo("former@example.test")
	if strings.Contains(conf.HTML, "script") || !strings.Contains(conf.HTML, "<html") {
		t.Fatalf("confirmation html %q", conf.HTML)
	}
	reset := e.mailTo("staff@acme.test")
	if !strings.Contains(reset.Subject, "Reset your password for ") || !strings.Contains(reset.HTML, "/password-reset?token=") {
		t.Fatalf("reset subject %q html %q", reset.Subject, reset.HTML)
	}

	r := e.do(req{method: "GET", host: "acme", path: "/api/mail-deliveries?limit=100", sess: owner})
	expectStatus(t, r, 200)
	body := string(r.Body)
	for _, want := range []string{`"kind":"invitation","recipient":"invited@example.test"`, `"kind":"request_received","recipient":"former@example.test"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("acme's log lacks %s: %s", want, body)
		}
	}
	if strings.Contains(body, "password_reset") {
		t.Fatalf("acme's log holds a password reset: %s", body)
	}
	g := e.do(req{method: "GET", host: "globex", path: "/api/mail-deliveries?limit=100", sess: e.login("globex", "owner@globex.test")})
	expectStatus(t, g, 200)
	if s := string(g.Body); strings.Contains(s, "invited@example.test") || strings.Contains(s, "former@example.test") || strings.Contains(s, "password_reset") {
		t.Fatalf("globex's log: %s", s)
	}
}
