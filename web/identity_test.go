package web_test

import (
	"context"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/mailer"
)

// attacker collects every answer an attacker's requests get, to show that
// none of them carries another tenant's data.
type attacker struct {
	e       *env
	answers []response
}

func (a *attacker) do(r req) response {
	a.e.t.Helper()
	resp := a.e.do(r)
	a.answers = append(a.answers, resp)
	return resp
}

// sawNothingOf fails the test if any answer the attacker got holds one of
// secrets.
func (a *attacker) sawNothingOf(t *testing.T, secrets ...string) {
	t.Helper()
	for _, r := range a.answers {
		for _, s := range secrets {
			if s != "" && strings.Contains(string(r.Body), s) {
				t.Fatalf("the attacker read %q: %s", s, r.Body)
			}
		}
		for _, c := range r.Header.Values("Set-Cookie") {
			if strings.Contains(c, "session") {
				t.Fatalf("the attacker was handed a session: %s", c)
			}
		}
	}
}

// AUTH-14, the public form first. A stranger files acme's public form for
// a person; the person confirms it, and acme replies. globex's owner then
// invites the same address and tries to take the account over: the
// invitation's link is mailed to the person, never shown to the inviter;
// even with that link, an existing account is never given a password; and
// signing in on acme's host as the person with a password of the
// attacker's choosing fails. Nothing of acme reaches globex's owner.
func TestTakeoverThroughInvitationAfterPublicForm(t *testing.T) {
	e := newEnv(t)
	const victim = "victim@example.org"
	acmeOwner := e.login("acme", "owner@acme.test")
	stranger := &attacker{e: e}
	expectStatus(t, stranger.do(req{method: "POST", host: "acme", path: "/api/public/service-requests",
		body: map[string]string{"email": victim, "name": "Vic Tim", "title": "Acme tax return 2025", "details": "Acme SSN 123-45-6789"}}), 202)
	expectStatus(t, e.confirmPublic("acme", victim), 200) // the person, from their mailbox
	filed := all(e, acmeOwner)[0]
	if filed.Title != "Acme tax return 2025" {
		t.Fatalf("filed: %+v", filed)
	}
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + filed.ID + "/comments", sess: acmeOwner,
		body: map[string]string{"body": "Acme refund code R-9981", "visibility": "client"}}), 201)

	globex := &attacker{e: e}
	gOwner := e.login("globex", "owner@globex.test")
	inv := globex.do(req{method: "POST", host: "globex", path: "/api/members/invitations", sess: gOwner,
		body: map[string]string{"email": victim, "role": "client", "display_name": "x"}})
	expectStatus(t, inv, 201)
	if strings.Contains(string(inv.Body), "token") || strings.Contains(string(inv.Body), "/invitations/accept") {
		t.Fatalf("the inviter was shown the acceptance link: %s", inv.Body)
	}
	for _, r := range []string{"/api/members/invitations"} {
		if b := globex.do(req{method: "GET", host: "globex", path: r, sess: gOwner}); strings.Contains(string(b.Body), "token") {
			t.Fatalf("the invitation list shows a token: %s", b.Body)
		}
	}
	// Even holding the link, nobody sets a password on the existing
	// account by accepting.
	link := e.linkToken(victim)
	r := globex.do(req{method: "POST", host: "globex", path: "/api/invitations/accept", body: map[string]string{"token": link, "password": "attacker-chosen-pw-1"}})
	expectStatus(t, r, 409)
	if n := count(t, e.admin(), "SELECT count(*) FROM accounts WHERE email = $1 AND password_hash IS NULL", victim); n != 1 {
		t.Fatal("the person's account got a password")
	}
	for _, host := range []string{"acme", "globex", ""} {
		expectStatus(t, globex.do(req{method: "POST", host: host, path: "/api/auth/login",
			body: map[string]string{"email": victim, "password": "attacker-chosen-pw-1"}}), 401)
	}
	globex.sawNothingOf(t, "Acme tax return", "123-45-6789", "R-9981", filed.ID, e.seeded["acme"].TenantID.String())
	stranger.sawNothingOf(t, "R-9981", filed.ID)
}

