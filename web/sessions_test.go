package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

type sessionItem struct {
	ID            string
	UserAgent     string    `json:"user_agent"`
	ClientAddress string    `json:"client_address"`
	LastUsedAt    time.Time `json:"last_used_at"`
	Current       bool
}

func (e *env) sessions(host string, s *session) []sessionItem {
	e.t.Helper()
	r := e.do(req{method: "GET", host: host, path: "/api/auth/sessions", sess: s})
	expectStatus(e.t, r, 200)
	var out struct{ Items []sessionItem }
	r.json(e.t, &out)
	return out.Items
}

// loginAs signs in with a user agent of its own.
func (e *env) loginAs(host, email, agent string) *session {
	e.t.Helper()
	r := e.do(req{method: "POST", host: host, path: "/api/auth/login", header: map[string]string{"User-Agent": agent},
		body: map[string]string{"email": email, "password": "tenantkit-demo"}})
	expectStatus(e.t, r, 200)
	var s session
	r.json(e.t, &s)
	return &s
}

// A session unused for longer than the tenant's idle timeout is refused
// at its next request; one in use lives on past it.
func TestIdleSessionEnds(t *testing.T) {
	e := newEnv(t)
	busy := e.login("acme", "staff@acme.test")
	idle := e.login("acme", "owner@acme.test")
	// The default idle timeout is 120 minutes.
	for range 2 {
		e.clock.Advance(119 * time.Minute)
		expectStatus(t, e.sessionOf("acme", busy), 200)
	}
	expectStatus(t, e.sessionOf("acme", idle), 401)
	expectStatus(t, e.sessionOf("acme", busy), 200)

	// The tenant's own setting decides.
	if _, err := e.admin().Exec(context.Background(), "UPDATE security_settings SET idle_timeout_minutes = 30 WHERE tenant_id = $1", e.seeded["acme"].TenantID); err != nil {
		t.Fatal(err)
	}
	s := e.login("acme", "client@acme.test")
	g := e.login("globex", "client@globex.test")
	e.clock.Advance(29 * time.Minute)
	expectStatus(t, e.sessionOf("acme", s), 200)
	e.clock.Advance(31 * time.Minute)
	expectStatus(t, e.sessionOf("acme", s), 401)
	expectStatus(t, e.sessionOf("globex", g), 200) // globex keeps the default
}

// A member sees their own live sessions — device, address, last use, the
// current one marked — and ends any of them; nobody else's.
func TestMemberSeesAndEndsOwnSessions(t *testing.T) {
	e := newEnv(t)
	laptop := e.loginAs("acme", "staff@acme.test", "Laptop Browser/1.0")
	phone := e.loginAs("acme", "staff@acme.test", "Phone Browser/2.0")
	owner := e.login("acme", "owner@acme.test")
	gOwner := e.login("globex", "owner@globex.test")
	list := e.sessions("acme", laptop)
	if len(list) != 2 {
		t.Fatalf("%d sessions, want the laptop's and the phone's: %+v", len(list), list)
	}
	var phoneID string
	for _, s := range list {
		if s.ClientAddress != "127.0.0.1" {
			t.Fatalf("session address %q", s.ClientAddress)
		}
		switch s.UserAgent {
		case "Laptop Browser/1.0":
			if !s.Current {
				t.Fatal("the current session is not marked")
			}
		case "Phone Browser/2.0":
			phoneID = s.ID
			if s.Current {
				t.Fatal("another session is marked current")
			}
		default:
			t.Fatalf("unexpected session %+v", s)
		}
	}
	// Others' sessions read as missing: the owner's, and globex's.
	ownerID := e.sessions("acme", owner)[0].ID
	gID := e.sessions("globex", gOwner)[0].ID
	missing := e.do(req{method: "DELETE", host: "acme", path: "/api/auth/sessions/" + missingID, sess: laptop})
	expectStatus(t, missing, 404)
	for _, id := range []string{ownerID, gID} {
		r := e.do(req{method: "DELETE", host: "acme", path: "/api/auth/sessions/" + id, sess: laptop})
		expectStatus(t, r, 404)
		if fmt.Sprint(r.problemBody(t)) != fmt.Sprint(missing.problemBody(t)) {
			t.Fatalf("another's session reads differently from a missing one: %s", r.Body)
		}
	}
	expectStatus(t, e.sessionOf("acme", owner), 200)
	expectStatus(t, e.sessionOf("globex", gOwner), 200)

	expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/auth/sessions/" + phoneID, sess: laptop}), 204)
	expectStatus(t, e.sessionOf("acme", phone), 401)
	if l := e.sessions("acme", laptop); len(l) != 1 || !l[0].Current {
		t.Fatalf("after ending the phone's: %+v", l)
	}

	// The same as a page.
	tablet := e.loginAs("acme", "staff@acme.test", "Tablet Browser/3.0")
	html := map[string]string{"Accept": "text/html"}
	page := e.do(req{method: "GET", host: "acme", path: "/account/sessions", sess: laptop, header: html})
	expectStatus(t, page, 200)
	if !strings.Contains(string(page.Body), "Laptop Browser/1.0 <strong>(this one)</strong>") || !strings.Contains(string(page.Body), "Tablet Browser/3.0") {
		t.Fatalf("sessions page: %s", page.Body)
	}
	var tabletID string
	for _, s := range e.sessions("acme", tablet) {
		if s.Current {
			tabletID = s.ID
		}
	}
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/account/sessions/" + tabletID + "/end", sess: laptop, header: html}), 303)
	expectStatus(t, e.sessionOf("acme", tablet), 401)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/account/sessions/" + ownerID + "/end", sess: laptop, header: html}), 404)
	expectStatus(t, e.sessionOf("acme", owner), 200)
}

// An admin ends every session of a member whose role they manage; not an
// owner's, and not another tenant's member's.
func TestAdminEndsAMembersSessions(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	staff1, staff2 := e.login("acme", "staff@acme.test"), e.login("acme", "staff@acme.test")
	r := e.do(req{method: "POST", host: "acme", path: "/api/members/" + e.memberID("acme", "staff") + "/end-sessions", sess: owner})
	expectStatus(t, r, 200)
	var ended struct{ Ended int }
	r.json(t, &ended)
	if ended.Ended != 2 {
		t.Fatalf("ended %d sessions, want 2", ended.Ended)
	}
	expectStatus(t, e.sessionOf("acme", staff1), 401)
	expectStatus(t, e.sessionOf("acme", staff2), 401)

	staff := e.login("acme", "staff@acme.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/members/" + e.memberID("acme", "owner") + "/end-sessions", sess: staff}), 403)
	expectStatus(t, e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + e.memberID("acme", "staff"), sess: owner, body: map[string]string{"role": "admin"}}), 200)
	admin := e.login("acme", "staff@acme.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/members/" + e.memberID("acme", "owner") + "/end-sessions", sess: admin}), 403)
	expectStatus(t, e.sessionOf("acme", owner), 200)
	gOwner := e.login("globex", "owner@globex.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/members/" + e.memberID("globex", "owner") + "/end-sessions", sess: owner}), 404)
	expectStatus(t, e.sessionOf("globex", gOwner), 200)
}
