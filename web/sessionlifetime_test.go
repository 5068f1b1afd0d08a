package web_test

import (
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/demo"
)

// A session lasts its tenant's session lifetime (the security setting
// over the platform default), whether it begins with a sign-in or by
// finishing a switch on the target's host: the insert computes it, and the
// token, the answer and the stored row agree. Another tenant's setting
// changes nothing.
func TestSessionLifetimeIsTheTenantSetting(t *testing.T) {
	e := newEnv(t)
	admin := e.admin()
	// globex's lifetime: its own setting if the demo gave it one, else the
	// platform default.
	inGlobex := time.Duration(count(t, admin, `SELECT coalesce(s.session_lifetime_minutes, d.session_lifetime_minutes)
		FROM security_defaults d LEFT JOIN security_settings s ON s.tenant_id = (SELECT id FROM tenants WHERE slug = 'globex')`)) * time.Minute
	e.clock.Advance(time.Minute) // past the demo's own sessions
	start := e.clock.Peek()
	owner := e.login("acme", "owner@acme.test")
	expectStatus(t, e.do(req{method: "PUT", host: "acme", path: "/api/settings/security", sess: owner,
		body: map[string]any{"session_lifetime_minutes": 45}}), 200)

	// expires signs in on host (or finishes a switch there) with do and
	// returns the session, checking that it expires lifetime after the
	// clock's reading.
	expires := func(name, host string, lifetime time.Duration, do func() response) *session {
		t.Helper()
		from := e.clock.Peek()
		r := do()
		expectStatus(t, r, 200)
		to := e.clock.Peek()
		var out struct {
			ExpiresAt time.Time `json:"expires_at"`
			session
		}
		r.json(t, &out)
		if out.ExpiresAt.Before(from.Add(lifetime)) || out.ExpiresAt.After(to.Add(lifetime)) {
			t.Errorf("%s: the session expires at %s, want %s after %s", name, out.ExpiresAt, lifetime, from)
		}
		var again struct {
			ExpiresAt time.Time `json:"expires_at"`
		}
		e.sessionOf(host, &out.session).json(t, &again)
		if !again.ExpiresAt.Equal(out.ExpiresAt.Truncate(time.Second)) { // the token's expiry, in seconds
			t.Errorf("%s: the session reads as expiring at %s, the sign-in answered %s", name, again.ExpiresAt, out.ExpiresAt)
		}
		return &out.session
	}
	login := func(host, email string) func() response {
		return func() response {
			return e.do(req{method: "POST", host: host, path: "/api/auth/login", body: map[string]string{"email": email, "password": demo.Password}})
		}
	}
	if inGlobex == 45*time.Minute {
		t.Fatal("globex's lifetime is the one this test sets acme's to")
	}
	expires("sign-in on acme", "acme", 45*time.Minute, login("acme", "staff@acme.test"))
	expires("sign-in on globex", "globex", inGlobex, login("globex", "owner@globex.test"))

	finish := func(from *session, fromHost, to string) func() response {
		return func() response {
			var h handoffAnswer
			r := e.do(req{method: "POST", host: fromHost, path: "/api/auth/switch", sess: from, body: map[string]string{"tenant": to}})
			expectStatus(t, r, 200)
			r.json(t, &h)
			return e.do(req{method: "POST", host: to, path: "/api/auth/handoff", body: map[string]string{"token": h.Token}})
		}
	}
	switched := expires("switch to globex", "globex", inGlobex, finish(e.login("acme", demo.ConsultantEmail), "acme", "globex"))
	expires("switch back to acme", "acme", 45*time.Minute, finish(switched, "globex", "acme"))

	// The stored rows: acme's sessions begun since the change last 45
	// minutes, globex's its own lifetime.
	if n := count(t, admin, "SELECT count(*) FROM sessions s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = 'acme' AND s.created_at > $1 AND s.expires_at - s.created_at = interval '45 minutes'", start); n != 3 {
		t.Errorf("%d of acme's sessions last 45 minutes, want 3 (staff, the consultant's first, the switch back)", n)
	}
	if n := count(t, admin, "SELECT count(*) FROM sessions s JOIN tenants t ON t.id = s.tenant_id WHERE t.slug = 'globex' AND s.created_at > $1 AND s.expires_at - s.created_at <> make_interval(mins => $2)", start, int(inGlobex/time.Minute)); n != 0 {
		t.Errorf("%d of globex's sessions do not last globex's lifetime", n)
	}
}
