package web_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/demo"
)

// signupBody is a sign-up request for slug by email.
func signupBody(name, slug, email string) map[string]string {
	return map[string]string{"name": name, "slug": slug, "email": email}
}

// redeem posts a handoff token to its host's redeem operation, as an API
// client does, and returns the session it opens.
func (e *env) redeem(t *testing.T, handoffURL, token string) *session {
	t.Helper()
	u, err := url.Parse(handoffURL)
	if err != nil {
		t.Fatal(err)
	}
	r := e.do(req{method: "POST", host: u.Hostname(), path: u.Path, body: map[string]string{"token": token}})
	expectStatus(t, r, 200)
	var s session
	r.json(t, &s)
	return &s
}

type confirmed struct {
	Tenant struct {
		ID, Slug, Name, URL string
	}
	HandoffURL string `json:"handoff_url"`
	Token      string
}

// A person signs up on the apex host, confirms by the mailed link, and
// lands as the owner of a new organization whose settings exist and which
// sees nothing of any other organization.
func TestSignup(t *testing.T) {
	e := newEnv(t)
	db := e.admin()
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/signup", body: signupBody("Initech Partners", "initech", "Founder@Initech.example")}), 202)
	if n := count(t, db, "SELECT count(*) FROM tenants WHERE slug = 'initech'"); n != 0 {
		t.Fatal("the organization exists before the address confirmed it")
	}
	if n := count(t, db, "SELECT count(*) FROM accounts WHERE email = 'founder@initech.example'"); n != 0 {
		t.Fatal("an account exists before the address confirmed it")
	}
	mail := e.mailTo("founder@initech.example")
	if !strings.Contains(mail.Text, "http://"+baseDomain+":"+e.port+"/signup/confirm?token=") {
		t.Fatalf("the sign-up mail: %s", mail.Text)
	}
	token := e.linkToken("founder@initech.example")
	page := e.do(req{method: "GET", host: "", path: "/signup/confirm?token=" + url.QueryEscape(token), header: map[string]string{"Accept": "text/html"}})
	expectStatus(t, page, 200)
	if !strings.Contains(string(page.Body), "Choose a password") || !strings.Contains(string(page.Body), "Initech Partners") {
		t.Fatalf("confirm page: %s", page.Body)
	}
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/signup/confirm", body: map[string]string{"token": token, "password": "short"}}), 422)
	if n := count(t, db, "SELECT count(*) FROM tenants WHERE slug = 'initech'"); n != 0 {
		t.Fatal("a refused confirmation created the organization")
	}
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/signup/confirm", body: map[string]string{"token": token, "password": "initech founder pw"}}), 404)
	r := e.do(req{method: "POST", host: "", path: "/api/signup/confirm", body: map[string]string{"token": token, "password": "initech founder pw"}})
	expectStatus(t, r, 200)
	var c confirmed
	r.json(t, &c)
	if c.Tenant.Slug != "initech" || !strings.Contains(c.HandoffURL, "initech."+baseDomain) || c.Token == "" {
		t.Fatalf("confirmation: %s", r.Body)
	}
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/signup/confirm", body: map[string]string{"token": token, "password": "initech founder pw"}}), 422)

	owner := e.redeem(t, c.HandoffURL, c.Token)
	var v struct {
		Role   string
		Tenant struct{ Slug string }
	}
	e.sessionOf("initech", owner).json(t, &v)
	if v.Role != "owner" || v.Tenant.Slug != "initech" {
		t.Fatalf("the founder's session: %+v", v)
	}
	for _, table := range []string{"organization_settings", "booking_settings", "security_settings", "communication_settings"} {
		if n := count(t, db, "SELECT count(*) FROM "+table+" WHERE tenant_id = $1", c.Tenant.ID); n != 1 {
			t.Fatalf("%s: %d rows for the new organization, want 1", table, n)
		}
	}
	// Its owner sees its own empty organization, and nothing of acme's.
	var list struct{ Items []map[string]any }
	services := e.do(req{method: "GET", host: "initech", path: "/api/services", sess: owner})
	expectStatus(t, services, 200)
	services.json(t, &list)
	if len(list.Items) != 0 || strings.Contains(string(services.Body), "Acme") {
		t.Fatalf("a new organization lists services: %s", services.Body)
	}
	members := e.do(req{method: "GET", host: "initech", path: "/api/members", sess: owner})
	members.json(t, &list)
	if len(list.Items) != 1 || strings.Contains(string(members.Body), "Acme") {
		t.Fatalf("the new organization's members: %s", members.Body)
	}
	acmeOwner := e.login("acme", "owner@acme.test")
	var acmeServices struct{ Items []struct{ ID string } }
	e.do(req{method: "GET", host: "acme", path: "/api/services", sess: acmeOwner}).json(t, &acmeServices)
	expectStatus(t, e.do(req{method: "GET", host: "initech", path: "/api/services/" + acmeServices.Items[0].ID, sess: owner}), 404)
	expectStatus(t, e.sessionOf("acme", owner), 403)
	// The founder signs in on the organization's host with the password
	// chosen at confirmation.
	expectStatus(t, e.do(req{method: "POST", host: "initech", path: "/api/auth/login",
		body: map[string]string{"email": "founder@initech.example", "password": "initech founder pw"}}), 200)
}

