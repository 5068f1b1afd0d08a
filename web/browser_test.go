package web_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/tenantkit/tenantkit/demo"
)

// chromium returns the Chromium binary, or skips (fails under CI=true,
// where .ci/run installs it).
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("Chromium is required in CI (.ci/run installs the Debian package chromium)")
	}
	t.Skip("skipped: no Chromium on this machine (apt-get install -y chromium); CI installs it and runs this test")
	return ""
}

// The demo in a real browser: sign in on http://acme.localhost as the
// consultant, see the session, switch to globex, land on
// http://globex.localhost signed in there. It proves the __Host- cookies
// (Secure) are kept on plain-HTTP localhost hosts, the handoff page's
// same-origin POST runs, and the switch's cross-host redirect is allowed by
// the content security policy.
func TestBrowserSignInAndSwitch(t *testing.T) {
	bin := chromium(t)
	e := newEnv(t, onBase("localhost"))
	port := e.port
	acme := "http://acme.localhost:" + port
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.UserDataDir(t.TempDir()),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	ctx, cancel = context.WithTimeout(ctx, 60*time.Second)
	defer cancel()

	text := func(sel string) string {
		t.Helper()
		v, err := chromedp.Run(ctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("text of %s: %v", sel, err)
		}
		return v
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate(acme+"/"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, demo.ConsultantEmail),
		chromedp.SendKeys(`#password`, demo.Password),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`#account-email`),
	)
	if err != nil {
		t.Fatal(err)
	}
	if email, slug, role := text(`#account-email`), text(`#tenant-slug`), text(`#role`); email != demo.ConsultantEmail || slug != "acme" || role != "staff" {
		t.Fatalf("after sign-in on acme: %q %q %q", email, slug, role)
	}
	if err := chromedp.Do(ctx, chromedp.Click(`button[data-switch="globex"]`)); err != nil {
		t.Fatal(err)
	}
	// Wait for the navigation through the handoff to land on globex.
	var location string
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		location, err = chromedp.Run(ctx, chromedp.Location())
		if err != nil {
			// While the page goes through the handoff to another origin,
			// the target may be between documents: ask again.
			if time.Now().After(deadline) {
				t.Fatal(err)
			}
			continue
		}
		if strings.HasPrefix(location, "http://globex.localhost:"+port+"/") && !strings.Contains(location, "/auth/handoff") {
			break
		}
		if time.Now().After(deadline) {
			body, _ := chromedp.Run(ctx, chromedp.Text("body"))
			t.Fatalf("still at %s after the switch: %.500s", location, body)
		}
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(`#role`)); err != nil {
		t.Fatal(err)
	}
	if slug, role := text(`#tenant-slug`), text(`#role`); !strings.HasPrefix(location, "http://globex.localhost:"+port+"/") || slug != "globex" || role != "admin" {
		t.Fatalf("after the switch: %s, %q, %q", location, slug, role)
	}
	// Back on acme the old session is gone: the sign-in form shows.
	if err := chromedp.Do(ctx, chromedp.Navigate(acme+"/"), chromedp.WaitVisible(`#email`)); err != nil {
		t.Fatal(err)
	}
	title, err := chromedp.Run(ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(title, "Sign in") {
		t.Fatalf("acme after the switch: %q", title)
	}
	// The API reference renders from the vendored Redoc, offline.
	if err := chromedp.Do(ctx, chromedp.Navigate(acme+"/api/docs")); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		body, _ := chromedp.Run(ctx, chromedp.Text("body"))
		if strings.Contains(body, "tenantkit tenant API") && strings.Contains(body, "/api/services") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the API reference did not render: %.500s", body)
		}
	}

}
