package web_test

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestSignInAndSessionOnTenantHost(t *testing.T) {
	e := newEnv(t)
	s := e.login("acme", "owner@acme.test")
	r := e.sessionOf("acme", s)
	expectStatus(t, r, 200)
	var v struct {
		Account struct{ Email string }
		Tenant  struct{ Slug string }
		Role    string
	}
	r.json(t, &v)
	if v.Account.Email != "owner@acme.test" || v.Tenant.Slug != "acme" || v.Role != "owner" {
		t.Fatalf("session: %+v", v)
	}

	t.Run("BrowserCookies", func(t *testing.T) {
		login := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": demo.Password}})
		var cookies []*http.Cookie
		for _, c := range (&http.Response{Header: login.Header}).Cookies() {
			if !c.Secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" || !strings.HasPrefix(c.Name, "__Host-") {
				t.Fatalf("cookie %s: %+v", c.Name, c)
			}
			cookies = append(cookies, &http.Cookie{Name: c.Name, Value: c.Value})
		}
		if len(cookies) != 3 || cookies[2].Name != "__Host-device" {
			t.Fatalf("want the session, tenant and device cookies, got %d", len(cookies))
		}
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/auth/session", cookies: cookies}), 200)
	})

	t.Run("WrongPasswordAndUnknownEmailReadTheSame", func(t *testing.T) {
		wrong := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": "nope"}})
		unknown := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "nobody@acme.test", "password": "nope"}})
		otherTenant := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@globex.test", "password": demo.Password}})
		for _, r := range []response{wrong, unknown, otherTenant} {
			expectStatus(t, r, 401)
		}
		if !reflect.DeepEqual(wrong.problemBody(t), unknown.problemBody(t)) || !reflect.DeepEqual(wrong.problemBody(t), otherTenant.problemBody(t)) {
			t.Fatalf("refusals differ:\n%s\n%s\n%s", wrong.Body, unknown.Body, otherTenant.Body)
		}
	})
}

// A client-sent X-Tenant-Id or X-Tenant-Slug naming another tenant changes
// nothing: the tenant comes from the host.
func TestSpoofedTenantHeaderIsIgnored(t *testing.T) {
	e := newEnv(t)
	s := e.login("acme", "owner@acme.test")
	globex := e.seeded["globex"].TenantID.String()
	r := e.do(req{method: "GET", host: "acme", path: "/api/members", sess: s,
		header: map[string]string{"X-Tenant-Id": globex, "X-Tenant-Slug": "globex", "x-tenant": "globex"}})
	expectStatus(t, r, 200)
	if strings.Contains(string(r.Body), "Globex") || !strings.Contains(string(r.Body), "Acme") {
		t.Fatalf("members under a spoofed header: %s", r.Body)
	}
}

// A valid session of tenant A presented on B's host is refused with one
// body, whether or not the tenant the token names exists.
func TestTokenOfAnotherTenantIsForbidden(t *testing.T) {
	e := newEnv(t)
	acme := e.login("acme", "consultant@example.test")
	onGlobex := e.sessionOf("globex", acme)
	expectStatus(t, onGlobex, 403)
	forged := e.forge(t, tokenClaims{tenant: uuid.New(), account: e.seeded["acme"].Members["owner"].AccountID})
	onGlobexForNoTenant := e.sessionOf("globex", &session{Token: forged, TenantSig: acme.TenantSig})
	expectStatus(t, onGlobexForNoTenant, 403)
	if !reflect.DeepEqual(onGlobex.problemBody(t), onGlobexForNoTenant.problemBody(t)) {
		t.Fatalf("the refusal reveals whether the other tenant exists:\n%s\n%s", onGlobex.Body, onGlobexForNoTenant.Body)
	}
	// Another tenant's cookie with this tenant's token is refused too.
	globex := e.login("globex", "owner@globex.test")
	expectStatus(t, e.sessionOf("acme", &session{Token: acme.Token, TenantSig: globex.TenantSig}), 403)

	// The refusal is a security event in the audit log of the host tenant.
	conn := pgtest.Connect(t, e.db.AdminURL)
	var n int
	err := conn.QueryRow(context.Background(),
		"SELECT count(*) FROM audit_log WHERE tenant_id = $1 AND action = 'security.binding_refused'", e.seeded["globex"].TenantID).Scan(&n)
	if err != nil || n == 0 {
		t.Fatalf("security events in globex's audit log: %d %v", n, err)
	}
}