// Malformed, reserved and taken slugs are refused with a field error, and
// nothing is stored or mailed.
func TestSignupRefusesBadSlugs(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		slug   string
		status int
	}{
		{"www", 422}, {"admin", 422}, {"api", 422}, {"status", 422}, {"static", 422},
		{"Acme", 422}, {"-acme", 422}, {"a", 422}, {"xn--80ak6aa92e", 422}, {"acme_advisory", 422}, {strings.Repeat("a", 64), 422},
		{"acme", 409}, {"globex", 409},
	} {
		r := e.do(req{method: "POST", host: "", path: "/api/signup", body: signupBody("Some Firm", tc.slug, "someone@firm.example")})
		expectStatus(t, r, tc.status)
		if !strings.Contains(string(r.Body), "body.slug") {
			t.Fatalf("%q: no field error for the slug: %s", tc.slug, r.Body)
		}
	}
	if n := count(t, e.admin(), "SELECT count(*) FROM signups"); n != 0 {
		t.Fatalf("%d sign-ups stored", n)
	}
	if m := e.mails(); len(m) != 0 {
		t.Fatalf("refused sign-ups sent mail: %+v", m)
	}
	page := e.do(req{method: "POST", host: "", path: "/signup", header: map[string]string{"Accept": "text/html"},
		body: url.Values{"name": {"Some Firm"}, "slug": {"www"}, "email": {"someone@firm.example"}}})
	expectStatus(t, page, 422)
	if !strings.Contains(string(page.Body), "reserved") || !strings.Contains(string(page.Body), `value="someone@firm.example"`) {
		t.Fatalf("the refused form: %s", page.Body)
	}
}

// The answer is the same for an address with an account and one without;
// the existing account confirms with its own password, keeps it, and gets
// a new membership, never a second account.
func TestSignupOfAnExistingAccount(t *testing.T) {
	e := newEnv(t)
	known := e.do(req{method: "POST", host: "", path: "/api/signup", body: signupBody("Acme Two", "acme-two", "owner@acme.test")})
	unknown := e.do(req{method: "POST", host: "", path: "/api/signup", body: signupBody("Hooli", "hooli", "nobody@hooli.example")})
	expectStatus(t, known, 202)
	expectStatus(t, unknown, 202)
	if string(known.Body) != string(unknown.Body) || known.Header.Get("Content-Length") != unknown.Header.Get("Content-Length") {
		t.Fatalf("the answers differ: %s / %s", known.Body, unknown.Body)
	}
	token := e.linkToken("owner@acme.test")
	page := e.do(req{method: "GET", host: "", path: "/signup/confirm?token=" + url.QueryEscape(token), header: map[string]string{"Accept": "text/html"}})
	if !strings.Contains(string(page.Body), "Password of your account") {
		t.Fatalf("confirm page for an existing account: %s", page.Body)
	}
	confirm := func(pw string) response {
		return e.do(req{method: "POST", host: "", path: "/api/signup/confirm", body: map[string]string{"token": token, "password": pw}})
	}
	expectStatus(t, confirm("a password of someone else's choosing"), 401)
	db := e.admin()
	if n := count(t, db, "SELECT count(*) FROM tenants WHERE slug = 'acme-two'"); n != 0 {
		t.Fatal("a wrong password created the organization")
	}
	r := confirm(demo.Password)
	expectStatus(t, r, 200)
	if n := count(t, db, "SELECT count(*) FROM accounts WHERE email = 'owner@acme.test'"); n != 1 {
		t.Fatalf("%d accounts for one address", n)
	}
	if n := count(t, db, "SELECT count(*) FROM members m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'owner@acme.test'"); n != 2 {
		t.Fatalf("%d memberships, want acme's and the new one", n)
	}
	var c confirmed
	r.json(t, &c)
	owner := e.redeem(t, c.HandoffURL, c.Token)
	var v struct{ Role string }
	e.sessionOf("acme-two", owner).json(t, &v)
	if v.Role != "owner" {
		t.Fatalf("role %q in the new organization", v.Role)
	}
	e.login("acme", "owner@acme.test") // the password is the one it had
}

