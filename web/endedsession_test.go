package web_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/demo"
)

// A session the server has checked in full once carries only the deferred
// check on its next requests (it travels with their first statement).
// Ended meanwhile — signed out by a request of its own, or its membership
// removed — it can neither sign out again nor switch: 401, no handoff
// stored in the tenant it would switch to, whether that tenant exists or
// not, and no second sign-out in the audit log.
func TestEndedSessionNeitherSwitchesNorSignsOut(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	handoffs := func() int { return count(t, admin, "SELECT count(*) FROM auth_handoffs") }
	logouts := func() int {
		return count(t, admin, "SELECT count(*) FROM audit_log WHERE action = 'auth.logout'")
	}
	switchTo := func(s *session, slug string) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/auth/switch", sess: s, body: map[string]string{"tenant": slug}})
	}
	signOut := func(s *session) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/auth/logout", sess: s})
	}
	checked := func() *session {
		s := e.login("acme", demo.ConsultantEmail)
		for range 2 { // the first request checks in full, the second defers
			expectStatus(t, e.sessionOf("acme", s), 200)
		}
		return s
	}

	s := checked()
	expectStatus(t, signOut(s), 200)
	h, l := handoffs(), logouts()
	for _, slug := range []string{"globex", "no-such-firm"} {
		expectStatus(t, switchTo(s, slug), 401)
	}
	expectStatus(t, signOut(s), 401)
	if handoffs() != h || logouts() != l {
		t.Fatalf("a signed-out session stored %d handoffs and %d sign-outs", handoffs()-h, logouts()-l)
	}

	// The same session live switches (the test can fail).
	live := checked()
	expectStatus(t, switchTo(live, "globex"), 200)
	if handoffs() != h+1 {
		t.Fatalf("a live session's switch stored %d handoffs, want 1", handoffs()-h)
	}

	removed := checked()
	owner := e.login("acme", "owner@acme.test")
	id := e.seeded["acme"].Members["consultant"].ID
	expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + id.String(), sess: owner}), 204)
	h, l = handoffs(), logouts()
	expectStatus(t, switchTo(removed, "globex"), 401)
	expectStatus(t, signOut(removed), 401)
	if handoffs() != h || logouts() != l {
		t.Fatalf("a removed member's session stored %d handoffs and %d sign-outs", handoffs()-h, logouts()-l)
	}
}
