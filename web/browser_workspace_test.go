package web_test

import (
	"context"
	_ "embed"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/tenantkit/tenantkit/demo"
)

// axeSource is axe-core, vendored for the tests only (web/ui/static/VENDORED
// names its version).
//
//go:embed testdata/axe.min.js
var axeSource string

// browser is a headless Chromium on the test server's localhost hosts.
type browser struct {
	t    *testing.T
	ctx  context.Context
	port string
}

func newBrowser(t *testing.T, e *env) *browser {
	bin := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancel)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	// The first run starts the browser: it must see the context that
	// lives as long as the browser, not a step's timeout.
	if err := chromedp.Do(ctx); err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, ctx: ctx, port: e.port}
}

// url is the address of path on the host of tenant slug.
func (b *browser) url(slug, path string) string {
	return "http://" + slug + ".localhost:" + b.port + path
}

func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		body, _ := chromedp.Run(b.ctx, chromedp.Text("body"))
		loc, _ := chromedp.Run(b.ctx, chromedp.Location())
		b.t.Fatalf("%v (at %s): %.800s", err, loc, body)
	}
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Text(sel))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return v
}

// eval returns the value of a script on the page.
func eval[T any](b *browser, script string) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[T](script))
	if err != nil {
		b.t.Fatalf("%s: %v", script, err)
	}
	return v
}

// waitFor waits until the text of sel contains want.
func (b *browser) waitFor(sel, want string) {
	b.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		got, err := chromedp.Run(b.ctx, chromedp.Evaluate[string](`(document.querySelector(`+strconv.Quote(sel)+`) || {}).innerText || ""`))
		if err == nil && strings.Contains(got, want) {
			return
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(b.ctx, chromedp.Text("body"))
			b.t.Fatalf("%s never showed %q: %.1200s", sel, want, body)
		}
	}
}

// signIn signs in on the host of slug.
func (b *browser) signIn(slug, email string) {
	b.t.Helper()
	b.do(chromedp.Navigate(b.url(slug, "/")), chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, email), chromedp.SendKeys(`#password`, demo.Password),
		chromedp.Submit(`#password`), chromedp.WaitVisible(`#account-email`))
}

// signOut signs out from the account page.
func (b *browser) signOut() {
	b.t.Helper()
	b.do(chromedp.Navigate(b.url("acme", "/")), chromedp.Click(`main form[action="/logout"] button`), chromedp.WaitVisible(`#email`))
}