// AUTH-14, the pre-hijack. globex's owner invites an address before its
// person ever uses the platform, hoping to hold the account when the
// person later uses acme's public form. The link goes to the person's
// mailbox only, so the owner has nothing to accept with; when the person
// confirms a request on acme, it lands in an account the attacker cannot
// sign in to, and the attacker reads nothing of acme.
func TestTakeoverByInvitingFirst(t *testing.T) {
	e := newEnv(t)
	const person = "future-client@example.org"
	globex := &attacker{e: e}
	gOwner := e.login("globex", "owner@globex.test")
	inv := globex.do(req{method: "POST", host: "globex", path: "/api/members/invitations", sess: gOwner,
		body: map[string]string{"email": person, "role": "client", "display_name": "x"}})
	expectStatus(t, inv, 201)
	if strings.Contains(string(inv.Body), "token") {
		t.Fatalf("the inviter was shown the acceptance link: %s", inv.Body)
	}
	// Guessing a token gets nothing.
	expectStatus(t, globex.do(req{method: "POST", host: "globex", path: "/api/invitations/accept",
		body: map[string]string{"token": "A" + strings.Repeat("b", 42), "password": "attacker-chosen-pw-1"}}), 422)
	if n := count(t, e.admin(), "SELECT count(*) FROM accounts WHERE email = $1", person); n != 0 {
		t.Fatal("an account exists for an address nobody proved")
	}

	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests",
		body: map[string]string{"email": person, "name": "Future Client", "title": "Acme first request", "details": "Acme private details"}}), 202)
	expectStatus(t, e.confirmPublic("acme", person), 200)
	acmeOwner := e.login("acme", "owner@acme.test")
	filed := all(e, acmeOwner)[0]
	for _, host := range []string{"acme", "globex", ""} {
		expectStatus(t, globex.do(req{method: "POST", host: host, path: "/api/auth/login",
			body: map[string]string{"email": person, "password": "attacker-chosen-pw-1"}}), 401)
	}
	globex.sawNothingOf(t, "Acme first request", "Acme private details", filed.ID, e.seeded["acme"].TenantID.String())
}

// The invitation flow as its invitee lives it: the link comes by mail,
// works on its own tenant's host only, once; an existing account accepts
// with its own password.
func TestInvitationFlow(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	r := e.do(req{method: "POST", host: "acme", path: "/api/members/invitations", sess: owner,
		body: map[string]string{"email": "New.Person@Example.test", "role": "staff", "display_name": "Acme Newcomer"}})
	expectStatus(t, r, 201)
	var inv struct{ Email string }
	r.json(t, &inv)
	if inv.Email != "new.person@example.test" || strings.Contains(string(r.Body), "token") {
		t.Fatalf("invitation: %s", r.Body)
	}
	m := e.mailTo(inv.Email)
	if !strings.Contains(m.Text, "http://acme."+baseDomain) {
		t.Fatalf("the invitation mail: %s", m.Text)
	}
	token := e.linkToken(inv.Email)
	t.Run("TokenDoesNotWorkOnAnotherTenant", func(t *testing.T) {
		expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/invitations/accept", body: map[string]string{"token": token, "password": "a long new password"}}), 422)
	})
	t.Run("ShortPasswordRefused", func(t *testing.T) {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/invitations/accept", body: map[string]string{"token": token, "password": "short"}}), 422)
	})
	t.Run("ThePageSaysWhatToDo", func(t *testing.T) {
		page := e.do(req{method: "GET", host: "acme", path: "/invitations/accept?token=" + url.QueryEscape(token), header: map[string]string{"Accept": "text/html"}})
		expectStatus(t, page, 200)
		if !strings.Contains(string(page.Body), "Choose a password") || !strings.Contains(string(page.Body), "new.person@example.test") {
			t.Fatalf("accept page: %s", page.Body)
		}
	})
	accept := e.do(req{method: "POST", host: "acme", path: "/api/invitations/accept", body: map[string]string{"token": token, "password": "a long new password"}})
	expectStatus(t, accept, 200)
	var s session
	accept.json(t, &s)
	var v struct{ Role string }
	e.sessionOf("acme", &s).json(t, &v)
	if v.Role != "staff" {
		t.Fatalf("new member role %q", v.Role)
	}
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/invitations/accept", body: map[string]string{"token": token, "password": "a long new password"}}), 422)

	t.Run("ExistingAccountSignsIn", func(t *testing.T) {
		g := e.login("globex", "owner@globex.test")
		expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/members/invitations", sess: g,
			body: map[string]string{"email": "owner@acme.test", "role": "client", "display_name": "Globex Guest"}}), 201)
		tok := e.linkToken("owner@acme.test")
		page := e.do(req{method: "GET", host: "globex", path: "/invitations/accept?token=" + url.QueryEscape(tok), header: map[string]string{"Accept": "text/html"}})
		if !strings.Contains(string(page.Body), "Password of your account") {
			t.Fatalf("accept page for an existing account: %s", page.Body)
		}
		expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/invitations/accept", body: map[string]string{"token": tok, "password": "not the password"}}), 401)
		expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/invitations/accept", body: map[string]string{"token": tok, "password": demo.Password}}), 200)
	})
}

