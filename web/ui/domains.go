package ui

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/web/route"
)

// The settings page's custom domains (an admin adds, verifies and removes
// them) and support access (an owner sees the operators' grants, their
// reasons and reads, and ends them). Both call the same services as the
// operations under /api/domains and /api/support-access.

func (s *UI) registerDomainPages(page registrar, admin route.Policy) {
	page(http.MethodPost, "/app/settings/domains", admin, s.pageAddDomain, fields("domain"))
	page(http.MethodPost, "/app/settings/domains/{domain_id}/verify", admin, s.pageVerifyDomain, fields())
	page(http.MethodGet, "/app/settings/domains/{domain_id}/remove", admin, s.pageConfirmRemoveDomain)
	page(http.MethodPost, "/app/settings/domains/{domain_id}/remove", admin, s.pageRemoveDomain, fields())
}

func (s *UI) registerSupportPages(page registrar, owner route.Policy) {
	page(http.MethodPost, "/app/settings/support/{grant_id}/end", owner, s.pageEndSupport, fields())
}

func (s *UI) pageAddDomain(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	d, err := s.Domains.Add(r.Context(), f.Get("domain"))
	if err != nil {
		if st := route.StatusOf(err); st/100 == 4 && st != http.StatusForbidden && st != http.StatusNotFound {
			s.renderSettings(w, r, "domains", f, err)
			return
		}
		s.writePageError(w, r, err)
		return
	}
	s.done(w, r, "/app/settings#domains", d.Name+" added: publish its TXT record, then verify it.")
}

func (s *UI) pageVerifyDomain(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "domain_id", "domain", func(id uuid.UUID) {
		d, err := s.Domains.Verify(r.Context(), id)
		if err != nil {
			if st := route.StatusOf(err); st == http.StatusConflict || st == http.StatusServiceUnavailable {
				s.done(w, r, "/app/settings#domains", "Not verified: "+tenantMessage(err))
				return
			}
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/settings#domains", d.Name+" is verified: it serves the organization.")
	})
}

func (s *UI) pageConfirmRemoveDomain(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "domain_id", "domain", func(id uuid.UUID) {
		d, err := s.Domains.Get(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/settings", "Remove domain")
		if !ok {
			return
		}
		s.confirm(w, r, v, confirmation{
			Question: "Remove " + d.Name + "?",
			Detail:   "It stops serving the organization at once. To use it again you add it anew and verify a new TXT record.",
			Action:   "/app/settings/domains/" + id.String() + "/remove", Button: "Remove " + d.Name, Back: "/app/settings#domains",
		})
	})
}

func (s *UI) pageRemoveDomain(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "domain_id", "domain", func(id uuid.UUID) {
		if err := s.Domains.Remove(r.Context(), id); err != nil {
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/settings#domains", "Domain removed.")
	})
}

func (s *UI) pageEndSupport(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "grant_id", "support grant", func(id uuid.UUID) {
		g, err := s.Support.End(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/settings#support", "Support access of "+g.Actor+" ended.")
	})
}
