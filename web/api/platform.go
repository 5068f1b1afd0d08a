package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/web/route"
)

// The tenant lifecycle for platform operators, on the apex host: the
// operations of `tenantkit tenant`, each calling tenants.Admin with the
// operator's account as the Operator, so each is audited as the CLI's
// are. Only an account holding an operator grant (given by `tenantkit
// operator grant`) passes the route policy.

type platformTenantView struct {
	ID        string    `json:"id" format:"uuid"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Status    string    `json:"status" enum:"active,suspended"`
	URL       string    `json:"url" doc:"The organization's address."`
	Members   *int64    `json:"members,omitempty" doc:"Its live members (in the list)."`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

func (s *API) platformTenantViewOf(t tenant.Tenant) platformTenantView {
	return platformTenantView{ID: t.ID.String(), Slug: t.Slug, Name: t.Name, Status: string(t.Status), URL: s.urls.Tenant(t.Slug, "/")}
}

type reasonBody struct {
	Reason string `json:"reason" minLength:"1" maxLength:"1000" doc:"Why: recorded in the platform audit log and the organization's."`
}

type platformReasonInput struct {
	ID   string `path:"tenant_id" format:"uuid" doc:"The organization's id."`
	Body reasonBody
}

type platformCreateInput struct {
	Body struct {
		Slug   string `json:"slug" minLength:"1" maxLength:"63" doc:"The organization's slug: its host is {slug}.{base domain}."`
		Name   string `json:"name" minLength:"1" maxLength:"200"`
		Reason string `json:"reason" minLength:"1" maxLength:"1000" doc:"Why: recorded in the platform audit log and the organization's."`
	}
}

type platformDeleteInput struct {
	ID   string `path:"tenant_id" format:"uuid" doc:"The organization's id."`
	Body struct {
		Reason  string `json:"reason" minLength:"1" maxLength:"1000" doc:"Why: recorded in the platform audit log and the organization's."`
		DryRun  bool   `json:"dry_run,omitempty" doc:"Count, per table, the rows that would go; delete nothing."`
		Confirm string `json:"confirm,omitempty" maxLength:"63" doc:"The organization's slug again: required to delete (not with dry_run)."`
	}
}

type platformExportInput struct {
	ID     string `path:"tenant_id" format:"uuid" doc:"The organization's id."`
	Reason string `query:"reason" required:"true" minLength:"1" maxLength:"1000" doc:"Why: recorded in the platform audit log and the organization's."`
}

func (s *API) registerPlatform() {
	tags := []string{"platform"}
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "list-platform-tenants", Method: http.MethodGet, Path: "/api/platform/tenants", Tags: tags,
		Summary: "Every organization, its status and members (operators only)",
		Errors:  []int{401, 403},
	}, route.Operator, s.handlePlatformTenants)
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "create-platform-tenant", Method: http.MethodPost, Path: "/api/platform/tenants", Tags: tags,
		Summary:       "Create an organization (operators only)",
		Description:   "A new, active organization with its settings and no members: its first owner joins by invitation or signs up.",
		DefaultStatus: http.StatusCreated, Errors: []int{401, 403, 409, 422},
	}, route.Operator, s.handlePlatformCreate)
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "suspend-platform-tenant", Method: http.MethodPost, Path: "/api/platform/tenants/{tenant_id}/suspend", Tags: tags,
		Summary:     "Suspend an organization (operators only)",
		Description: "Its hosts answer 403, and the database refuses its rows to the application. Suspending a suspended organization changes nothing.",
		Errors:      []int{401, 403, 404, 422},
	}, route.Operator, s.handlePlatformSuspend)
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "resume-platform-tenant", Method: http.MethodPost, Path: "/api/platform/tenants/{tenant_id}/resume", Tags: tags,
		Summary: "Serve a suspended organization again (operators only)",
		Errors:  []int{401, 403, 404, 422},
	}, route.Operator, s.handlePlatformResume)
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "delete-platform-tenant", Method: http.MethodPost, Path: "/api/platform/tenants/{tenant_id}/delete", Tags: tags,
		Summary: "Delete a suspended organization, or count what would go (operators only)",
		Description: "With dry_run, counts per table the rows that would go. Otherwise confirm must repeat the slug: the rows go in batches, " +
			"then a verification finds none of the organization's rows left in any table; the report is kept in the platform audit log.",
		Errors: []int{401, 403, 404, 409, 422},
	}, route.Operator, s.handlePlatformDelete)
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "export-platform-tenant", Method: http.MethodGet, Path: "/api/platform/tenants/{tenant_id}/export", Tags: tags,
		Summary:     "Export every row of an organization (operators only)",
		Description: "A zip, streamed: one NDJSON file per table and a manifest of counts and checksums.",
		Errors:      []int{401, 403, 404, 422},
		Responses: map[string]*huma.Response{"200": {Description: "The archive.", Content: map[string]*huma.MediaType{
			"application/zip": {Schema: &huma.Schema{Type: "string", Format: "binary"}}}}},
	}, route.Operator, s.handlePlatformExport)
}

// operatorOf is the signed-in operator acting with reason.
func operatorOf(ctx context.Context, reason string) tenants.Operator {
	p, _ := route.PrincipalFrom(ctx)
	account := p.Session.AccountID
	return tenants.Operator{Actor: account.String(), Reason: reason, Account: &account}
}

// platformTenant finds the organization of in's path for op.
func (s *API) platformTenant(ctx context.Context, op tenants.Operator, raw string) (tenant.Tenant, error) {
	id, err := route.ParseID(raw, "organization")
	if err != nil {
		return tenant.Tenant{}, err
	}
	return s.admin.Find(ctx, op, id)
}

type platformTenantListOutput struct {
	Body route.List[platformTenantView]
}

func (s *API) handlePlatformTenants(ctx context.Context, _ *struct{}) (*platformTenantListOutput, error) {
	list, err := s.admin.List(ctx, operatorOf(ctx, "an operator lists the organizations"))
	if err != nil {
		return nil, err
	}
	return &platformTenantListOutput{Body: listOf(list, func(t tenants.Summary) platformTenantView {
		v := s.platformTenantViewOf(t.Tenant)
		v.Members, v.CreatedAt = &t.Members, t.CreatedAt.UTC()
		return v
	})}, nil
}

func (s *API) handlePlatformCreate(ctx context.Context, in *platformCreateInput) (*body[platformTenantView], error) {
	t, err := s.admin.Create(ctx, operatorOf(ctx, in.Body.Reason), in.Body.Slug, in.Body.Name)
	return answer(s.platformTenantViewOf, t, err)
}

func (s *API) handlePlatformSuspend(ctx context.Context, in *platformReasonInput) (*body[platformTenantView], error) {
	return s.platformStatus(ctx, in, s.admin.Suspend)
}

func (s *API) handlePlatformResume(ctx context.Context, in *platformReasonInput) (*body[platformTenantView], error) {
	return s.platformStatus(ctx, in, s.admin.Resume)
}

func (s *API) platformStatus(ctx context.Context, in *platformReasonInput,
	change func(context.Context, tenants.Operator, string) (tenant.Tenant, error)) (*body[platformTenantView], error) {
	op := operatorOf(ctx, in.Body.Reason)
	t, err := s.platformTenant(ctx, op, in.ID)
	if err != nil {
		return nil, err
	}
	t, err = change(ctx, op, t.Slug)
	return answer(s.platformTenantViewOf, t, err)
}

func (s *API) handlePlatformDelete(ctx context.Context, in *platformDeleteInput) (*body[tenants.DeleteReport], error) {
	op := operatorOf(ctx, in.Body.Reason)
	if !in.Body.DryRun && in.Body.Confirm == "" {
		return nil, &tenant.Error{Code: tenant.CodeInvalid, Message: "deleting cannot be undone: count with dry_run first, then confirm with the slug",
			Fields: map[string]string{"body.confirm": "the organization's slug, or dry_run"}}
	}
	t, err := s.platformTenant(ctx, op, in.ID)
	if err != nil {
		return nil, err
	}
	if !in.Body.DryRun && in.Body.Confirm != t.Slug {
		return nil, &tenant.Error{Code: tenant.CodeInvalid, Message: "confirm must repeat the organization's slug",
			Fields: map[string]string{"body.confirm": "the organization's slug"}}
	}
	rep, err := s.admin.Delete(ctx, op, t.Slug, tenants.DeleteOptions{DryRun: in.Body.DryRun})
	if err != nil {
		return nil, err
	}
	return &body[tenants.DeleteReport]{Body: rep}, nil
}

func (s *API) handlePlatformExport(ctx context.Context, in *platformExportInput) (*huma.StreamResponse, error) {
	op := operatorOf(ctx, in.Reason)
	t, err := s.platformTenant(ctx, op, in.ID)
	if err != nil {
		return nil, err
	}
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "application/zip")
		hctx.SetHeader("Content-Disposition", `attachment; filename="`+t.Slug+`.zip"`)
		hctx.SetStatus(http.StatusOK)
		if _, err := s.admin.Export(ctx, op, t.Slug, hctx.BodyWriter(), nil); err != nil {
			s.t.Logger().ErrorContext(ctx, "export failed while streaming", slog.String("target_tenant_id", t.ID.String()), slog.Any("error", err))
		}
	}}, nil
}