func TestTenantSignatureMustMatch(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	staff := e.login("acme", "staff@acme.test")
	second := e.login("acme", "owner@acme.test")
	flip := func(s string) string {
		b := []byte(s)
		i := strings.Index(s, ".") + 5 // inside the key id / tenant part
		b[i] ^= 1
		return string(b)
	}
	// One character of the MAC changed, before its last (whose low bits
	// are padding): always another MAC ("AA" for the last two left it the
	// same in about one run of a thousand).
	tamperedMAC := []byte(owner.TenantSig)
	if i := len(tamperedMAC) - 5; tamperedMAC[i] == 'A' {
		tamperedMAC[i] = 'B'
	} else {
		tamperedMAC[i] = 'A'
	}
	for _, tc := range []struct {
		name string
		sig  string
	}{
		{"Missing", ""},
		{"TamperedPayload", flip(owner.TenantSig)},
		{"TamperedMAC", string(tamperedMAC)},
		{"AnotherAccounts", staff.TenantSig},
		{"SameAccountOtherSession", second.TenantSig},
		{"Garbage", "v1.s1.x.y.z.1.abc"},
		{"UnknownKey", strings.Replace(owner.TenantSig, ".s1.", ".s9.", 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectStatus(t, e.sessionOf("acme", &session{Token: owner.Token, TenantSig: tc.sig}), 403)
		})
	}
	t.Run("Expired", func(t *testing.T) {
		gk, _ := auth.ParseSignatureKeys(e.sigKey)
		s, _ := auth.NewSigner(gk, e.clock.Now).Verify(owner.TenantSig)
		s.ExpiresAt = e.now().Add(-time.Second)
		// Sign as the server would have, but already expired.
		expired := auth.NewSigner(gk, e.clock.Now).Sign(s)
		expectStatus(t, e.sessionOf("acme", &session{Token: owner.Token, TenantSig: expired}), 403)
	})
	expectStatus(t, e.sessionOf("acme", owner), 200)
}

type tokenClaims struct {
	tenant, account, session uuid.UUID
	issuer, audience, alg    string
	kid                      string
	exp, nbf, iat            time.Time
	extraHeader              map[string]any
	version                  int64
}