// The staff workspace in a real browser, as a firm uses it: a service
// created, listed, edited to version 2; a request moved along its workflow
// and answered; a free slot booked for a client and rescheduled; a setting
// changed and in effect; a client refused; a tampered tenant cookie met
// with the page that says so; the consultant switching organization with
// the header's switcher and seeing only the new one's data.
func TestBrowserWorkspace(t *testing.T) {
	e := newEnv(t, onBase("localhost"))
	b := newBrowser(t, e)
	b.signIn("acme", "owner@acme.test")

	// Services.
	b.do(chromedp.Navigate(b.url("acme", "/app/services/new")), chromedp.WaitVisible(`#f-name`),
		chromedp.SendKeys(`#f-name`, "Hot stone"), chromedp.SendKeys(`#f-slug`, "hot-stone"),
		chromedp.SetValue(`#f-duration_minutes`, "50"), chromedp.SendKeys(`#f-price`, "95"))
	b.waitFor(`#slug-status`, "is free")
	b.do(chromedp.Click(`form.card button[type=submit]`))
	b.waitFor(`.flash`, "created")
	b.do(chromedp.SetValue(`#f-name`, "Hot stone massage"), chromedp.Click(`form.card button[type=submit]`))
	b.waitFor(`.flash`, "version 2")
	b.do(chromedp.Navigate(b.url("acme", "/app/services?q=hot")))
	b.waitFor(`#service-list`, "Hot stone massage")

	// A request through its workflow, and a reply.
	b.do(chromedp.Navigate(b.url("acme", "/app/requests?view=list&status=submitted")), chromedp.WaitVisible(`table a`))
	b.do(chromedp.Click(`table a`), chromedp.WaitVisible(`button[name=to]`))
	b.do(chromedp.Click(`button[name=to][value=in_review]`))
	b.waitFor(`.flash`, "In review")
	b.do(chromedp.SendKeys(`#f-body`, "We are on it"), chromedp.Click(`.comment-form button[type=submit]`))
	b.waitFor(`.flash`, "the client sees it")
	b.waitFor(`ol.timeline`, "We are on it")

	// A booking from the free slots, then moved.
	b.do(chromedp.Navigate(b.url("acme", "/app/bookings/new")), chromedp.WaitVisible(`#f-service_id`))
	service := eval[string](b, `document.querySelector('#f-service_id option:not([value=""])').value`)
	b.do(chromedp.SetValue(`#f-service_id`, service), chromedp.Click(`form.filters button[type=submit]`), chromedp.WaitVisible(`input[name=slot]`))
	client := eval[string](b, `document.querySelector('#f-client_member_id option:not([value=""])').value`)
	b.do(chromedp.Click(`input[name=slot]`), chromedp.SetValue(`#f-client_member_id`, client), chromedp.Click(`form[action="/app/bookings"] button[type=submit]`))
	b.waitFor(`.flash`, "Booked")
	b.do(chromedp.Click(`a[href$="/reschedule"]`), chromedp.WaitVisible(`input[name=slot]`))
	b.do(chromedp.Click(`input[name=slot]`), chromedp.Click(`form[action$="/reschedule"][method=post] button[type=submit]`))
	b.waitFor(`.flash`, "Moved to")

	// A setting, in effect at once.
	b.do(chromedp.Navigate(b.url("acme", "/app/settings")), chromedp.WaitVisible(`#s-organization-display_name`),
		chromedp.SetValue(`#s-organization-display_name`, "Acme Renamed"), chromedp.Click(`#organization button[type=submit]`))
	b.waitFor(`.flash`, "Organization settings saved")
	b.waitFor(`header .brand`, "Acme Renamed")

	// A tampered tenant cookie: refused, with a way to sign in again.
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{
		Name: "__Host-tenant_sig", Value: "v1.tampered", URL: b.url("acme", "/"), Path: "/", Secure: new(true), HTTPOnly: new(true),
	}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(b.url("acme", "/app")))
	b.waitFor(`h1`, "Signed in elsewhere")
	b.do(chromedp.Navigate(b.url("acme", "/")), chromedp.WaitVisible(`#email`))

	// A client is refused the workspace.
	b.signIn("acme", "client@acme.test")
	b.do(chromedp.Navigate(b.url("acme", "/app/services")))
	b.waitFor(`h1`, "Not allowed")
	b.signOut()

	// The consultant switches from acme to globex with the header's
	// switcher and sees globex's workspace only.
	b.signIn("acme", demo.ConsultantEmail)
	b.do(chromedp.Navigate(b.url("acme", "/app")), chromedp.WaitVisible(`#switcher summary`), chromedp.Click(`#switcher summary`),
		chromedp.WaitVisible(`#switcher button[data-switch="globex"]`), chromedp.Click(`#switcher button[data-switch="globex"]`))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		loc, err := chromedp.Run(b.ctx, chromedp.Location())
		if err == nil && strings.HasPrefix(loc, b.url("globex", "/")) && !strings.Contains(loc, "handoff") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the switch did not land on globex: %s %v", loc, err)
		}
	}
	b.do(chromedp.Navigate(b.url("globex", "/app/services")), chromedp.WaitVisible(`#service-list`))
	if brand, list := b.text(`header .brand`), b.text(`#service-list`); !strings.Contains(brand, "Globex") || strings.Contains(list, "Hot stone") {
		t.Fatalf("after the switch: brand %q, services %q", brand, list)
	}
}

