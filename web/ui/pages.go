package ui

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pages holds one parsed template per page, each with the layout.
var pages = func() map[string]*template.Template {
	layout := template.Must(template.ParseFS(templateFS, "templates/layout.html"))
	out := map[string]*template.Template{}
	files, _ := fs.Glob(templateFS, "templates/*.html")
	for _, f := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(f, "templates/"), ".html")
		if name == "layout" {
			continue
		}
		out[name] = template.Must(template.Must(layout.Clone()).ParseFS(templateFS, f))
	}
	return out
}()

// pageData is what every page template receives.
type pageData struct {
	Site, Where, Title     string
	Error, Notice, Message string
	AutoSubmit             bool
	Tenant                 *tenant.Tenant
	Principal              auth.Principal
	Memberships            []auth.Membership
	IsAdmin, IsOwner       bool
	Next, Email, Token     string
	// Action is the address a form posts to, when it is not this page's
	// own (the switch's handoff to the target host).
	Action     string
	Members    []members.Member
	Messages   any
	Invitation *auth.InvitationPreview
	Signup     *auth.SignupPreview
	Sessions   []auth.SessionInfo
	// Form holds the values a refused form is shown again with.
	Form map[string]string
}

func (s *UI) render(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	d.Site = "tenantkit"
	if h, ok := route.HostFrom(r.Context()); ok {
		d.Where = h.Name
		if h.Kind == route.TenantHost {
			t := h.Tenant
			d.Tenant = &t
			d.Site = t.Name
		}
	}
	var buf bytes.Buffer
	if err := pages[name].ExecuteTemplate(&buf, "layout", d); err != nil {
		s.logger.ErrorContext(r.Context(), "render page", slog.String("page", name), slog.Any("error", err))
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writePageError answers a page or form request that failed: an HTML page
// for a browser, a problem document for anything else.
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
	s.render(w, r, p.Status, "error", pageData{Title: p.Title, Message: p.Detail})
}

// Deps are what the pages call.
type Deps struct {
	Auth     *auth.Service
	Members  *members.Service
	Requests *requests.Service
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
	t        *route.Table
	problems route.Problems
	auth     *auth.Service
	members  *members.Service
	requests *requests.Service
	outbox   *mailer.Outbox
	refused  func(ctx context.Context, h route.Host, r *http.Request, err error)
	logger   *slog.Logger
}

// Register registers every page in t, and makes t answer refused page
// requests with the error page.
func Register(t *route.Table, d Deps) {
	s := &UI{t: t, problems: t.Problems(), auth: d.Auth, members: d.Members, requests: d.Requests, outbox: d.Outbox, refused: d.Refused, logger: d.Logger}
	t.SetPageErrors(s.writePageError)
	s.registerPages()
	s.registerSignup()
	s.registerSessions()
}

func (s *UI) registerPages() {
	static, _ := fs.Sub(staticFS, "static")
	for _, kind := range []route.Kind{route.TenantHost, route.ApexHost} {
		authenticated := route.Platform
		if kind == route.TenantHost {
			authenticated = route.Member(tenant.RoleClient)
		}
		s.t.Handle(kind, http.MethodGet, "/static/", route.Public, http.StripPrefix("/static/", filesOnly(static)).ServeHTTP)
		s.t.Handle(kind, http.MethodGet, "/{$}", route.Public, s.pageHome)
		s.t.Handle(kind, http.MethodGet, "/api/docs", route.Public, s.pageAPIDocs)
		s.t.Handle(kind, http.MethodPost, "/login", route.Public, s.pageLogin)
		s.t.Handle(kind, http.MethodPost, "/logout", authenticated, s.pageLogout)
		s.t.Handle(kind, http.MethodPost, "/switch", authenticated, s.pageSwitch)
		s.t.Handle(kind, http.MethodGet, "/account/password", authenticated, s.pagePasswordForm)
		s.t.Handle(kind, http.MethodPost, "/account/password", authenticated, s.pagePassword)
		s.t.Handle(kind, http.MethodGet, "/password-reset", route.Public, s.pageResetForm)
		s.t.Handle(kind, http.MethodPost, "/password-reset/request", route.Public, s.pageResetRequest)
		s.t.Handle(kind, http.MethodPost, "/password-reset", route.Public, s.pageReset)
		s.t.Handle(kind, "", "/", route.Public, s.pageNotFound)
	}
	s.t.Handle(route.TenantHost, http.MethodPost, "/auth/handoff", route.Public, s.pageHandoff)
	s.t.Handle(route.TenantHost, http.MethodGet, "/invitations/accept", route.Public, s.pageAcceptForm)
	s.t.Handle(route.TenantHost, http.MethodPost, "/invitations/accept", route.Public, s.pageAccept)
	s.t.Handle(route.TenantHost, http.MethodGet, "/requests/confirm", route.Public, s.pageConfirmForm)
	s.t.Handle(route.TenantHost, http.MethodPost, "/requests/confirm", route.Public, s.pageConfirm)
	s.t.Handle(route.TenantHost, http.MethodGet, "/members", route.Member(tenant.RoleAdmin), s.pageMembers)
	s.t.Handle(route.TenantHost, http.MethodPost, "/members/invite", route.Member(tenant.RoleAdmin), s.pageInvite)
	if s.outbox != nil {
		s.t.Handle(route.ApexHost, http.MethodGet, "/dev/outbox", route.Public, s.pageOutbox)
	}
}

// pageAPIDocs renders the host's OpenAPI document as a readable reference.
func (s *UI) pageAPIDocs(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "apidocs", pageData{Title: "API reference"})
}