// AUTH-15: an invitation is no side door for guessing. Wrong passwords
// given with it count toward the address's sign-in limits and use the
// invitation up; while the address is locked, the right password is
// refused there too.
func TestInvitationIsNoPasswordOracle(t *testing.T) {
	e := newEnv(t)
	g := e.login("globex", "owner@globex.test")
	invite := func() string {
		expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/members/invitations", sess: g,
			body: map[string]string{"email": "owner@acme.test", "role": "client", "display_name": "Globex Guest"}}), 201)
		return e.linkToken("owner@acme.test")
	}
	accept := func(tok, pw string) response {
		return e.do(req{method: "POST", host: "globex", path: "/api/invitations/accept", body: map[string]string{"token": tok, "password": pw}})
	}
	tok := invite()
	for range 5 {
		expectStatus(t, accept(tok, "guess"), 401)
	}
	expectStatus(t, accept(tok, demo.Password), 422) // five wrong ones revoked it
	// Five more failures from this address lock the address out: on
	// sign-in and at the invitation alike.
	for range 5 {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": "guess"}}), 401)
	}
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": demo.Password}}), 429)
	expectStatus(t, accept(invite(), demo.Password), 429)
}

// AUTH-15: change-password counts a wrong current password as a failed
// sign-in: a stolen session cannot guess the password freely.
func TestChangePasswordIsLimited(t *testing.T) {
	e := newEnv(t)
	s := e.login("acme", "staff@acme.test")
	change := func(current string) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/auth/password", sess: s,
			body: map[string]string{"current_password": current, "new_password": "a brand new password"}})
	}
	for range 10 {
		expectStatus(t, change("guess"), 422)
	}
	expectStatus(t, change(demo.Password), 429)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "staff@acme.test", "password": demo.Password}}), 429)
}

