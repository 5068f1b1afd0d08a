package web_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/google/uuid"
)

// page is a page request from a browser: it asks for HTML.
func (e *env) page(method, host, path string, s *session, form url.Values) response {
	e.t.Helper()
	r := req{method: method, host: host, path: path, sess: s, header: map[string]string{"Accept": "text/html"}}
	if form != nil {
		r.body = form
	}
	return e.do(r)
}

// expectPage fails unless r is an HTML page with status want holding every
// one of texts.
func expectPage(t testing.TB, r response, want int, texts ...string) string {
	t.Helper()
	body := string(r.Body)
	if r.Status != want {
		t.Fatalf("status %d, want %d: %.600s", r.Status, want, body)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
		t.Fatalf("content type %q: %.300s", r.Header.Get("Content-Type"), body)
	}
	for _, s := range texts {
		if !strings.Contains(body, s) {
			t.Fatalf("the page lacks %q: %.2000s", s, body)
		}
	}
	return body
}

// redirected fails unless r is a redirect after a successful form post,
// and returns where to.
func redirected(t testing.TB, r response) string {
	t.Helper()
	if r.Status != 303 {
		t.Fatalf("status %d, want 303: %.1500s", r.Status, r.Body)
	}
	return r.Header.Get("Location")
}

// firstLink returns the first path in body matching pattern.
func firstLink(t testing.TB, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindString(body)
	if m == "" {
		t.Fatalf("no link matching %s", pattern)
	}
	return m
}

var idPattern = `[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`

// Every page of the workspace renders on the demo data for staff and
// above, showing the firm's name and the navigation.
func TestWorkspacePagesRender(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	expectPage(t, e.page("GET", "acme", "/app", owner, nil), 200, "Dashboard", `aria-current="page"`, "Waiting for a reply", "This week")
	services := expectPage(t, e.page("GET", "acme", "/app/services", owner, nil), 200, "New service", "Export CSV")
	service := firstLink(t, services, "/app/services/"+idPattern)
	expectPage(t, e.page("GET", "acme", service, owner, nil), 200, "History", "Save changes", "Delete…")
	expectPage(t, e.page("GET", "acme", service+"/delete", owner, nil), 200, "Delete the service")
	expectPage(t, e.page("GET", "acme", "/app/services/new", owner, nil), 200, "Create service")
	expectPage(t, e.page("GET", "acme", "/app/services?q=zzz-none", owner, nil), 200, "No service matches")
	reqs := expectPage(t, e.page("GET", "acme", "/app/requests", owner, nil), 200, "Board", "Submitted")
	request := firstLink(t, reqs, "/app/requests/"+idPattern)
	expectPage(t, e.page("GET", "acme", request, owner, nil), 200, "Timeline", "Add comment", "Assignment")
	expectPage(t, e.page("GET", "acme", "/app/requests?view=list", owner, nil), 200, "Filed")
	expectPage(t, e.page("GET", "acme", "/app/requests/new", owner, nil), 200, "File the request")
	expectPage(t, e.page("GET", "acme", "/app/requests/analytics", owner, nil), 200, "Per month", "<svg")
	cal := expectPage(t, e.page("GET", "acme", "/app/bookings", owner, nil), 200, "Next week", "Times in")
	expectPage(t, e.page("GET", "acme", "/app/bookings?day=2027-01-13", owner, nil), 200, "Whole week")
	expectPage(t, e.page("GET", "acme", "/app/bookings/new", owner, nil), 200, "Find free times")
	if booking := regexp.MustCompile("/app/bookings/" + idPattern).FindString(cal); booking != "" {
		expectPage(t, e.page("GET", "acme", booking, owner, nil), 200, "Timeline")
		expectPage(t, e.page("GET", "acme", booking+"/reschedule", owner, nil), 200, "Move the booking")
	}
	expectPage(t, e.page("GET", "acme", "/app/availability", owner, nil), 200, "Weekly hours", "Days off and extra hours")
	expectPage(t, e.page("GET", "acme", "/app/team", owner, nil), 200, "Invite someone", "Pending invitations")
	expectPage(t, e.page("GET", "acme", "/app/settings", owner, nil), 200, "Organization", "Import a settings file")
}

// Staff see the workspace without the admin's controls, and the admin's
// pages refuse them; a client is refused the workspace altogether.
func TestWorkspaceRoles(t *testing.T) {
	e := newEnv(t)
	staff := e.login("acme", "staff@acme.test")
	body := expectPage(t, e.page("GET", "acme", "/app/team", staff, nil), 200, "Team")
	if strings.Contains(body, "Invite someone") || strings.Contains(body, "Remove…") {
		t.Fatal("staff are offered the admin's team controls")
	}
	body = expectPage(t, e.page("GET", "acme", "/app/settings", staff, nil), 200, "an admin changes them")
	if strings.Contains(body, "Import a settings file") {
		t.Fatal("staff are offered the import")
	}
	services := expectPage(t, e.page("GET", "acme", "/app/services", staff, nil), 200)
	service := firstLink(t, services, "/app/services/"+idPattern)
	expectPage(t, e.page("GET", "acme", service+"/delete", staff, nil), 403, "Not allowed")
	expectPage(t, e.page("POST", "acme", "/app/settings/organization", staff, url.Values{"display_name": {"Staff was here"}}), 403)

	client := e.login("acme", "client@acme.test")
	expectPage(t, e.page("GET", "acme", "/app/services", client, nil), 403, "Not allowed")
	expectPage(t, e.page("GET", "acme", "/app", client, nil), 403)
}