func (s *UI) pageNotFound(w http.ResponseWriter, r *http.Request) {
	s.writePageError(w, r, tenant.NotFound("page"))
}

// pageHome shows the signed-in account (and, on a tenant host, its role),
// or the sign-in form.
func (s *UI) pageHome(w http.ResponseWriter, r *http.Request) {
	h, _ := route.HostFrom(r.Context())
	var p auth.Principal
	var err error
	if h.Kind == route.TenantHost {
		p, err = s.auth.AuthenticateTenant(r.Context(), h.Tenant, route.Credentials(r))
	} else {
		p, err = s.auth.AuthenticatePlatform(r.Context(), route.Credentials(r))
	}
	if err != nil {
		d := pageData{Title: "Sign in", Next: auth.SafeRedirect(r.URL.Query().Get("next"))}
		if tenant.IsCode(err, tenant.CodeForbidden) {
			s.refused(r.Context(), h, r, err)
			d.Error = tenant.ErrorMessage(err)
		}
		s.render(w, r, http.StatusOK, "login", d)
		return
	}
	ms, err := s.auth.Memberships(r.Context(), p)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", pageData{
		Title: "Home", Principal: p, Memberships: ms,
		IsAdmin: p.Scope.Role.AtLeast(tenant.RoleAdmin),
	})
}

func (s *UI) pageLogin(w http.ResponseWriter, r *http.Request) {
	h, _ := route.HostFrom(r.Context())
	email, password := r.PostFormValue("email"), r.PostFormValue("password")
	next := auth.SafeRedirect(r.PostFormValue("next"))
	var is auth.Issued
	var err error
	if h.Kind == route.TenantHost {
		is, err = s.auth.LoginTenant(r.Context(), h.Tenant, email, password, route.ClientFrom(r.Context()))
	} else {
		is, _, err = s.auth.LoginPlatform(r.Context(), email, password, route.ClientFrom(r.Context()))
	}
	if err != nil {
		p, hdr := s.problems.Of(r.Context(), err)
		for k, v := range hdr {
			w.Header()[k] = v
		}
		s.render(w, r, p.Status, "login", pageData{Title: "Sign in", Error: p.Detail, Email: email, Next: next})
		return
	}
	route.SetCookies(w, route.SessionCookies(is))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (s *UI) pageLogout(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	if err := s.auth.Logout(r.Context(), p); err != nil {
		s.writePageError(w, r, err)
		return
	}
	route.SetCookies(w, route.ClearedCookies())
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// pageSwitch asks for a switch and answers with the form that carries the
// handoff to the target's host, posting itself once loaded. The handoff is
// bound to this host: the target accepts it only from a page of here, so
// it cannot be sent to someone else as a link.
func (s *UI) pageSwitch(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	h, _ := route.HostFrom(r.Context())
	ho, err := s.auth.Switch(r.Context(), p, r.PostFormValue("tenant"), r.PostFormValue("next"), h.Name)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	route.SetCookies(w, route.ClearedCookies())
	// The target must see this host's origin: under no-referrer or
	// same-origin (the default), a cross-origin post carries "Origin:
	// null". "origin" sends the origin and no path; the token is in the
	// body, never in a URL.
	w.Header().Set("Referrer-Policy", "origin")
	s.render(w, r, http.StatusOK, "handoff", pageData{Title: "Opening " + ho.Tenant.Name, Token: ho.Token, Action: ho.PageURL, AutoSubmit: true})
}

// pageHandoff redeems a handoff posted by the switch page of the host that
// asked for it (the identity service checks the Origin).
func (s *UI) pageHandoff(w http.ResponseWriter, r *http.Request) {
	h, _ := route.HostFrom(r.Context())
	is, redirect, err := s.auth.RedeemHandoff(r.Context(), h.Tenant, r.PostFormValue("token"), route.ClientFrom(r.Context()))
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	route.SetCookies(w, route.SessionCookies(is))
	http.Redirect(w, r, auth.SafeRedirect(redirect), http.StatusSeeOther)
}

func (s *UI) pagePasswordForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password", pageData{Title: "Change password"})
}

func (s *UI) pagePassword(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	is, err := s.auth.ChangePassword(r.Context(), p, r.PostFormValue("current_password"), r.PostFormValue("new_password"), route.ClientFrom(r.Context()))
	if err != nil {
		pr, _ := s.problems.Of(r.Context(), err)
		s.render(w, r, pr.Status, "password", pageData{Title: "Change password", Error: pr.Detail})
		return
	}
	route.SetCookies(w, route.SessionCookies(is))
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Password changed", Message: "Your other sessions have ended."})
}

func (s *UI) pageResetForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, http.StatusOK, "reset", pageData{Title: "Reset password", Token: r.URL.Query().Get("token")})
}