// AUTH-17: an invitation dies with its inviter's power to grant it, by
// removal, by demotion, and (checked again at acceptance) by any change of
// role however it came about.
func TestInvitationsDieWithTheirInviter(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	staffID := e.memberID("acme", "staff")
	expectStatus(t, e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + staffID, sess: owner, body: map[string]string{"role": "admin"}}), 200)
	admin := e.login("acme", "staff@acme.test")
	invite := func(email string) string {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/members/invitations", sess: admin,
			body: map[string]string{"email": email, "role": "admin", "display_name": "Acme Accomplice"}}), 201)
		return e.linkToken(email)
	}
	accept := func(tok string) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/invitations/accept", body: map[string]string{"token": tok, "password": "a long new password"}})
	}
	t.Run("RoleChangedBehindTheServicesBack", func(t *testing.T) {
		tok := invite("one@example.test")
		conn := e.admin()
		if _, err := conn.Exec(context.Background(), "UPDATE members SET role = 'staff' WHERE id = $1", staffID); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, accept(tok), 422)
		if _, err := conn.Exec(context.Background(), "UPDATE members SET role = 'admin' WHERE id = $1", staffID); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, accept(tok), 200) // the check, not the revocation, refused it
	})
	t.Run("Demoted", func(t *testing.T) {
		admin = e.login("acme", "staff@acme.test")
		tok := invite("two@example.test")
		expectStatus(t, e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + staffID, sess: owner, body: map[string]string{"role": "staff"}}), 200)
		expectStatus(t, e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + staffID, sess: owner, body: map[string]string{"role": "admin"}}), 200)
		expectStatus(t, accept(tok), 422) // withdrawn with the demotion
	})
	t.Run("Removed", func(t *testing.T) {
		admin = e.login("acme", "staff@acme.test")
		tok := invite("three@example.test")
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + staffID, sess: owner}), 204)
		expectStatus(t, accept(tok), 422)
	})
}

// AUTH-17: a reset link dies with any later reset or password change.
func TestResetLinksDieWithTheNextChange(t *testing.T) {
	e := newEnv(t)
	ask := func() string {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset", body: map[string]string{"email": "staff@acme.test"}}), 202)
		return e.linkToken("staff@acme.test")
	}
	confirm := func(tok, pw string) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset/confirm", body: map[string]string{"token": tok, "password": pw}})
	}
	first, second := ask(), ask()
	expectStatus(t, confirm(second, "a brand new password"), 204)
	expectStatus(t, confirm(first, "an attacker's password"), 422)
	third := ask()
	s := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "staff@acme.test", "password": "a brand new password"}})
	expectStatus(t, s, 200)
	var sess session
	s.json(t, &sess)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password", sess: &sess,
		body: map[string]string{"current_password": "a brand new password", "new_password": "another new password"}}), 200)
	expectStatus(t, confirm(third, "an attacker's password"), 422)
}

// SURF-08: a reset link works only on the host that asked for it. One
// asked for on acme's host opens nothing on globex's or on the apex — not
// as an operation, not as the page — and stays good on acme's; one asked
// for on the apex opens nothing on a tenant's host.
func TestResetLinkIsBoundToItsHost(t *testing.T) {
	e := newEnv(t)
	ask := func(host string) string {
		expectStatus(t, e.do(req{method: "POST", host: host, path: "/api/auth/password-reset", body: map[string]string{"email": "staff@acme.test"}}), 202)
		return e.linkToken("staff@acme.test")
	}
	confirm := func(host, tok, pw string) response {
		return e.do(req{method: "POST", host: host, path: "/api/auth/password-reset/confirm", body: map[string]string{"token": tok, "password": pw}})
	}
	login := func(pw string) int {
		return e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "staff@acme.test", "password": pw}}).Status
	}
	fromAcme := ask("acme")
	if m := e.mailTo("staff@acme.test"); !strings.Contains(m.Text, "http://acme."+baseDomain) {
		t.Fatalf("the link does not point to the host that asked: %s", m.Text)
	}
	expectStatus(t, confirm("globex", fromAcme, "globex chose this one"), 422)
	expectStatus(t, confirm("", fromAcme, "the apex chose this one"), 422)
	page := e.do(req{method: "POST", host: "globex", path: "/password-reset", header: map[string]string{"Accept": "text/html"},
		body: url.Values{"token": {fromAcme}, "password": {"globex chose this one"}}})
	expectStatus(t, page, 422)
	for _, pw := range []string{"globex chose this one", "the apex chose this one"} {
		if got := login(pw); got != 401 {
			t.Fatalf("a password set through another host signs in: %d", got)
		}
	}
	expectStatus(t, confirm("acme", fromAcme, "acme's own new one"), 204)
	if got := login("acme's own new one"); got != 200 {
		t.Fatalf("the link on its own host did not set the password: %d", got)
	}

	fromApex := ask("")
	expectStatus(t, confirm("acme", fromApex, "acme chose this one"), 422)
	expectStatus(t, confirm("", fromApex, "the apex's own new one"), 204)
}

