// Package ui is tenantkit's pages: server-rendered HTML, enhanced with
// htmx (vendored under /static, no CDN) where it saves a reload, and usable
// without script. Every page is declared in the route table with its
// tenancy and minimum role, like an operation, so the attack matrix covers
// it; every page calls the domain services, never the API and never the
// store.
//
// # The page kit
//
// A page handler builds a [view] and renders one template with the layout
// (templates/layout.html) and the shared partials (templates/kit.html):
//
//   - the header carries the firm's name, the navigation the member's role
//     may use, the organization switcher (its list loaded when opened) and
//     the account menu;
//   - forms post to the page, and on failure are shown again with the
//     input kept and each field's error beside it ([form]); on success the
//     handler redirects with a flash message ([UI.done]);
//   - a destructive action asks first, on a page of its own
//     ([UI.confirm]);
//   - lists page with signed cursors bound to the page ([route.Keyset]);
//   - times are shown in the viewer's zone (the member's own, else the
//     organization's), named on the page;
//   - errors are pages in plain words: 403, 404, 429 (with when to retry),
//     503.
//
// Nothing tenant-related is kept in browser storage: htmx's history cache
// is off, and the flash message lives in a short-lived host-only cookie.
package ui

import (
	"context"
	"embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/dashboard"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/web/route"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Deps are what the pages call.
type Deps struct {
	Auth       *auth.Service
	Members    *members.Service
	Requests   *requests.Service
	Catalog    *catalog.Catalog
	Settings   *settings.Service
	Scheduling *scheduling.Scheduler
	Dashboard  *dashboard.Service
	Domains    *tenants.Domains
	Support    *tenants.SupportAccess
	// Now is the clock that says which week a calendar opens on.
	Now func() time.Time
	// Outbox, when set (in development), is shown at /dev/outbox on the
	// apex host.
	Outbox *mailer.Outbox
	// Refused records a refused binding met while rendering a page that
	// authenticates by itself (the home page).
	Refused func(ctx context.Context, h route.Host, r *http.Request, err error)
	Logger  *slog.Logger
}

// UI holds the pages' dependencies.
type UI struct {
	Deps
	t        *route.Table
	problems route.Problems
	// Short names for the services the pages call most.
	auth       *auth.Service
	members    *members.Service
	requests   *requests.Service
	catalog    *catalog.Catalog
	settings   *settings.Service
	scheduling *scheduling.Scheduler
	dashboard  *dashboard.Service
	outbox     *mailer.Outbox
	refused    func(ctx context.Context, h route.Host, r *http.Request, err error)
	logger     *slog.Logger
}

// Register registers every page in t, and makes t answer refused page
// requests with the error page.
func Register(t *route.Table, d Deps) {
	s := &UI{Deps: d, t: t, problems: t.Problems(), auth: d.Auth, members: d.Members, requests: d.Requests,
		catalog: d.Catalog, settings: d.Settings, scheduling: d.Scheduling, dashboard: d.Dashboard,
		outbox: d.Outbox, refused: d.Refused, logger: d.Logger}
	t.SetPageErrors(s.writePageError)
	s.registerAccount()
	s.registerWorkspace()
	s.registerSignup()
	s.registerSessions()
}