// forge signs a token with the server's own session key unless the claims
// say otherwise, for tests that need a token the server would not issue.
func (e *env) forge(t testing.TB, c tokenClaims) string {
	t.Helper()
	now := e.now()
	if c.issuer == "" {
		c.issuer = "http://" + baseDomain + ":" + e.port
	}
	if c.audience == "" {
		c.audience = auth.Audience
	}
	if c.exp.IsZero() {
		c.exp = now.Add(time.Hour)
	}
	if c.iat.IsZero() {
		c.iat = now
	}
	if c.nbf.IsZero() {
		c.nbf = now
	}
	if c.session == uuid.Nil {
		c.session = uuid.New()
	}
	if c.version == 0 {
		c.version = 1
	}
	claims := jwt.MapClaims{
		"iss": c.issuer, "sub": c.account.String(), "aud": []string{c.audience}, "exp": c.exp.Unix(),
		"nbf": c.nbf.Unix(), "iat": c.iat.Unix(), "jti": c.session.String(), "ver": c.version,
	}
	if c.tenant != uuid.Nil {
		claims["tid"] = c.tenant.String()
	}
	seed := seedOf(t, e.sessionKey)
	priv := ed25519.NewKeyFromSeed(seed)
	var tok *jwt.Token
	switch c.alg {
	case "", "EdDSA":
		tok = jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	case "HS256":
		tok = jwt.NewWithClaims(jwt.SigningMethodHS256, claims)
	case "none":
		tok = jwt.NewWithClaims(jwt.SigningMethodNone, claims)
	}
	tok.Header["kid"] = "k1"
	if c.kid != "" {
		tok.Header["kid"] = c.kid
	}
	for k, v := range c.extraHeader {
		tok.Header[k] = v
	}
	var key any = priv
	switch c.alg {
	case "HS256":
		key = []byte(priv.Public().(ed25519.PublicKey)) // algorithm confusion: the public key as an HMAC secret
	case "none":
		key = jwt.UnsafeAllowNoneSignatureType
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func seedOf(t testing.TB, spec string) []byte {
	_, b64, _ := strings.Cut(spec, ":")
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Tokens that do not verify are 401, whatever is wrong with them.
func TestInvalidTokensAreUnauthorized(t *testing.T) {
	e := newEnv(t)
	s := e.login("acme", "owner@acme.test")
	owner := e.seeded["acme"].Members["owner"]
	acme := e.seeded["acme"].TenantID
	// The genuine token's session id, so only the broken part differs.
	gk, _ := auth.ParseSignatureKeys(e.sigKey)
	sig, err := auth.NewSigner(gk, e.clock.Now).Verify(s.TenantSig)
	if err != nil {
		t.Fatal(err)
	}
	base := tokenClaims{tenant: acme, account: owner.AccountID, session: sig.SessionID}
	if r := e.sessionOf("acme", &session{Token: e.forge(t, base), TenantSig: s.TenantSig}); r.Status != 200 {
		t.Fatalf("control: a correctly forged token must pass (else the cases below prove nothing): %d %s", r.Status, r.Body)
	}
	with := func(f func(*tokenClaims)) string { c := base; f(&c); return e.forge(t, c) }
	for _, tc := range []struct {
		name  string
		token string
	}{
		{"Expired", with(func(c *tokenClaims) { c.exp = e.now().Add(-2 * time.Minute) })},
		{"ExpiredByOneSecondBeyondLeeway", with(func(c *tokenClaims) { c.exp = e.now().Add(-auth.Leeway - time.Second) })},
		{"NotYetValid", with(func(c *tokenClaims) { c.nbf = e.now().Add(10 * time.Minute) })},
		{"IssuedInTheFuture", with(func(c *tokenClaims) { c.iat = e.now().Add(10 * time.Minute) })},
		{"WrongAudience", with(func(c *tokenClaims) { c.audience = "another-service" })},
		{"WrongIssuer", with(func(c *tokenClaims) { c.issuer = "https://idp.example" })},
		{"AlgNone", with(func(c *tokenClaims) { c.alg = "none" })},
		{"HS256WithThePublicKey", with(func(c *tokenClaims) { c.alg = "HS256" })},
		{"UnknownKid", with(func(c *tokenClaims) { c.kid = "k9" })},
		{"KidPathTraversal", with(func(c *tokenClaims) { c.kid = "../../etc/passwd" })},
		{"JKUHeader", with(func(c *tokenClaims) { c.extraHeader = map[string]any{"jku": "https://evil.test/keys"} })},
		{"EmbeddedJWK", with(func(c *tokenClaims) { c.extraHeader = map[string]any{"jwk": map[string]string{"kty": "OKP"}} })},
		{"StaleVersion", with(func(c *tokenClaims) { c.version = 7 })},
		{"Garbage", "not.a.token"},
		{"Empty", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectStatus(t, e.sessionOf("acme", &session{Token: tc.token, TenantSig: s.TenantSig}), 401)
		})
	}
}

// Each revocation takes effect at the very next request.
func TestRevocationIsImmediate(t *testing.T) {
	e := newEnv(t)
	t.Run("Logout", func(t *testing.T) {
		s := e.login("acme", "staff@acme.test")
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/logout", sess: s}), 200)
		expectStatus(t, e.sessionOf("acme", s), 401)
	})
	t.Run("MemberRemoved", func(t *testing.T) {
		victim := e.login("acme", "client@acme.test")
		owner := e.login("acme", "owner@acme.test")
		id := e.seeded["acme"].Members["client"].ID
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + id.String(), sess: owner}), 204)
		expectStatus(t, e.sessionOf("acme", victim), 401)
		r := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "client@acme.test", "password": demo.Password}})
		expectStatus(t, r, 401)
	})
	t.Run("RoleChanged", func(t *testing.T) {
		s := e.login("acme", "consultant@example.test")
		owner := e.login("acme", "owner@acme.test")
		id := e.seeded["acme"].Members["consultant"].ID
		r := e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + id.String(), sess: owner, body: map[string]string{"role": "admin"}})
		expectStatus(t, r, 200)
		expectStatus(t, e.sessionOf("acme", s), 401)
		s = e.login("acme", "consultant@example.test")
		var v struct{ Role string }
		e.sessionOf("acme", s).json(t, &v)
		if v.Role != "admin" {
			t.Fatalf("new role: %q", v.Role)
		}
	})
	t.Run("PasswordChangeEndsEverySessionInEveryTenant", func(t *testing.T) {
		inGlobex := e.login("globex", "consultant@example.test")
		onApex := e.login("", "consultant@example.test")
		s := e.login("acme", "consultant@example.test")
		r := e.do(req{method: "POST", host: "acme", path: "/api/auth/password", sess: s,
			body: map[string]string{"current_password": demo.Password, "new_password": "a much longer password 1"}})
		expectStatus(t, r, 200)
		var fresh session
		r.json(t, &fresh)
		expectStatus(t, e.sessionOf("acme", s), 401)
		expectStatus(t, e.sessionOf("globex", inGlobex), 401)
		expectStatus(t, e.sessionOf("", onApex), 401)
		expectStatus(t, e.sessionOf("acme", &fresh), 200)
	})
}