// blockingSender holds every message until released.
type blockingSender struct {
	release chan struct{}
	once    sync.Once
	next    mailer.Sender
}

func (b *blockingSender) Send(ctx context.Context, m mailer.Message) error {
	<-b.release
	return b.next.Send(ctx, m)
}

func (b *blockingSender) open() { b.once.Do(func() { close(b.release) }) }

// AUTH-18: a reset answers without waiting for the mail, so a known and an
// unknown address take the same path and time: with the mail server stuck,
// the answer still comes.
func TestResetAnswersWithoutWaitingForMail(t *testing.T) {
	stuck := &blockingSender{release: make(chan struct{})}
	e := newEnv(t, sendingThrough(stuck))
	stuck.next = e.outbox
	t.Cleanup(stuck.open)
	done := make(chan response, 1)
	go func() {
		done <- e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset", body: map[string]string{"email": "staff@acme.test"}})
	}()
	select {
	case r := <-done:
		expectStatus(t, r, 202)
	case <-time.After(10 * time.Second):
		t.Fatal("the reset answer waits for the mail server")
	}
	stuck.open()
	if e.mailTo("staff@acme.test").Subject == "" {
		t.Fatal("the reset mail was not sent")
	}
}

// AUTH-18: a stranger cannot lock a person out. Failures count per email
// and client address, so ten from the stranger's address leave the
// person's own address free; the email's ceiling over all addresses still
// spares the browsers the person signed in with before (device cookie).
// Reset requests likewise.
func TestStrangersCannotLockAPersonOut(t *testing.T) {
	e := newEnv(t, withApp(func(c *app.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")} }))
	from := func(ip string) map[string]string { return map[string]string{"X-Forwarded-For": ip} }
	login := func(host, ip, pw string, cookies ...*http.Cookie) response {
		return e.do(req{method: "POST", host: host, path: "/api/auth/login", header: from(ip), cookies: cookies,
			body: map[string]string{"email": "owner@acme.test", "password": pw}})
	}
	// The person signs in once from their laptop: it becomes a known device.
	first := login("acme", "198.51.100.10", demo.Password)
	expectStatus(t, first, 200)
	var device *http.Cookie
	for _, c := range (&http.Response{Header: first.Header}).Cookies() {
		if c.Name == "__Host-device" {
			device = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if device == nil {
		t.Fatal("no device cookie after a sign-in")
	}
	// A stranger fails ten times, on globex's host.
	for range 10 {
		expectStatus(t, login("globex", "203.0.113.7", "guess"), 401)
	}
	expectStatus(t, login("acme", "203.0.113.7", demo.Password), 429)
	expectStatus(t, login("acme", "198.51.100.20", demo.Password), 200) // the person, elsewhere
	// A botnet spends the email's ceiling from many addresses.
	for i := range 100 {
		login("globex", "203.0.114."+strconv.Itoa(i), "guess")
	}
	expectStatus(t, login("acme", "198.51.100.30", demo.Password), 429)
	expectStatus(t, login("acme", "198.51.100.30", demo.Password, device), 200) // the known laptop
	// Password resets: the stranger uses up their own share only.
	reset := func(ip string) response {
		return e.do(req{method: "POST", host: "globex", path: "/api/auth/password-reset", header: from(ip), body: map[string]string{"email": "owner@acme.test"}})
	}
	for range 3 {
		expectStatus(t, reset("203.0.113.7"), 202)
	}
	expectStatus(t, reset("203.0.113.7"), 429)
	expectStatus(t, reset("198.51.100.10"), 202)
}

// A flood of sign-ins gets no more of the instance than the hashing
// budget: past it, attempts are refused at once (503) without a hash —
// and the people who signed in from a device before still get in, on a
// lane of their own.
func TestAFloodOfSignInsWaitsItsTurnAndKnownDevicesGoFirst(t *testing.T) {
	// One hash every 20 s, one at a time: the first sign-in spends it.
	e := newEnv(t, withApp(func(c *app.Config) { c.PasswordHashRate, c.PasswordHashConcurrency = 0.05, 1 }))
	login := func(email, pw string, cookies ...*http.Cookie) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/auth/login", cookies: cookies,
			body: map[string]string{"email": email, "password": pw}})
	}
	first := login("owner@acme.test", demo.Password)
	expectStatus(t, first, 200)
	var device *http.Cookie
	for _, c := range (&http.Response{Header: first.Header}).Cookies() {
		if c.Name == "__Host-device" {
			device = &http.Cookie{Name: c.Name, Value: c.Value}
		}
	}
	if device == nil {
		t.Fatal("no device cookie after a sign-in")
	}
	// The budget is spent: a stranger's guess and the person without
	// their device are turned away before any hash.
	expectStatus(t, login("staff@acme.test", "guess"), 503)
	expectStatus(t, login("owner@acme.test", demo.Password), 503)
	// The known device has its own lane.
	expectStatus(t, login("owner@acme.test", demo.Password, device), 200)
}

// A password belongs to the account: it meets the strictest minimum of
// every organization the account belongs to, wherever it is set.
func TestPasswordMinimumIsTheStrictestOfTheAccount(t *testing.T) {
	e := newEnv(t)
	if _, err := e.admin().Exec(context.Background(), "UPDATE security_settings SET password_min_length = 20 WHERE tenant_id = $1", e.seeded["acme"].TenantID); err != nil {
		t.Fatal(err)
	}
	fifteen := "fifteen chars!!"
	// The consultant is in acme (20) and globex (12): on globex's host, 20.
	s := e.login("globex", demo.ConsultantEmail)
	r := e.do(req{method: "POST", host: "globex", path: "/api/auth/password", sess: s,
		body: map[string]string{"current_password": demo.Password, "new_password": fifteen}})
	expectStatus(t, r, 422)
	if !strings.Contains(string(r.Body), "20 characters") {
		t.Fatalf("refusal: %s", r.Body)
	}
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/auth/password-reset", body: map[string]string{"email": demo.ConsultantEmail}}), 202)
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/auth/password-reset/confirm",
		body: map[string]string{"token": e.linkToken(demo.ConsultantEmail), "password": fifteen}}), 422)
	// A new account invited by acme takes acme's minimum.
	owner := e.login("acme", "owner@acme.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/members/invitations", sess: owner,
		body: map[string]string{"email": "strict@example.test", "role": "client", "display_name": "Acme Strict"}}), 201)
	tok := e.linkToken("strict@example.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/invitations/accept", body: map[string]string{"token": tok, "password": fifteen}}), 422)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/invitations/accept", body: map[string]string{"token": tok, "password": fifteen + "fivemore"}}), 200)
}

