package ui

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// pages holds one parsed template per page, each with the layout and the
// shared partials.
var pages = func() map[string]*template.Template {
	base := template.Must(template.New("").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/kit.html"))
	out := map[string]*template.Template{}
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" || name == "kit" {
			continue
		}
		out[name] = template.Must(template.Must(base.Clone()).ParseFS(templateFS, f))
	}
	return out
}()

var funcs = template.FuncMap{
	"field": fieldOf,
	"money": money,
	"label": label,
	"add":   func(a, b int) int { return a + b },
	"int64": func(n int) int64 { return int64(n) },
	"lower": strings.ToLower,
	"deref": func(t *time.Time) time.Time {
		if t == nil {
			return time.Time{}
		}
		return *t
	},
	"statuses": func() []requests.Status { return requests.Statuses },
	"bookingStatuses": func() []scheduling.Status {
		return []scheduling.Status{scheduling.StatusPending, scheduling.StatusConfirmed, scheduling.StatusCompleted, scheduling.StatusNoShow, scheduling.StatusCancelled}
	},
	"weekday": func(d scheduling.Date) string { return time.Weekday(d.ISOWeekday() % 7).String()[:3] },
	"switcher": func(ms []auth.Membership, current string) switcherData {
		return switcherData{Memberships: ms, Current: current}
	},
}

// navLink is an entry of the workspace navigation.
type navLink struct {
	Href, Label string
	Current     bool
}

// view is what every page template receives. The layout reads the
// header's part; a page reads its own from Page.
type view struct {
	Site, Where, Title     string
	Error, Notice, Message string
	// Flash is the message of the action that led here.
	Flash       string
	AutoSubmit  bool
	Tenant      *tenant.Tenant
	Principal   auth.Principal
	Signed      bool
	Memberships []auth.Membership
	IsAdmin     bool
	IsOwner     bool
	Next, Email string
	Token       string
	// Action is the address a form posts to, when it is not this page's
	// own (the switch's handoff to the target host).
	Action     string
	Messages   any
	Invitation *auth.InvitationPreview
	// The workspace's header: the firm's name, the navigation and the
	// zone the page's times are in.
	Org  string
	Nav  []navLink
	Zone *time.Location
	// Form is the state of the page's form after a failed post.
	Form *form
	// Page is the page's own data.
	Page any
}

// When formats t in the view's zone: "Wed 13 Jan 2027, 15:04".
func (v view) When(t time.Time) string { return v.in(t).Format("Mon 2 Jan 2006, 15:04") }

// Day formats the date of t in the view's zone: "Wed 13 Jan".
func (v view) Day(t time.Time) string { return v.in(t).Format("Mon 2 Jan") }

// Clock formats the time of day of t in the view's zone: "15:04".
func (v view) Clock(t time.Time) string { return v.in(t).Format("15:04") }

