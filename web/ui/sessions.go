package ui

import (
	"net/http"

	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// registerSessions registers the page where a member sees and ends their
// own sessions in the organization (the operations list-sessions and
// end-session, as a page).
func (s *UI) registerSessions() {
	member := route.Member(tenant.RoleClient)
	s.t.Handle(route.TenantHost, http.MethodGet, "/account/sessions", member, s.pageSessions)
	s.t.Handle(route.TenantHost, http.MethodPost, "/account/sessions/{id}/end", member, s.pageEndSession)
}

func (s *UI) pageSessions(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	list, err := s.auth.Sessions(r.Context(), p)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sessions", pageData{Title: "Your sessions", Sessions: list})
}

// pageEndSession ends one of the member's sessions; ending the current
// one signs this browser out.
func (s *UI) pageEndSession(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	id, err := route.ParseID(r.PathValue("id"), "session")
	if err == nil {
		err = s.auth.EndSession(r.Context(), id)
	}
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	if id == p.Session.ID {
		route.SetCookies(w, route.ClearedCookies())
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/account/sessions", http.StatusSeeOther)
}