func (s *UI) pageResetRequest(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.RequestPasswordReset(r.Context(), route.HostTenant(r.Context()), r.PostFormValue("email"), route.ClientFrom(r.Context())); err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Check your mail", Message: "If the address belongs to an account, a reset link is on its way."})
}

func (s *UI) pageReset(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	if err := s.auth.ResetPassword(r.Context(), route.HostTenant(r.Context()), token, r.PostFormValue("password")); err != nil {
		pr, _ := s.problems.Of(r.Context(), err)
		s.render(w, r, pr.Status, "reset", pageData{Title: "Reset password", Error: pr.Detail, Token: token})
		return
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Password set", Message: "Sign in with your new password."})
}

// pageAcceptForm shows what accepting the invitation of the mailed link
// involves: choosing a password, signing in with the account's, or setting
// one with a password reset first.
func (s *UI) pageAcceptForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.renderAccept(w, r, r.URL.Query().Get("token"), http.StatusOK, "")
}

func (s *UI) renderAccept(w http.ResponseWriter, r *http.Request, token string, status int, errMsg string) {
	h, _ := route.HostFrom(r.Context())
	preview, err := s.auth.PreviewInvitation(r.Context(), h.Tenant, token)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, status, "accept", pageData{Title: "Accept invitation", Token: token, Invitation: &preview, Error: errMsg})
}

func (s *UI) pageAccept(w http.ResponseWriter, r *http.Request) {
	h, _ := route.HostFrom(r.Context())
	token := r.PostFormValue("token")
	is, err := s.auth.AcceptInvitation(r.Context(), h.Tenant, token, r.PostFormValue("password"), route.ClientFrom(r.Context()))
	if err != nil {
		pr, hdr := s.problems.Of(r.Context(), err)
		for k, v := range hdr {
			w.Header()[k] = v
		}
		s.renderAccept(w, r, token, pr.Status, pr.Detail)
		return
	}
	route.SetCookies(w, route.SessionCookies(is))
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// pageConfirmForm asks the person who opened a public form's confirmation
// link to send the request: the GET changes nothing (mail scanners open
// links).
func (s *UI) pageConfirmForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, http.StatusOK, "confirm", pageData{Title: "Confirm your request", Token: r.URL.Query().Get("token")})
}

func (s *UI) pageConfirm(w http.ResponseWriter, r *http.Request) {
	ctx, err := route.PublicScope(r.Context())
	if err == nil {
		err = s.requests.ConfirmPublicRequest(ctx, r.PostFormValue("token"))
	}
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Request sent", Message: "Thank you: your request was sent. The organization will reply by email."})
}

func (s *UI) pageMembers(w http.ResponseWriter, r *http.Request) {
	s.renderMembers(w, r, "", "")
}

func (s *UI) renderMembers(w http.ResponseWriter, r *http.Request, notice, errMsg string) {
	ms, _, err := s.members.List(r.Context(), members.Filter{Page: keyset.Page[members.Key]{Limit: keyset.MaxLimit}})
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	scope := tenant.MustScope(r.Context())
	s.render(w, r, http.StatusOK, "members", pageData{
		Title: "Members", Members: ms, Notice: notice, Error: errMsg, IsOwner: scope.Role == tenant.RoleOwner,
	})
}

func (s *UI) pageInvite(w http.ResponseWriter, r *http.Request) {
	inv, err := s.members.Invite(r.Context(), r.PostFormValue("email"), tenant.Role(r.PostFormValue("role")), r.PostFormValue("display_name"))
	if err != nil {
		pr, _ := s.problems.Of(r.Context(), err)
		s.renderMembers(w, r, "", pr.Detail)
		return
	}
	s.renderMembers(w, r, "Invitation mailed to "+inv.Email+".", "")
}

// filesOnly serves the files of fsys and answers 404 for a directory, so
// what the static tree holds cannot be listed.
func filesOnly(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if st, err := fs.Stat(fsys, name); name == "" || strings.HasSuffix(name, "/") || err != nil || st.IsDir() {
			http.NotFound(w, r)
			return
		}
		files.ServeHTTP(w, r)
	})
}

func (s *UI) pageOutbox(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "outbox", pageData{Title: "Outbox", Messages: s.outbox.Messages()})
}
