package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

type sessionItemView struct {
	ID            string    `json:"id" format:"uuid"`
	CreatedAt     time.Time `json:"created_at"`
	LastUsedAt    time.Time `json:"last_used_at" doc:"Recorded at most once a minute."`
	ExpiresAt     time.Time `json:"expires_at"`
	UserAgent     string    `json:"user_agent" doc:"The device that signed in."`
	ClientAddress string    `json:"client_address" doc:"The address it signed in from."`
	Current       bool      `json:"current" doc:"The session of this request."`
}

func sessionItemOf(s auth.SessionInfo) sessionItemView {
	return sessionItemView{ID: s.ID.String(), CreatedAt: s.CreatedAt, LastUsedAt: s.LastUsedAt, ExpiresAt: s.ExpiresAt,
		UserAgent: s.UserAgent, ClientAddress: s.ClientAddress, Current: s.Current}
}

type sessionListOutput struct {
	Body route.List[sessionItemView]
}

type endedView struct {
	Ended int64 `json:"ended" doc:"How many sessions ended."`
}

func (s *API) registerSessions() {
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "list-sessions", Method: http.MethodGet, Path: "/api/auth/sessions", Tags: []string{"auth"},
		Summary:     "My sessions in this organization",
		Description: "The signed-in member's sessions that still work (not ended, expired or idle past the organization's idle timeout), most recently used first; the current one is marked.",
	}, route.Member(tenant.RoleClient), s.handleListSessions)
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "end-session", Method: http.MethodDelete, Path: "/api/auth/sessions/{id}", Tags: []string{"auth"},
		Summary: "End one of my sessions", DefaultStatus: http.StatusNoContent,
		Description: "Its token is refused from its next request on. Another member's session reads as missing.",
		Errors:      []int{404},
	}, route.Member(tenant.RoleClient), deleteByID("session", s.auth.EndSession))
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "end-member-sessions", Method: http.MethodPost, Path: "/api/members/{id}/end-sessions", Tags: []string{"members"},
		Summary:     "End every session of a member",
		Description: "Each of the member's tokens in this organization is refused from its next request on. Only owners end owners' sessions.",
		Errors:      []int{403, 404},
	}, route.Member(tenant.RoleAdmin), s.handleEndMemberSessions)
}

func (s *API) handleListSessions(ctx context.Context, _ *struct{}) (*sessionListOutput, error) {
	p, _ := route.PrincipalFrom(ctx)
	list, err := s.auth.Sessions(ctx, p)
	if err != nil {
		return nil, err
	}
	return &sessionListOutput{Body: listOf(list, sessionItemOf)}, nil
}

func (s *API) handleEndMemberSessions(ctx context.Context, in *idPath) (*body[endedView], error) {
	return withID(in.ID, "member", func(id uuid.UUID) (*body[endedView], error) {
		n, err := s.members.EndSessions(ctx, id)
		return answer(func(n int64) endedView { return endedView{Ended: n} }, n, err)
	})
}
