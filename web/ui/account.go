package ui

import (
	"io/fs"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// The pages every host has: signing in and out, the switch and its
// handoff, passwords, invitations, the public form's confirmation, the
// API reference, the development outbox.

func (s *UI) registerAccount() {
	static, _ := fs.Sub(staticFS, "static")
	for _, kind := range []route.Kind{route.TenantHost, route.ApexHost} {
		authenticated := route.Platform
		if kind == route.TenantHost {
			authenticated = route.Member(tenant.RoleClient)
		}
		s.t.Handle(kind, http.MethodGet, "/static/", route.Public, http.StripPrefix("/static/", filesOnly(static)).ServeHTTP)
		s.t.Handle(kind, http.MethodGet, "/{$}", route.Public, s.pageHome, route.Inputs{Query: []string{"next"}})
		s.t.Handle(kind, http.MethodGet, "/api/docs", route.Public, s.pageAPIDocs)
		s.t.Handle(kind, http.MethodPost, "/login", route.Public, s.pageLogin, route.Inputs{Form: []string{"email", "password", "next"}})
		s.t.Handle(kind, http.MethodPost, "/logout", authenticated, s.pageLogout, route.Inputs{Form: []string{}})
		s.t.Handle(kind, http.MethodPost, "/switch", authenticated, s.pageSwitch, route.Inputs{Form: []string{"tenant", "next"}})
		s.t.Handle(kind, http.MethodGet, "/switcher", authenticated, s.pageSwitcher)
		s.t.Handle(kind, http.MethodGet, "/account/password", authenticated, s.pagePasswordForm)
		s.t.Handle(kind, http.MethodPost, "/account/password", authenticated, s.pagePassword, route.Inputs{Form: []string{"current_password", "new_password"}})
		s.t.Handle(kind, http.MethodGet, "/password-reset", route.Public, s.pageResetForm, route.Inputs{Query: []string{"token"}})
		s.t.Handle(kind, http.MethodPost, "/password-reset/request", route.Public, s.pageResetRequest, route.Inputs{Form: []string{"email"}})
		s.t.Handle(kind, http.MethodPost, "/password-reset", route.Public, s.pageReset, route.Inputs{Form: []string{"token", "password"}})
		s.t.Handle(kind, "", "/", route.Public, s.pageNotFound)
	}
	s.t.Handle(route.TenantHost, http.MethodPost, "/auth/handoff", route.Public, s.pageHandoff, route.Inputs{Form: []string{"token"}})
	s.t.Handle(route.TenantHost, http.MethodGet, "/invitations/accept", route.Public, s.pageAcceptForm, route.Inputs{Query: []string{"token"}})
	s.t.Handle(route.TenantHost, http.MethodPost, "/invitations/accept", route.Public, s.pageAccept, route.Inputs{Form: []string{"token", "password"}})
	s.t.Handle(route.TenantHost, http.MethodGet, "/requests/confirm", route.Public, s.pageConfirmForm, route.Inputs{Query: []string{"token"}})
	s.t.Handle(route.TenantHost, http.MethodPost, "/requests/confirm", route.Public, s.pageConfirm, route.Inputs{Form: []string{"token"}})
	if s.outbox != nil {
		s.t.Handle(route.ApexHost, http.MethodGet, "/dev/outbox", route.Public, s.pageOutbox)
	}
}

// pageAPIDocs renders the host's OpenAPI document as a readable reference.
func (s *UI) pageAPIDocs(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "apidocs", view{Title: "API reference"})
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
		d := view{Title: "Sign in", Next: auth.SafeRedirect(r.URL.Query().Get("next"))}
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
	s.render(w, r, http.StatusOK, "home", view{
		Title: "Home", Principal: p, Signed: true, Memberships: ms,
		IsAdmin: p.Scope.Role.AtLeast(tenant.RoleAdmin),
		// Staff and above have a workspace on a tenant host.
		Page: h.Kind == route.TenantHost && p.Scope.Role.AtLeast(tenant.RoleStaff),
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
		s.render(w, r, p.Status, "login", view{Title: "Sign in", Error: p.Detail, Email: email, Next: next})
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
	s.render(w, r, http.StatusOK, "handoff", view{Title: "Opening " + ho.Tenant.Name, Token: ho.Token, Action: ho.PageURL, AutoSubmit: true})
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
	s.render(w, r, http.StatusOK, "password", view{Title: "Change password"})
}

func (s *UI) pagePassword(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	is, err := s.auth.ChangePassword(r.Context(), p, r.PostFormValue("current_password"), r.PostFormValue("new_password"), route.ClientFrom(r.Context()))
	if err != nil {
		pr, _ := s.problems.Of(r.Context(), err)
		s.render(w, r, pr.Status, "password", view{Title: "Change password", Error: pr.Detail})
		return
	}
	route.SetCookies(w, route.SessionCookies(is))
	s.render(w, r, http.StatusOK, "message", view{Title: "Password changed", Message: "Your other sessions have ended."})
}

func (s *UI) pageResetForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.render(w, r, http.StatusOK, "reset", view{Title: "Reset password", Token: r.URL.Query().Get("token")})
}

func (s *UI) pageResetRequest(w http.ResponseWriter, r *http.Request) {
	if err := s.auth.RequestPasswordReset(r.Context(), route.HostTenant(r.Context()), r.PostFormValue("email"), route.ClientFrom(r.Context())); err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "message", view{Title: "Check your mail", Message: "If the address belongs to an account, a reset link is on its way."})
}

func (s *UI) pageReset(w http.ResponseWriter, r *http.Request) {
	token := r.PostFormValue("token")
	if err := s.auth.ResetPassword(r.Context(), route.HostTenant(r.Context()), token, r.PostFormValue("password")); err != nil {
		pr, _ := s.problems.Of(r.Context(), err)
		s.render(w, r, pr.Status, "reset", view{Title: "Reset password", Error: pr.Detail, Token: token})
		return
	}
	s.render(w, r, http.StatusOK, "message", view{Title: "Password set", Message: "Sign in with your new password."})
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
	s.render(w, r, status, "accept", view{Title: "Accept invitation", Token: token, Invitation: &preview, Error: errMsg})
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
	s.render(w, r, http.StatusOK, "confirm", view{Title: "Confirm your request", Token: r.URL.Query().Get("token")})
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
	s.render(w, r, http.StatusOK, "message", view{Title: "Request sent", Message: "Thank you: your request was sent. The organization will reply by email."})
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
	s.render(w, r, http.StatusOK, "outbox", view{Title: "Outbox", Messages: s.outbox.Messages()})
}

// pageSwitcher lists the signed-in account's organizations, each with the
// switch form: the header's switcher loads it when opened.
func (s *UI) pageSwitcher(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	ms, err := s.auth.Memberships(r.Context(), p)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	current := ""
	if h, ok := route.HostFrom(r.Context()); ok && h.Kind == route.TenantHost {
		current = h.Tenant.Slug
	}
	s.renderPart(w, r, "home", "switcher", switcherData{Memberships: ms, Current: current})
}

// switcherData is the switcher's list.
type switcherData struct {
	Memberships []auth.Membership
	Current     string
}