func TestSwitchTenant(t *testing.T) {
	e := newEnv(t)
	s := e.login("acme", "consultant@example.test")
	switchTo := func(s *session, slug, next string, header map[string]string) response {
		return e.do(req{method: "POST", host: "acme", path: "/api/auth/switch", sess: s, header: header,
			body: map[string]string{"tenant": slug, "next": next}})
	}
	t.Run("ToANonMemberTenantIsForbidden", func(t *testing.T) {
		client := e.login("acme", "client@acme.test")
		notMember := switchTo(client, "globex", "", nil)
		nowhere := switchTo(client, "no-such-tenant", "", nil)
		expectStatus(t, notMember, 403)
		expectStatus(t, nowhere, 403)
		if !reflect.DeepEqual(notMember.problemBody(t), nowhere.problemBody(t)) {
			t.Fatalf("the refusal reveals whether the tenant exists:\n%s\n%s", notMember.Body, nowhere.Body)
		}
		expectStatus(t, e.sessionOf("acme", client), 200) // a refused switch ends nothing
	})
	t.Run("FromAnotherOriginIsRefused", func(t *testing.T) {
		r := switchTo(s, "globex", "", map[string]string{"Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site"})
		expectStatus(t, r, 403)
		r = switchTo(s, "globex", "", map[string]string{"Origin": "http://globex." + baseDomain, "Sec-Fetch-Site": "same-site"})
		expectStatus(t, r, 403) // a sibling tenant's origin is another origin
		expectStatus(t, e.sessionOf("acme", s), 200)
	})
	var handoff string
	t.Run("SwitchEndsTheOldSession", func(t *testing.T) {
		r := switchTo(s, "globex", "//evil.test/steal", nil)
		expectStatus(t, r, 200)
		var out handoffAnswer
		r.json(t, &out)
		u, err := url.Parse(out.HandoffURL)
		if err != nil || u.Hostname() != "globex."+baseDomain || u.Path != "/api/auth/handoff" || out.Token == "" {
			t.Fatalf("switch answer %+v", out)
		}
		handoff = out.Token
		expectStatus(t, e.sessionOf("acme", s), 401) // the pre-switch token is dead
	})
	t.Run("HandoffOnAnotherTenantsHostIsRefused", func(t *testing.T) {
		r := e.do(req{method: "POST", host: "acme", path: "/api/auth/handoff", body: map[string]string{"token": handoff}})
		expectStatus(t, r, 401)
	})
	// Login CSRF: a browser posts the handoff only from a page of the host
	// that asked for the switch. Posted from anywhere else it signs nobody
	// in, and stays usable by its owner.
	t.Run("HandoffFromAnotherOriginIsRefusedAndKept", func(t *testing.T) {
		for _, origin := range []string{"http://evil.test", "http://globex." + baseDomain, "http://other." + baseDomain, "null"} {
			r := e.do(req{method: "POST", host: "globex", path: "/api/auth/handoff", body: map[string]string{"token": handoff},
				header: map[string]string{"Origin": origin, "Sec-Fetch-Site": "cross-site"}})
			expectStatus(t, r, 403)
			if len(r.Header.Values("Set-Cookie")) != 0 {
				t.Fatalf("a refused handoff set cookies: %v", r.Header.Values("Set-Cookie"))
			}
		}
		page := e.do(req{method: "POST", host: "globex", path: "/auth/handoff", body: url.Values{"token": {handoff}},
			header: map[string]string{"Origin": "http://evil.test", "Sec-Fetch-Site": "cross-site", "Accept": "text/html"}})
		expectStatus(t, page, 403)
	})
	t.Run("HandoffSignsInOnceAndNeverRedirectsAway", func(t *testing.T) {
		r := e.do(req{method: "POST", host: "globex", path: "/api/auth/handoff", body: map[string]string{"token": handoff}})
		expectStatus(t, r, 200)
		var out struct {
			session
			Redirect string `json:"redirect"`
			Role     string `json:"role"`
		}
		r.json(t, &out)
		if out.Redirect != "/" || out.Role != "admin" {
			t.Fatalf("handoff result: redirect %q role %q", out.Redirect, out.Role)
		}
		expectStatus(t, e.sessionOf("globex", &out.session), 200)
		expectStatus(t, e.sessionOf("acme", &out.session), 403)
		again := e.do(req{method: "POST", host: "globex", path: "/api/auth/handoff", body: map[string]string{"token": handoff}})
		expectStatus(t, again, 401)
	})
	t.Run("ExpiredHandoffIsRefused", func(t *testing.T) {
		s := e.login("acme", "consultant@example.test")
		var out handoffAnswer
		switchTo(s, "globex", "", nil).json(t, &out)
		e.clock.Advance(61 * time.Second)
		expectStatus(t, e.do(req{method: "POST", host: "globex", path: "/api/auth/handoff", body: map[string]string{"token": out.Token}}), 401)
	})
	t.Run("MembershipRemovedBeforeRedeemIsRefused", func(t *testing.T) {
		s := e.login("globex", "consultant@example.test")
		r := e.do(req{method: "POST", host: "globex", path: "/api/auth/switch", sess: s, body: map[string]string{"tenant": "acme"}})
		expectStatus(t, r, 200)
		var out handoffAnswer
		r.json(t, &out)
		owner := e.login("acme", "owner@acme.test")
		id := e.seeded["acme"].Members["consultant"].ID
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + id.String(), sess: owner}), 204)
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/handoff", body: map[string]string{"token": out.Token}}), 401)
	})
}