// An account made by a public form, without a password, is not given one
// by a sign-up link: its person sets one with a reset first.
func TestSignupOfAnAccountWithoutPassword(t *testing.T) {
	e := newEnv(t)
	const person = "walk-in@example.org"
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests",
		body: map[string]string{"email": person, "name": "Walk In", "title": "Acme question"}}), 202)
	expectStatus(t, e.confirmPublic("acme", person), 200)
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/signup", body: signupBody("Walk In Firm", "walk-in", person)}), 202)
	r := e.do(req{method: "POST", host: "", path: "/api/signup/confirm", body: map[string]string{"token": e.linkToken(person), "password": "a password chosen here"}})
	expectStatus(t, r, 409)
	if n := count(t, e.admin(), "SELECT count(*) FROM accounts WHERE email = $1 AND password_hash IS NULL", person); n != 1 {
		t.Fatal("the account got a password through a sign-up link")
	}
}

// A request that fills the field people never see is answered like any
// other and dropped; sign-ups are limited per client address.
func TestSignupTrapAndLimit(t *testing.T) {
	e := newEnv(t)
	body := signupBody("Bot Firm", "bot-firm", "bot@firm.example")
	body["website"] = "http://spam.example"
	r := e.do(req{method: "POST", host: "", path: "/api/signup", body: body})
	expectStatus(t, r, 202)
	if n := count(t, e.admin(), "SELECT count(*) FROM signups"); n != 0 {
		t.Fatal("a trapped sign-up was stored")
	}
	if m := e.mails(); len(m) != 0 {
		t.Fatalf("a trapped sign-up sent mail: %+v", m)
	}
	for i := 1; ; i++ {
		r := e.do(req{method: "POST", host: "", path: "/api/signup", body: signupBody("Firm", "firm-"+string(rune('a'+i)), "p"+string(rune('a'+i))+"@firm.example")})
		if r.Status == 429 {
			if i <= 4 || r.Header.Get("Retry-After") == "" {
				t.Fatalf("limited after %d sign-ups, or without Retry-After", i)
			}
			break
		}
		expectStatus(t, r, 202)
		if i > 10 {
			t.Fatal("sign-ups are not limited per address")
		}
	}
}

// The sign-up form lives on the apex host only.
func TestSignupPages(t *testing.T) {
	e := newEnv(t)
	page := e.do(req{method: "GET", host: "", path: "/signup", header: map[string]string{"Accept": "text/html"}})
	expectStatus(t, page, 200)
	if !strings.Contains(string(page.Body), `name="website"`) || !strings.Contains(string(page.Body), `class="trap"`) {
		t.Fatalf("sign-up form: %s", page.Body)
	}
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/signup", header: map[string]string{"Accept": "text/html"}}), 404)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/signup", body: signupBody("X Firm", "x-firm", "x@firm.example")}), 404)
	expectStatus(t, e.do(req{method: "POST", host: "", path: "/signup", header: map[string]string{"Accept": "text/html"},
		body: url.Values{"name": {"Page Firm"}, "slug": {"page-firm"}, "email": {"page@firm.example"}}}), 200)
	tok := e.linkToken("page@firm.example")
	done := e.do(req{method: "POST", host: "", path: "/signup/confirm", header: map[string]string{"Accept": "text/html"},
		body: url.Values{"token": {tok}, "password": {"page firm founder pw"}}})
	expectStatus(t, done, 200)
	if !strings.Contains(string(done.Body), "http://page-firm."+baseDomain+":"+e.port+"/auth/handoff") || done.Header.Get("Referrer-Policy") != "origin" {
		t.Fatalf("the confirmation does not hand over to the new host: %s", done.Body)
	}
}
