package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/web/route"
)

type supportReadView struct {
	At    time.Time `json:"at"`
	Table string    `json:"table" doc:"The table read, or (tables) for the list of tables and counts."`
	Rows  int64     `json:"rows"`
}

type supportGrantView struct {
	ID        string            `json:"id" format:"uuid"`
	Operator  string            `json:"operator" doc:"Who holds (or held) the access."`
	Reason    string            `json:"reason"`
	CreatedAt time.Time         `json:"created_at"`
	ExpiresAt time.Time         `json:"expires_at"`
	EndedAt   *time.Time        `json:"ended_at"`
	EndedBy   string            `json:"ended_by"`
	Live      bool              `json:"live" doc:"Neither ended nor expired: the operator can read the organization's data."`
	Reads     []supportReadView `json:"reads" doc:"The reads made under it, newest first."`
}

func supportGrantViewOf(g tenants.SupportGrant) supportGrantView {
	v := supportGrantView{ID: g.ID.String(), Operator: g.Actor, Reason: g.Reason, CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt,
		EndedAt: g.EndedAt, EndedBy: g.EndedBy, Live: g.Live, Reads: make([]supportReadView, 0, len(g.Reads))}
	for _, r := range g.Reads {
		v.Reads = append(v.Reads, supportReadView(r))
	}
	return v
}

func (s *API) registerSupport() {
	owner := route.Member(tenant.RoleOwner)
	tags := []string{"support"}
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "list-support-access", Method: http.MethodGet, Path: "/api/support-access", Tags: tags,
		Summary: "The support access operators hold to the organization",
		Description: "An operator of the platform reads an organization's data only under a time-boxed grant with a reason. " +
			"The latest grants, live or not, newest first, each with the reads made under it.",
	}, owner, s.handleListSupport)
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "end-support-access", Method: http.MethodPost, Path: "/api/support-access/{id}/end", Tags: tags,
		Summary:     "End a support access now",
		Description: "The operator's reads are refused from then on. A grant already over is answered as it is.",
		Errors:      []int{404},
	}, owner, s.handleEndSupport)
}

type supportListOutput struct {
	Body route.List[supportGrantView]
}

func (s *API) handleListSupport(ctx context.Context, _ *struct{}) (*supportListOutput, error) {
	list, err := s.support.List(ctx)
	if err != nil {
		return nil, err
	}
	return &supportListOutput{Body: listOf(list, supportGrantViewOf)}, nil
}

func (s *API) handleEndSupport(ctx context.Context, in *idPath) (*body[supportGrantView], error) {
	return withID(in.ID, "support grant", func(id uuid.UUID) (*body[supportGrantView], error) {
		g, err := s.support.End(ctx, id)
		return answer(supportGrantViewOf, g, err)
	})
}