// Another tenant's id in a page's address reads like a missing one, and a
// session from another host is refused with the page that says so.
func TestWorkspacePagesIsolation(t *testing.T) {
	e := newEnv(t)
	acme := e.login("acme", "owner@acme.test")
	globex := e.login("globex", "owner@globex.test")
	globexServices := expectPage(t, e.page("GET", "globex", "/app/services", globex, nil), 200)
	theirs := firstLink(t, globexServices, "/app/services/"+idPattern)
	missing := e.page("GET", "acme", "/app/services/"+uuid.NewString(), acme, nil)
	foreign := e.page("GET", "acme", theirs, acme, nil)
	expectPage(t, missing, 404, "Not found")
	expectPage(t, foreign, 404, "Not found")
	for path, form := range map[string]url.Values{
		theirs:             {"name": {"Taken"}, "slug": {"taken"}, "duration_minutes": {"30"}, "price": {"1"}, "currency": {"USD"}},
		theirs + "/delete": {},
	} {
		if r := e.page("POST", "acme", path, acme, form); r.Status != 404 {
			t.Fatalf("POST %s with acme's session: %d", path, r.Status)
		}
	}
	expectPage(t, e.page("GET", "globex", theirs, globex, nil), 200, "Save changes")
	// acme's session on globex's host: the binding refuses it.
	expectPage(t, e.page("GET", "globex", "/app", acme, nil), 403, "Signed in elsewhere", "Sign in again")
}

// A service goes through its pages as staff use it: a form that fails
// keeps the input and says what is wrong, storing nothing; created, it
// is listed; saved again, it is version 2.
func TestServicePagesFlow(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	bad := url.Values{"name": {"Deep tissue"}, "slug": {"Deep Tissue!"}, "duration_minutes": {"3"}, "price": {"12,50"}, "currency": {"USD"}, "active": {"on"}}
	expectPage(t, e.page("POST", "acme", "/app/services", owner, bad), 422, "Deep tissue", "an amount such as 150")
	bad.Set("price", "80")
	expectPage(t, e.page("POST", "acme", "/app/services", owner, bad), 422, `value="Deep Tissue!"`, "lower-case letters", "5 to 1440")
	if n := e.countServices(t, "deep-tissue"); n != 0 {
		t.Fatalf("a refused form stored %d services", n)
	}
	good := url.Values{"name": {"Deep tissue"}, "slug": {"deep-tissue"}, "duration_minutes": {"45"}, "price": {"80.50"}, "currency": {"USD"}, "active": {"on"}}
	to := redirected(t, e.page("POST", "acme", "/app/services", owner, good))
	expectPage(t, e.page("GET", "acme", to, owner, nil), 200, "Deep tissue", "version 1", `value="80.50"`)
	expectPage(t, e.page("GET", "acme", "/app/services?q=deep", owner, nil), 200, "Deep tissue", "80.50 USD")
	good.Set("name", "Deep tissue massage")
	good.Set("version", "1")
	redirected(t, e.page("POST", "acme", to, owner, good))
	expectPage(t, e.page("GET", "acme", to, owner, nil), 200, "Deep tissue massage", "version 2", "Version 2,")
	// A stale form (version 1 again) is refused, not applied over version 2.
	good.Set("name", "Overwritten")
	expectPage(t, e.page("POST", "acme", to, owner, good), 412)
	expectPage(t, e.page("GET", "acme", to, owner, nil), 200, "Deep tissue massage")
	// The slug check answers while typing.
	expectPage(t, e.page("GET", "acme", "/app/services/slug-check?slug=deep-tissue", owner, nil), 200, "is taken")
	expectPage(t, e.page("GET", "acme", "/app/services/slug-check?slug=brand-new", owner, nil), 200, "is free")
	// Deleting asks first; the post deletes.
	expectPage(t, e.page("GET", "acme", to+"/delete", owner, nil), 200, "Delete “Deep tissue massage”?")
	redirected(t, e.page("POST", "acme", to+"/delete", owner, url.Values{}))
	expectPage(t, e.page("GET", "acme", to, owner, nil), 404)
}

// countServices counts acme's and globex's services with slug, as the
// database owner sees them.
func (e *env) countServices(t testing.TB, slug string) int {
	t.Helper()
	var n int
	if err := e.admin().QueryRow(t.Context(), "SELECT count(*) FROM services WHERE slug = $1", slug).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
