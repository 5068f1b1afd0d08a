package ui

import (
	"net/http"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// registerSessions registers the page where a member sees and ends their
// own sessions in the organization (the operations list-sessions and
// end-session, as a page).
func (s *UI) registerSessions() {
	member := route.Member(tenant.RoleClient)
	s.t.Handle(route.TenantHost, http.MethodGet, "/account/sessions", member, s.pageSessions)
	s.t.Handle(route.TenantHost, http.MethodGet, "/account/sessions/{session_id}/end", member, s.pageConfirmEndSession)
	s.t.Handle(route.TenantHost, http.MethodPost, "/account/sessions/{session_id}/end", member, s.pageEndSession, route.Inputs{Form: []string{}})
}

// sessionsPage is the member's sessions, the current one marked.
type sessionsPage struct {
	Sessions []auth.SessionInfo
}

func (s *UI) pageSessions(w http.ResponseWriter, r *http.Request) {
	p, _ := route.PrincipalFrom(r.Context())
	list, err := s.auth.Sessions(r.Context(), p)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sessions", view{Title: "Your sessions", Page: sessionsPage{Sessions: list}})
}

// pageConfirmEndSession asks before ending a session: the device it
// belongs to is signed out at once.
func (s *UI) pageConfirmEndSession(w http.ResponseWriter, r *http.Request) {
	s.withSession(w, r, func(info auth.SessionInfo, current bool) {
		c := confirmation{Question: "End this session?", Button: "End it", Back: "/account/sessions",
			Action: "/account/sessions/" + info.ID.String() + "/end",
			Detail: "The device it belongs to (" + deviceOf(info) + ") is signed out at once and must sign in again."}
		if current {
			c.Question, c.Button, c.Detail = "Sign out here?", "Sign out", "This browser is signed out of the organization."
		}
		s.confirm(w, r, view{Title: c.Question}, c)
	})
}

// pageEndSession ends one of the member's sessions; ending the current
// one signs this browser out.
func (s *UI) pageEndSession(w http.ResponseWriter, r *http.Request) {
	s.withSession(w, r, func(info auth.SessionInfo, current bool) {
		if err := s.auth.EndSession(r.Context(), info.ID); err != nil {
			s.writePageError(w, r, err)
			return
		}
		if current {
			route.SetCookies(w, route.ClearedCookies())
			http.Redirect(w, r, "/", http.StatusSeeOther)
			return
		}
		s.done(w, r, "/account/sessions", "Session ended: that device is signed out.")
	})
}

// withSession runs fn with the member's own session the path names; any
// other id, another member's session included, reads as missing.
func (s *UI) withSession(w http.ResponseWriter, r *http.Request, fn func(info auth.SessionInfo, current bool)) {
	p, _ := route.PrincipalFrom(r.Context())
	id, err := route.ParseID(r.PathValue("session_id"), "session")
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	list, err := s.auth.Sessions(r.Context(), p)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	for _, info := range list {
		if info.ID == id {
			fn(info, info.Current)
			return
		}
	}
	s.writePageError(w, r, tenant.NotFound("session"))
}

// deviceOf names the device of a session as the page shows it.
func deviceOf(info auth.SessionInfo) string {
	if info.UserAgent == "" {
		return "an unknown device"
	}
	return info.UserAgent
}