// axeViolations runs axe-core on the page and returns its serious and
// critical violations.
func (b *browser) axeViolations() []string {
	b.t.Helper()
	if _, err := chromedp.Run(b.ctx, chromedp.Evaluate[bool](axeSource+";true")); err != nil {
		b.t.Fatalf("load axe: %v", err)
	}
	v, err := chromedp.Run(b.ctx, chromedp.Evaluate[[]string](`axe.run(document, {resultTypes: ["violations"]}).then(r => r.violations
		.filter(v => v.impact === "serious" || v.impact === "critical")
		.map(v => v.impact + " " + v.id + ": " + v.help + " at " + v.nodes.slice(0, 3).map(n => n.target.join(" ")).join(", ")))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("axe: %v", err)
	}
	return v
}

// Every page of the workspace, and the pages around it, pass axe-core
// with no serious or critical violation, on a desktop and on a phone.
func TestBrowserAccessibility(t *testing.T) {
	e := newEnv(t, onBase("localhost"))
	b := newBrowser(t, e)
	b.do(chromedp.Navigate(b.url("acme", "/")), chromedp.WaitVisible(`#email`))
	if v := b.axeViolations(); len(v) > 0 {
		t.Errorf("sign-in page: %s", strings.Join(v, "; "))
	}
	b.signIn("acme", "owner@acme.test")
	b.do(chromedp.Navigate(b.url("acme", "/app/services")), chromedp.WaitVisible(`#service-list`))
	service := eval[string](b, `document.querySelector('#service-list a[href^="/app/services/"]').getAttribute("href")`)
	b.do(chromedp.Navigate(b.url("acme", "/app/requests?view=list")), chromedp.WaitVisible(`#main`))
	request := eval[string](b, `document.querySelector('main table a').getAttribute("href")`)
	pages := []string{"/", "/app", "/app/services", "/app/services/new", service, service + "/delete", "/app/requests",
		"/app/requests?view=list", "/app/requests/new", request, "/app/requests/analytics", "/app/bookings", "/app/bookings?day=2027-01-13",
		"/app/bookings/new", "/app/availability", "/app/team", "/app/settings", "/account/password", "/app/services/" + missingID,
		"/app/recurring", "/app/recurring/new"}
	b.do(chromedp.Navigate(b.url("acme", "/app/recurring")), chromedp.WaitVisible(`#main`))
	rule := eval[string](b, `document.querySelector('main table a[href^="/app/recurring/"]').getAttribute("href")`)
	pages = append(pages, rule, rule+"/delete")
	b.do(chromedp.Navigate(b.url("acme", "/app/bookings?week=2027-01-11")), chromedp.WaitVisible(`#main`))
	if booking := eval[string](b, `(document.querySelector('.calendar a[href^="/app/bookings/"]') || {getAttribute: () => ""}).getAttribute("href")`); booking != "" {
		pages = append(pages, booking, booking+"/reschedule", booking+"/cancel")
	}
	for _, size := range [][2]int64{{1280, 900}, {390, 844}} {
		b.do(chromedp.EmulateViewport(size[0], size[1]))
		for _, p := range pages {
			b.do(chromedp.Navigate(b.url("acme", p)), chromedp.WaitVisible(`#main`))
			if v := b.axeViolations(); len(v) > 0 {
				t.Errorf("%s at %dpx: %s", p, size[0], strings.Join(v, "; "))
			}
		}
	}
}

// TestScreenshots writes PNGs of the main pages to the directory named by
// TENANTKIT_SCREENSHOTS (`make screenshots` writes docs/screenshots).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("TENANTKIT_SCREENSHOTS")
	if dir == "" {
		t.Skip("skipped: set TENANTKIT_SCREENSHOTS to a directory to write the screenshots (make screenshots)")
	}
	e := newEnv(t, onBase("localhost"))
	b := newBrowser(t, e)
	shot := func(name string) {
		t.Helper()
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.signIn("acme", demo.ConsultantEmail)
	b.do(chromedp.Navigate(b.url("acme", "/app")), chromedp.WaitVisible(`#main`), chromedp.Click(`#switcher summary`),
		chromedp.WaitVisible(`#switcher button[data-switch="globex"]`))
	shot("switcher")
	b.signOut()
	b.signIn("acme", "owner@acme.test")
	b.do(chromedp.Navigate(b.url("acme", "/app/requests?view=list")), chromedp.WaitVisible(`#main`))
	request := eval[string](b, `document.querySelector('main table a').getAttribute("href")`)
	for _, p := range []struct{ name, path string }{
		{"dashboard", "/app"}, {"services", "/app/services"}, {"requests", "/app/requests"}, {"request", request},
		{"calendar", "/app/bookings"}, {"availability", "/app/availability"}, {"team", "/app/team"}, {"settings", "/app/settings"},
	} {
		b.do(chromedp.Navigate(b.url("acme", p.path)), chromedp.WaitVisible(`#main`))
		shot(p.name)
	}
	b.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(b.url("acme", "/app/bookings")), chromedp.WaitVisible(`#main`))
	shot("calendar-phone")
	b.do(chromedp.EmulateViewport(1280, 900))
	if _, err := chromedp.Call(b.ctx, network.SetCookie, network.SetCookieParams{
		Name: "__Host-tenant_sig", Value: "v1.tampered", URL: b.url("acme", "/"), Path: "/", Secure: new(true), HTTPOnly: new(true),
	}); err != nil {
		t.Fatal(err)
	}
	b.do(chromedp.Navigate(b.url("acme", "/app")), chromedp.WaitVisible(`#main`))
	shot("refused")
}

// tabTo presses Tab until the focus is on sel, as someone without a
// mouse would, and fails if it never gets there.
func (b *browser) tabTo(sel string) {
	b.t.Helper()
	for range 80 {
		if eval[bool](b, `document.activeElement !== null && document.activeElement.matches(`+strconv.Quote(sel)+`)`) {
			return
		}
		b.do(chromedp.KeyEvent(kb.Tab))
	}
	b.t.Fatalf("Tab never reached %s", sel)
}

// retype replaces the value of the focused field by typing.
func (b *browser) retype(value string) {
	b.t.Helper()
	b.do(chromedp.KeyEvent(kb.End))
	for range 6 {
		b.do(chromedp.KeyEvent(kb.Backspace))
	}
	if value != "" {
		b.do(chromedp.KeyEvent(value))
	}
}

// A recurring request made with the keyboard alone, on a phone-sized
// screen: from the empty list to the form, a bad field shown beside its
// input and announced as invalid, then corrected and saved.
func TestBrowserRecurringByKeyboard(t *testing.T) {
	e := newEnv(t, onBase("localhost"))
	if _, err := e.admin().Exec(t.Context(), "DELETE FROM recurrence_rules WHERE tenant_id = $1", e.seeded["acme"].TenantID); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, e)
	b.signIn("acme", "staff@acme.test")
	b.do(chromedp.EmulateViewport(390, 844), chromedp.Navigate(b.url("acme", "/app/recurring")), chromedp.WaitVisible(`#main`))
	b.waitFor(`main`, "No recurring requests yet")
	b.tabTo(`main a[href="/app/recurring/new"]`)
	b.do(chromedp.KeyEvent(kb.Enter), chromedp.WaitVisible(`#f-service_request_id`))
	b.tabTo(`#f-service_request_id`)
	b.do(chromedp.KeyEvent(kb.ArrowDown))
	if eval[string](b, `document.querySelector('#f-service_request_id').value`) == "" {
		t.Fatal("the arrow key chose no request")
	}
	b.tabTo(`#f-every`)
	b.retype("0")
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`#f-every-error`, "1 to 52")
	if eval[string](b, `document.querySelector('#f-every').getAttribute('aria-invalid') + ' ' + document.querySelector('#f-every').getAttribute('aria-describedby')`) != "true f-every-error" {
		t.Fatal("the invalid field is not announced as such")
	}
	b.tabTo(`#f-every`)
	b.retype("2")
	b.tabTo(`#f-count`)
	b.retype("3")
	b.do(chromedp.KeyEvent(kb.Enter))
	b.waitFor(`.flash`, "Recurring request created")
	b.waitFor(`main`, "Every 2 weeks")
	if v := b.axeViolations(); len(v) > 0 {
		t.Errorf("the rule's page at 390px: %s", strings.Join(v, "; "))
	}
}
