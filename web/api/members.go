package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/auth"
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

func memberViewOf(m auth.Member) memberView {
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

func invitationViewOf(i auth.Invitation) invitationView {
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
		OperationID: opListMembers, Method: http.MethodGet, Path: "/api/members", Tags: []string{"members"},
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
	}, admin, s.deleteByID("member", s.auth.RemoveMember))
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
	}, admin, s.deleteByID("invitation", s.auth.RevokeInvitation))
	route.Operation(s.t, api, huma.Operation{
		OperationID: "accept-invitation", Method: http.MethodPost, Path: "/api/invitations/accept", Tags: []string{"members"},
		Summary: "Accept an invitation and sign in",
		Description: "With the token of the mailed link. An address without an account gets one with the password given; an existing account " +
			"gives its password (wrong ones count toward the sign-in limits, and " + strconv.Itoa(auth.MaxInvitationFailures) +
			" revoke the invitation); an existing account without a password sets one with a password reset first (409).",
		Errors: []int{401, 409, 422, 429},
	}, route.Public, s.handleAcceptInvitation)
}

const opListMembers = "list-members"

type memberListInput struct {
	Cursor string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
	Role   string `query:"role" enum:"owner,admin,staff,client" doc:"Only members with this role."`
}

func (s *API) handleListMembers(ctx context.Context, in *memberListInput) (*memberListOutput, error) {
	scope := tenant.MustScope(ctx)
	f := auth.MemberFilter{Limit: in.Limit}
	if in.Role != "" {
		r := tenant.Role(in.Role)
		f.Role = &r
	}
	var after auth.MemberKey
	if ok, err := s.cursors.Decode(scope, opListMembers, in.Cursor, &after); err != nil {
		return nil, s.problems.APIError(ctx, err)
	} else if ok {
		f.After = &after
	}
	ms, next, err := s.auth.ListMembers(ctx, f)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &memberListOutput{}
	out.Body.Items = make([]memberView, 0, len(ms))
	for _, m := range ms {
		out.Body.Items = append(out.Body.Items, memberViewOf(m))
	}
	if next != nil {
		out.Body.NextCursor = s.cursors.Encode(scope, opListMembers, next)
	}
	return out, nil
}

func (s *API) handleChangeRole(ctx context.Context, in *roleInput) (*memberOutput, error) {
	id, err := route.ParseID(in.ID, "member")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	m, err := s.auth.ChangeRole(ctx, id, tenant.Role(in.Body.Role))
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &memberOutput{Body: memberViewOf(m)}, nil
}

func (s *API) handleListInvitations(ctx context.Context, _ *struct{}) (*invitationListOutput, error) {
	is, err := s.auth.ListInvitations(ctx)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &invitationListOutput{}
	out.Body.Items = make([]invitationView, 0, len(is))
	for _, i := range is {
		out.Body.Items = append(out.Body.Items, invitationViewOf(i))
	}
	return out, nil
}

func (s *API) handleInvite(ctx context.Context, in *inviteInput) (*invitationOutput, error) {
	inv, err := s.auth.Invite(ctx, in.Body.Email, tenant.Role(in.Body.Role), in.Body.DisplayName)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &invitationOutput{Body: invitationViewOf(inv)}, nil
}

func (s *API) handleAcceptInvitation(ctx context.Context, in *acceptInput) (*sessionOutput, error) {
	h, _ := route.HostFrom(ctx)
	is, err := s.auth.AcceptInvitation(ctx, h.Tenant, in.Body.Token, in.Body.Password, route.ClientFrom(ctx))
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return s.issuedOutput(is, h, nil, "/"), nil
}

// deleteByID is the handler of an operation that ends the item {id} (a
// what) with del and answers 204.
func (s *API) deleteByID(what string, del func(context.Context, uuid.UUID) error) func(context.Context, *idPath) (*noContent, error) {
	return func(ctx context.Context, in *idPath) (*noContent, error) {
		id, err := route.ParseID(in.ID, what)
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		if err := del(ctx, id); err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		return &noContent{}, nil
	}
}
