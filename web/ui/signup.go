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
	s.t.Handle(route.ApexHost, http.MethodPost, "/signup", route.Public, s.pageSignup)
	s.t.Handle(route.ApexHost, http.MethodGet, "/signup/confirm", route.Public, s.pageSignupConfirmForm)
	s.t.Handle(route.ApexHost, http.MethodPost, "/signup/confirm", route.Public, s.pageSignupConfirm)
}

func (s *UI) pageSignupForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "signup", pageData{Title: "Create an organization", Form: map[string]string{}})
}

func (s *UI) pageSignup(w http.ResponseWriter, r *http.Request) {
	form := map[string]string{"name": r.PostFormValue("name"), "slug": r.PostFormValue("slug"), "email": r.PostFormValue("email")}
	err := s.auth.RequestSignup(r.Context(), auth.SignupRequest{
		Name: form["name"], Slug: form["slug"], Email: form["email"], Trap: r.PostFormValue("website"),
	}, route.ClientFrom(r.Context()))
	if err != nil {
		p, hdr := s.problems.Of(r.Context(), err)
		for k, v := range hdr {
			w.Header()[k] = v
		}
		s.render(w, r, p.Status, "signup", pageData{Title: "Create an organization", Error: p.Detail, Form: form})
		return
	}
	s.render(w, r, http.StatusOK, "message", pageData{Title: "Check your mail",
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
	s.render(w, r, status, "signup_confirm", pageData{Title: "Create " + preview.Name, Token: token, Signup: &preview, Error: errMsg})
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
	s.render(w, r, http.StatusOK, "handoff", pageData{Title: "Opening " + ho.Tenant.Name, Token: ho.Token, Action: ho.PageURL, AutoSubmit: true})
}
