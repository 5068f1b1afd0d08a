package ui

import (
	"net/http"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/web/route"
)

// registerSignup registers the sign-up pages of the apex host: the form,
// and the page the mailed link opens.
func (s *UI) registerSignup() {
	s.t.Handle(route.ApexHost, http.MethodGet, "/signup", route.Public, s.pageSignupForm)
	s.t.Handle(route.ApexHost, http.MethodPost, "/signup", route.Public, s.pageSignup, route.Inputs{Form: []string{"name", "slug", "email", "website"}})
	s.t.Handle(route.ApexHost, http.MethodGet, "/signup/confirm", route.Public, s.pageSignupConfirmForm, route.Inputs{Query: []string{"token"}})
	s.t.Handle(route.ApexHost, http.MethodPost, "/signup/confirm", route.Public, s.pageSignupConfirm, route.Inputs{Form: []string{"token", "password"}})
}

func (s *UI) pageSignupForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signup", view{Title: "Create an organization", Form: &form{Errors: map[string]string{}}})
}

func (s *UI) pageSignup(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	err := s.auth.RequestSignup(r.Context(), auth.SignupRequest{
		Name: f.Get("name"), Slug: f.Get("slug"), Email: f.Get("email"), Trap: f.Get("website"),
	}, route.ClientFrom(r.Context()))
	if err != nil {
		p, hdr := s.problems.Of(r.Context(), err)
		for k, v := range hdr {
			w.Header()[k] = v
		}
		f.fail(err)
		s.render(w, r, p.Status, "signup", view{Title: "Create an organization", Error: p.Detail, Form: f})
		return
	}
	s.render(w, r, http.StatusOK, "message", view{Title: "Check your mail",
		Message: "The link in it creates the organization. It works once, for 24 hours."})
}

// pageSignupConfirmForm shows what confirming the mailed link involves:
// choosing a password, or signing in with the account's. The GET changes
// nothing (mail scanners open links).
func (s *UI) pageSignupConfirmForm(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Referrer-Policy", "no-referrer")
	s.renderSignupConfirm(w, r, r.URL.Query().Get("token"), http.StatusOK, "")
}

func (s *UI) renderSignupConfirm(w http.ResponseWriter, r *http.Request, token string, status int, errMsg string) {
	preview, err := s.auth.PreviewSignup(r.Context(), token)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, status, "signup_confirm", view{Title: "Create " + preview.Name, Token: token, Page: preview, Error: errMsg})
}

// pageSignupConfirm creates the organization and hands its owner over to
// its host, as a switch does: the page posts the one-time handoff there
// once loaded.
func (s *UI) pageSignupConfirm(w http.ResponseWriter, r *http.Request) {
	h, _ := route.HostFrom(r.Context())
	token := r.PostFormValue("token")
	ho, err := s.auth.ConfirmSignup(r.Context(), token, r.PostFormValue("password"), h.Name, route.ClientFrom(r.Context()))
	if err != nil {
		p, hdr := s.problems.Of(r.Context(), err)
		for k, v := range hdr {
			w.Header()[k] = v
		}
		s.renderSignupConfirm(w, r, token, p.Status, p.Detail)
		return
	}
	w.Header().Set("Referrer-Policy", "origin")
	s.render(w, r, http.StatusOK, "handoff", view{Title: "Opening " + ho.Tenant.Name, Token: ho.Token, Action: ho.PageURL, AutoSubmit: true})
}