// ISO is t as a datetime attribute.
func (v view) ISO(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ZoneName names the zone the page's times are in.
func (v view) ZoneName() string {
	if v.Zone == nil {
		return "UTC"
	}
	return v.Zone.String()
}

func (v view) in(t time.Time) time.Time {
	if v.Zone == nil {
		return t.UTC()
	}
	return t.In(v.Zone)
}

// render writes the page name with v, completed with what every page
// shows: the host, the signed-in principal, the flash message.
func (s *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	v.Site = "tenantkit"
	if h, ok := route.HostFrom(r.Context()); ok {
		v.Where = h.Name
		if h.Kind == route.TenantHost {
			t := h.Tenant
			v.Tenant = &t
			v.Site = t.Name
		}
	}
	if v.Org != "" {
		v.Site = v.Org
	}
	if p, ok := route.PrincipalFrom(r.Context()); ok {
		v.Principal, v.Signed = p, true
		v.IsAdmin = p.Scope.Role.AtLeast(tenant.RoleAdmin)
		v.IsOwner = p.Scope.Role == tenant.RoleOwner
	}
	if v.Flash == "" {
		v.Flash = takeFlash(w, r)
	}
	t, ok := pages[name]
	if !ok {
		s.logger.ErrorContext(r.Context(), "no such page template", slog.String("page", name))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", v); err != nil {
		s.logger.ErrorContext(r.Context(), "render page", slog.String("page", name), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// renderPart writes one template of page name alone: the answer to an
// htmx request that replaces a part of a page.
func (s *UI) renderPart(w http.ResponseWriter, r *http.Request, name, part string, data any) {
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, part, data); err != nil {
		s.logger.ErrorContext(r.Context(), "render part", slog.String("page", name), slog.String("part", part), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = w.Write(buf.Bytes())
}

// workspace returns the view of a workspace page of section: the firm's
// name, the navigation for the member's role and the viewer's zone. On
// failure it has written the error page and returns false.
func (s *UI) workspace(w http.ResponseWriter, r *http.Request, section, title string) (view, settings.Workspace, bool) {
	ws, err := s.settings.Workspace(r.Context())
	if err != nil {
		s.writePageError(w, r, err)
		return view{}, ws, false
	}
	v := view{Title: title, Org: ws.Name, Zone: ws.Viewer}
	for _, l := range workspaceNav {
		v.Nav = append(v.Nav, navLink{Href: l.Href, Label: l.Label, Current: l.Href == section})
	}
	return v, ws, true
}

// workspaceNav is the navigation of the staff workspace: every entry is
// open to staff; what an entry's page offers depends on the role.
var workspaceNav = []navLink{
	{Href: "/app", Label: "Dashboard"},
	{Href: "/app/services", Label: "Services"},
	{Href: "/app/requests", Label: "Requests"},
	{Href: "/app/recurring", Label: "Recurring"},
	{Href: "/app/bookings", Label: "Bookings"},
	{Href: "/app/availability", Label: "Availability"},
	{Href: "/app/team", Label: "Team"},
	{Href: "/app/settings", Label: "Settings"},
}

// writePageError answers a page or form request that failed: an HTML page
// in plain words for a browser, a problem document for anything else.
func (s *UI) writePageError(w http.ResponseWriter, r *http.Request, err error) {
	if !route.WantsHTML(r) {
		s.problems.Write(w, r, err)
		return
	}
	p, h := s.problems.Of(r.Context(), err)
	for k, v := range h {
		w.Header()[k] = v
	}
	if p.Status == http.StatusUnauthorized {
		http.Redirect(w, r, "/?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		return
	}
	v := view{Title: p.Title, Message: p.Detail}
	switch p.Status {
	case http.StatusForbidden:
		if _, ok := errors.AsType[*auth.BindError](err); ok {
			v.Title = "Signed in elsewhere"
			v.Message = "Your session does not belong to this organization's address, or it no longer matches it. Sign in again here."
			v.Page = errorPage{SignIn: true}
		} else {
			v.Title = "Not allowed"
			v.Message = p.Detail + "."
		}
	case http.StatusNotFound:
		v.Title = "Not found"
		v.Message = "There is nothing here, or it is not yours to see."
	case http.StatusTooManyRequests:
		v.Title = "Too many requests"
		v.Message = "Please wait a moment and try again."
		if ra := w.Header().Get("Retry-After"); ra != "" {
			v.Message = "Please try again in " + ra + " seconds."
		}
	case http.StatusServiceUnavailable:
		v.Title = "Briefly unavailable"
		v.Message = "The service is busy or restarting. Please try again in a moment; nothing you sent was half-saved."
	}
	s.render(w, r, p.Status, "error", v)
}

// errorPage is what the error page offers.
type errorPage struct{ SignIn bool }

// flashCookie carries the message of an action to the page it redirects
// to: host-only, read once, gone within a minute.
const flashCookie = "__Host-flash"

func setFlash(w http.ResponseWriter, msg string) {
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Value: url.QueryEscape(msg), Path: "/", MaxAge: 60,
		HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
}

func takeFlash(w http.ResponseWriter, r *http.Request) string {
	c, err := r.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	http.SetCookie(w, &http.Cookie{Name: flashCookie, Path: "/", MaxAge: -1, HttpOnly: true, Secure: true, SameSite: http.SameSiteLaxMode})
	msg, err := url.QueryUnescape(c.Value)
	if err != nil || len(msg) > 300 {
		return ""
	}
	return msg
}

// done ends a successful post: the message is shown on the page it
// redirects to (post, redirect, get).
func (s *UI) done(w http.ResponseWriter, r *http.Request, to, msg string) {
	if msg != "" {
		setFlash(w, msg)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// form is the state of a form shown again after a failed post: the input
// as sent and the error of each field.
type form struct {
	Values url.Values
	Errors map[string]string
}

func newForm(r *http.Request) *form {
	_ = r.ParseForm()
	return &form{Values: r.PostForm, Errors: map[string]string{}}
}

// Get returns the value sent for name.
func (f *form) Get(name string) string {
	if f == nil {
		return ""
	}
	return f.Values.Get(name)
}

// Has reports whether value was sent for name (a checkbox, an option).
func (f *form) Has(name, value string) bool {
	if f == nil {
		return false
	}
	for _, v := range f.Values[name] {
		if v == value {
			return true
		}
	}
	return false
}

// Err returns the error of field name.
func (f *form) Err(name string) string {
	if f == nil {
		return ""
	}
	return f.Errors[name]
}

// fail records err on the form: the domain's field errors ("body.name")
// land on their fields ("name"); the message is returned for the page.
func (f *form) fail(err error) string {
	if te, ok := errors.AsType[*tenant.Error](err); ok {
		for k, v := range te.Fields {
			k = strings.TrimPrefix(strings.TrimPrefix(k, "body."), "query.")
			f.Errors[k] = v
		}
	}
	return tenant.ErrorMessage(err)
}

// field is one labelled input of a form, with its error.
type field struct {
	Name, Label, Type, Value, Error, Hint string
	Attrs                                 template.HTMLAttr
}

// fieldOf is the template function behind {{template "field" (field
// .Form "name" "Label" "text" "required maxlength=200")}}: the attributes
// come from the template's author, never from input.
func fieldOf(f *form, name, label, typ string, attrs ...string) field {
	fl := field{Name: name, Label: label, Type: typ, Value: f.Get(name), Error: f.Err(name)}
	if len(attrs) > 0 {
		fl.Attrs = template.HTMLAttr(attrs[0])
	}
	if len(attrs) > 1 {
		fl.Hint = attrs[1]
	}
	return fl
}

// money formats an amount in minor units: "150.00 USD".
func money(minor int64, currency string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	return fmt.Sprintf("%s%d.%02d %s", sign, minor/100, minor%100, currency)
}

// label turns a code into words: "in_review" → "In review".
func label(code any) string {
	s := strings.ReplaceAll(fmt.Sprint(code), "_", " ")
	if s == "" {
		return ""
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// confirmation is a page that asks before a destructive action.
type confirmation struct {
	Question string
	// Detail says what the action does and whether it can be undone.
	Detail string
	// Action is where the form posts; Fields its hidden fields.
	Action string
	Fields url.Values
	Button string
	// Back is where "Cancel" goes.
	Back string
}

// confirm asks before a destructive action; the action runs only on the
// form's post.
func (s *UI) confirm(w http.ResponseWriter, r *http.Request, v view, c confirmation) {
	v.Page = c
	s.render(w, r, http.StatusOK, "confirm_action", v)
}

// pager is the navigation of a keyset list.
type pager struct {
	Next, First string
}

// pagerOf links the next page of r's list (cursor next) and, past the
// first, the first.
func pagerOf(r *http.Request, next string) pager {
	var p pager
	q := r.URL.Query()
	if q.Get("cursor") != "" {
		q.Del("cursor")
		p.First = r.URL.Path + "?" + q.Encode()
	}
	if next != "" {
		q.Set("cursor", next)
		p.Next = r.URL.Path + "?" + q.Encode()
	}
	return p
}

// pageQuery is the page query of r's list.
func pageQuery(r *http.Request) route.PageQuery {
	q := route.PageQuery{Cursor: r.URL.Query().Get("cursor")}
	if n, err := strconv.Atoi(r.URL.Query().Get("limit")); err == nil && n > 0 && n <= 100 {
		q.Limit = n
	}
	return q
}

// tenantMessage is the client-safe message of err.
func tenantMessage(err error) string { return tenant.ErrorMessage(err) }