// JSON keys are matched exactly: a key in another case is an unknown
// field, so a body cannot pass validation on one key and decode another.
func TestJSONKeysAreCaseSensitive(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: `{"email":"owner@acme.test","password":"x","PASSWORD":"tenantkit-demo"}`})
	expectStatus(t, r, 422)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: `{"EMAIL":"owner@acme.test","password":"tenantkit-demo"}`}), 422)
	s := e.login("acme", demo.ConsultantEmail)
	r = e.do(req{method: "POST", host: "acme", path: "/api/auth/switch", sess: s, body: `{"tenant":"acme","TENANT":"Globex!"}`})
	expectStatus(t, r, 422)
	expectStatus(t, e.sessionOf("acme", s), 200) // refused before anything happened
}

// The static files are served; their directory is not listed.
func TestStaticFilesAreNotListed(t *testing.T) {
	e := newEnv(t)
	for _, p := range []string{"/static/", "/static", "/static/../static/"} {
		if r := e.do(req{method: "GET", host: "acme", path: p}); r.Status == 200 && strings.Contains(string(r.Body), "app.css") {
			t.Fatalf("%s lists the directory: %s", p, r.Body)
		}
	}
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/static/app.css"}), 200)
	expectStatus(t, e.do(req{method: "GET", host: "", path: "/static/"}), 404)
}