// handoffAnswer is the answer of a switch.
type handoffAnswer struct {
	HandoffURL string `json:"handoff_url"`
	Token      string `json:"token"`
}

func TestSafeRedirect(t *testing.T) {
	for in, want := range map[string]string{
		"/":                  "/",
		"/members?x=1":       "/members?x=1",
		"":                   "/",
		"//evil.test":        "/",
		"/\\evil.test":       "/",
		"https://evil.test/": "/",
		"http://globex." + baseDomain + ".evil.test/": "/",
		"javascript:alert(1)":                         "/",
		"/ok\r\nLocation: x":                          "/",
		"members":                                     "/",
		"/%2F%2Fevil.test":                            "/%2F%2Fevil.test",
		"\\\\evil.test":                               "/",
	} {
		if got := auth.SafeRedirect(in); got != want {
			t.Errorf("SafeRedirect(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestPlatformAndTenantSessionsStayApart(t *testing.T) {
	e := newEnv(t)
	apex := e.do(req{method: "POST", host: "", path: "/api/auth/login", body: map[string]string{"email": "consultant@example.test", "password": demo.Password}})
	expectStatus(t, apex, 200)
	var ps struct {
		session
		Memberships []struct{ Tenant struct{ Slug string } }
	}
	apex.json(t, &ps)
	if len(ps.Memberships) != 2 || ps.TenantSig != "" {
		t.Fatalf("apex login: %s", apex.Body)
	}
	expectStatus(t, e.sessionOf("", &ps.session), 200)
	expectStatus(t, e.sessionOf("acme", &ps.session), 403) // a platform session names no tenant
	ts := e.login("acme", "owner@acme.test")
	expectStatus(t, e.sessionOf("", ts), 403) // a tenant session is not a platform session
	expectStatus(t, e.do(req{method: "GET", host: "nope", path: "/api/auth/session", sess: ts}), 404)
	expectStatus(t, e.do(req{method: "GET", host: "evil.example", path: "/"}), 404)
}

func TestLoginIsRateLimited(t *testing.T) {
	e := newEnv(t)
	last := failSignInsUntilLimited(t, e)
	if last.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}

// failSignInsUntilLimited signs in to acme as its owner with a wrong
// password until the answer is 429, which must come within 12 tries.
func failSignInsUntilLimited(t *testing.T, e *env) response {
	t.Helper()
	var last response
	for range 12 {
		last = e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": "wrong"}})
		if last.Status == 429 {
			break
		}
	}
	expectStatus(t, last, 429)
	return last
}

// Only failures count toward the sign-in limits: one office behind one
// address, one person on many devices, sign in as often as they need,
// and a failure after them is still counted from zero.
func TestSuccessfulSignInsAreNotLimited(t *testing.T) {
	e := newEnv(t)
	for i := range 40 { // over the burst per address (30) and per email (10)
		r := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": demo.Password}})
		if r.Status != 200 {
			t.Fatalf("sign-in %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	failSignInsUntilLimited(t, e)
	r := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "owner@acme.test", "password": demo.Password}})
	expectStatus(t, r, 429) // while the email is limited, the right password waits too
}

// An unknown email costs what a wrong password costs: one password hash
// with the production parameters (against a dummy), so response times
// cannot tell them apart. Medians of interleaved samples, compared with a
// wide margin: a missing dummy hash would make unknown emails answer in a
// fraction of the time.
func TestUnknownEmailTakesAsLongAsAWrongPassword(t *testing.T) {
	e := newEnv(t, hashedWith(password.DefaultParams))
	ctx := context.Background()
	acme := tenant.Tenant{ID: e.seeded["acme"].TenantID}
	measure := func(i int, email string) time.Duration {
		t0 := time.Now()
		_, err := e.auth.LoginTenant(ctx, acme, email, "not the password", auth.ClientMeta{IP: "10.0.0." + strconv.Itoa(i)})
		d := time.Since(t0)
		if !tenant.IsCode(err, tenant.CodeUnauthorized) {
			t.Fatalf("%s: %v", email, err)
		}
		return d
	}
	var unknown, wrong []time.Duration
	for i := range 9 {
		unknown = append(unknown, measure(i, "nobody"+strconv.Itoa(i)+"@acme.test"))
		wrong = append(wrong, measure(100+i, "owner@acme.test"))
	}
	median := func(ds []time.Duration) time.Duration {
		slices.Sort(ds)
		return ds[len(ds)/2]
	}
	mu, mw := median(unknown), median(wrong)
	ratio := float64(mu) / float64(mw)
	t.Logf("median unknown email %v, wrong password %v, ratio %.2f", mu, mw, ratio)
	if ratio < 0.6 || ratio > 1.6 {
		t.Fatalf("unknown email and wrong password take different times: %v vs %v", mu, mw)
	}
}
