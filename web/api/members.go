package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

type memberView struct {
	ID          string    `json:"id" format:"uuid"`
	AccountID   string    `json:"account_id" format:"uuid"`
	Email       string    `json:"email"`
	Role        string    `json:"role" enum:"owner,admin,staff,client"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
}

func memberViewOf(m members.Member) memberView {
	return memberView{ID: m.ID.String(), AccountID: m.AccountID.String(), Email: m.Email, Role: string(m.Role), DisplayName: m.DisplayName, CreatedAt: m.CreatedAt}
}

type invitationView struct {
	ID          string    `json:"id" format:"uuid"`
	Email       string    `json:"email"`
	Role        string    `json:"role" enum:"owner,admin,staff,client"`
	DisplayName string    `json:"display_name"`
	CreatedAt   time.Time `json:"created_at"`
	ExpiresAt   time.Time `json:"expires_at"`
}

func invitationViewOf(i members.Invitation) invitationView {
	return invitationView{ID: i.ID.String(), Email: i.Email, Role: string(i.Role), DisplayName: i.DisplayName, CreatedAt: i.CreatedAt, ExpiresAt: i.ExpiresAt}
}

type idPath struct {
	ID string `path:"id" format:"uuid" doc:"The id."`
}

type memberListOutput struct {
	Body route.List[memberView]
}

type memberOutput struct {
	Body memberView
}

type roleInput struct {
	ID   string `path:"id" format:"uuid" doc:"The member's id."`
	Body struct {
		Role string `json:"role" enum:"owner,admin,staff,client"`
	}
}

type inviteInput struct {
	Body struct {
		Email       string `json:"email" minLength:"3" maxLength:"254"`
		Role        string `json:"role" enum:"owner,admin,staff,client"`
		DisplayName string `json:"display_name" minLength:"1" maxLength:"200"`
	}
}

type invitationOutput struct {
	Body invitationView
}

type invitationListOutput struct {
	Body route.List[invitationView]
}

type acceptInput struct {
	Body struct {
		Token    string `json:"token" minLength:"1" maxLength:"100"`
		Password string `json:"password" minLength:"1" maxLength:"1024" doc:"For an address without an account, its new password; for an existing account, its password."`
	}
}

func (s *API) registerMembers() {
	api := route.TenantHost
	admin := route.Member(tenant.RoleAdmin)
	route.Operation(s.t, api, huma.Operation{
		OperationID: "list-members", Method: http.MethodGet, Path: "/api/members", Tags: []string{"members"},
		Summary:     "List the organization's members",
		Description: "Staff need it to find the clients and colleagues they book, request and assign for. Ordered by name.",
	}, route.Member(tenant.RoleStaff), s.handleListMembers)
	route.Operation(s.t, api, huma.Operation{
		OperationID: "change-member-role", Method: http.MethodPatch, Path: "/api/members/{id}", Tags: []string{"members"},
		Summary:     "Change a member's role",
		Description: "Only owners change owners or make them; the last owner keeps its role. The member's sessions end.",
		Errors:      []int{403, 404, 409},
	}, admin, s.handleChangeRole)
	route.Operation(s.t, api, huma.Operation{
		OperationID: "remove-member", Method: http.MethodDelete, Path: "/api/members/{id}", Tags: []string{"members"},
		Summary: "Remove a member", DefaultStatus: http.StatusNoContent,
		Description: "Only owners remove owners; the last owner stays. The member's sessions end.",
		Errors:      []int{403, 404, 409},
	}, admin, deleteByID("member", s.members.Remove))
	route.Operation(s.t, api, huma.Operation{
		OperationID: "list-invitations", Method: http.MethodGet, Path: "/api/members/invitations", Tags: []string{"members"},
		Summary: "List open invitations",
	}, admin, s.handleListInvitations)
	route.Operation(s.t, api, huma.Operation{
		OperationID: "invite-member", Method: http.MethodPost, Path: "/api/members/invitations", Tags: []string{"members"},
		Summary: "Invite a person by email", DefaultStatus: http.StatusCreated,
		Description: "Mails a one-time invitation link to the address, and to no one else: whoever accepts has read that address's mail. " +
			"An address without an account gets one on acceptance; an existing account accepts by signing in.",
	}, admin, s.handleInvite)
	route.Operation(s.t, api, huma.Operation{
		OperationID: "revoke-invitation", Method: http.MethodDelete, Path: "/api/members/invitations/{id}", Tags: []string{"members"},
		Summary: "Withdraw an open invitation", DefaultStatus: http.StatusNoContent,
	}, admin, deleteByID("invitation", s.members.RevokeInvitation))
	route.Operation(s.t, api, huma.Operation{
		OperationID: "accept-invitation", Method: http.MethodPost, Path: "/api/invitations/accept", Tags: []string{"members"},
		Summary: "Accept an invitation and sign in",
		Description: "With the token of the mailed link. An address without an account gets one with the password given; an existing account " +
			"gives its password (wrong ones count toward the sign-in limits, and " + strconv.Itoa(auth.MaxInvitationFailures) +
			" revoke the invitation); an existing account without a password sets one with a password reset first (409).",
		Errors: []int{401, 409, 422, 429},
	}, route.Public, s.handleAcceptInvitation)
}

type memberListInput struct {
	route.PageQuery
	Role string `query:"role" enum:"owner,admin,staff,client" doc:"Only members with this role."`
}

func (s *API) handleListMembers(ctx context.Context, in *memberListInput) (*memberListOutput, error) {
	var f members.Filter
	if in.Role != "" {
		r := tenant.Role(in.Role)
		f.Role = &r
	}
	list, err := route.Keyset(ctx, in.PageQuery, func(p keyset.Page[members.Key]) ([]members.Member, *members.Key, error) {
		f.Page = p
		return s.members.List(ctx, f)
	}, memberViewOf)
	return &memberListOutput{Body: list}, err
}

func (s *API) handleChangeRole(ctx context.Context, in *roleInput) (*memberOutput, error) {
	return withID(in.ID, "member", func(id uuid.UUID) (*memberOutput, error) {
		m, err := s.members.ChangeRole(ctx, id, tenant.Role(in.Body.Role))
		return &memberOutput{Body: memberViewOf(m)}, err
	})
}

func (s *API) handleListInvitations(ctx context.Context, _ *struct{}) (*invitationListOutput, error) {
	is, err := s.members.ListInvitations(ctx)
	return &invitationListOutput{Body: listOf(is, invitationViewOf)}, err
}

func (s *API) handleInvite(ctx context.Context, in *inviteInput) (*invitationOutput, error) {
	inv, err := s.members.Invite(ctx, in.Body.Email, tenant.Role(in.Body.Role), in.Body.DisplayName)
	if err != nil {
		return nil, err
	}
	return &invitationOutput{Body: invitationViewOf(inv)}, nil
}

func (s *API) handleAcceptInvitation(ctx context.Context, in *acceptInput) (*sessionOutput, error) {
	h, _ := route.HostFrom(ctx)
	is, err := s.auth.AcceptInvitation(ctx, h.Tenant, in.Body.Token, in.Body.Password, route.ClientFrom(ctx))
	if err != nil {
		return nil, err
	}
	return s.issuedOutput(is, h, nil, "/"), nil
}

// deleteByID is the handler of an operation that ends the item {id} (a
// what) with del and answers 204.
func deleteByID(what string, del func(context.Context, uuid.UUID) error) func(context.Context, *idPath) (*noContent, error) {
	return func(ctx context.Context, in *idPath) (*noContent, error) {
		return withID(in.ID, what, func(id uuid.UUID) (*noContent, error) { return &noContent{}, del(ctx, id) })
	}
}
