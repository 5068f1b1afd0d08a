package ui

import (
	"net/http"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// The team page: the members and their roles (staff read), inviting,
// changing roles, removing members and withdrawing invitations (an admin;
// only an owner touches owners).

func (s *UI) registerTeamPages(page registrar, staff, admin route.Policy) {
	page(http.MethodGet, "/app/team", staff, s.pageTeam, query(paged...))
	page(http.MethodPost, "/app/team/invite", admin, s.pageInvite, fields("email", "display_name", "role"))
	page(http.MethodPost, "/app/team/{member_id}/role", admin, s.pageChangeRole, fields("role"))
	page(http.MethodGet, "/app/team/{member_id}/remove", admin, s.pageConfirmRemoveMember)
	page(http.MethodPost, "/app/team/{member_id}/remove", admin, s.pageRemoveMember, fields())
	page(http.MethodGet, "/app/team/invitations/{invitation_id}/revoke", admin, s.pageConfirmRevoke)
	page(http.MethodPost, "/app/team/invitations/{invitation_id}/revoke", admin, s.pageRevoke, fields())
}

// teamPage is the members and, for an admin, the open invitations.
type teamPage struct {
	Members     []members.Member
	Pager       pager
	Invitations []members.Invitation
	// Roles are the roles the viewer may give.
	Roles []tenant.Role
	Me    uuid.UUID
}

var allRoles = []tenant.Role{tenant.RoleClient, tenant.RoleStaff, tenant.RoleAdmin, tenant.RoleOwner}

func (s *UI) pageTeam(w http.ResponseWriter, r *http.Request) {
	s.renderTeam(w, r, nil, nil)
}

func (s *UI) renderTeam(w http.ResponseWriter, r *http.Request, f *form, failure error) {
	v, _, ok := s.workspace(w, r, "/app/team", "Team")
	if !ok {
		return
	}
	scope := tenant.MustScope(r.Context())
	p := teamPage{Me: scope.MemberID}
	for _, role := range allRoles {
		if scope.Role.Manages(role) {
			p.Roles = append(p.Roles, role)
		}
	}
	list, err := route.Keyset(r.Context(), pageQuery(r), func(pg keyset.Page[members.Key]) ([]members.Member, *members.Key, error) {
		return s.members.List(r.Context(), members.Filter{Page: pg})
	}, func(m members.Member) members.Member { return m })
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	p.Members, p.Pager = list.Items, pagerOf(r, list.NextCursor)
	if scope.Role.AtLeast(tenant.RoleAdmin) {
		if p.Invitations, err = s.members.ListInvitations(r.Context()); err != nil {
			s.writePageError(w, r, err)
			return
		}
	}
	if f == nil {
		f = &form{Errors: map[string]string{}, Values: map[string][]string{"role": {"client"}}}
	}
	v.Form = f
	if failure != nil {
		v.Error = f.fail(failure)
	}
	v.Page = p
	s.render(w, r, statusOf(failure, http.StatusOK), "app_team", v)
}

func (s *UI) pageInvite(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	inv, err := s.members.Invite(r.Context(), f.Get("email"), tenant.Role(f.Get("role")), f.Get("display_name"))
	if err != nil {
		s.renderTeam(w, r, f, err)
		return
	}
	s.done(w, r, "/app/team", "Invitation mailed to "+inv.Email+".")
}

func (s *UI) pageChangeRole(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "member_id", "member", func(id uuid.UUID) {
		m, err := s.members.ChangeRole(r.Context(), id, tenant.Role(newForm(r).Get("role")))
		if err != nil {
			if st := route.StatusOf(err); st == http.StatusConflict || st == http.StatusForbidden || st == http.StatusUnprocessableEntity {
				s.done(w, r, "/app/team", "Role not changed: "+tenantMessage(err)+".")
				return
			}
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/team", m.DisplayName+" is now "+string(m.Role)+".")
	})
}

// memberByID finds member id among the first members (the confirmation
// pages name the member).
func (s *UI) memberByID(r *http.Request, id uuid.UUID) (members.Member, error) {
	ms, _, err := s.members.List(r.Context(), members.Filter{Page: keyset.Page[members.Key]{Limit: keyset.MaxLimit}})
	if err != nil {
		return members.Member{}, err
	}
	for _, m := range ms {
		if m.ID == id {
			return m, nil
		}
	}
	return members.Member{}, tenant.NotFound("member")
}

func (s *UI) pageConfirmRemoveMember(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "member_id", "member", func(id uuid.UUID) {
		m, err := s.memberByID(r, id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/team", "Remove member")
		if !ok {
			return
		}
		s.confirm(w, r, v, confirmation{
			Question: "Remove " + m.DisplayName + " from the organization?",
			Detail:   "Their sessions here end at once and the invitations they sent are withdrawn. Their account stays, and they can be invited again.",
			Action:   "/app/team/" + id.String() + "/remove", Button: "Remove " + m.DisplayName, Back: "/app/team",
		})
	})
}

func (s *UI) pageRemoveMember(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "member_id", "member", func(id uuid.UUID) {
		if err := s.members.Remove(r.Context(), id); err != nil {
			if st := route.StatusOf(err); st == http.StatusConflict || st == http.StatusForbidden {
				s.done(w, r, "/app/team", "Not removed: "+tenantMessage(err)+".")
				return
			}
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/team", "Member removed.")
	})
}

func (s *UI) pageConfirmRevoke(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "invitation_id", "invitation", func(id uuid.UUID) {
		invs, err := s.members.ListInvitations(r.Context())
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		for _, inv := range invs {
			if inv.ID != id {
				continue
			}
			v, _, ok := s.workspace(w, r, "/app/team", "Withdraw invitation")
			if !ok {
				return
			}
			s.confirm(w, r, v, confirmation{
				Question: "Withdraw the invitation of " + inv.Email + "?",
				Detail:   "The mailed link stops working. You can invite the address again later.",
				Action:   "/app/team/invitations/" + id.String() + "/revoke", Button: "Withdraw it", Back: "/app/team",
			})
			return
		}
		s.writePageError(w, r, tenant.NotFound("invitation"))
	})
}

func (s *UI) pageRevoke(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "invitation_id", "invitation", func(id uuid.UUID) {
		if err := s.members.RevokeInvitation(r.Context(), id); err != nil {
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/team", "Invitation withdrawn.")
	})
}
