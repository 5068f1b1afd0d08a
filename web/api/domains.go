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

type domainView struct {
	ID         string     `json:"id" format:"uuid"`
	Domain     string     `json:"domain"`
	Verified   bool       `json:"verified" doc:"Whether the domain serves the organization."`
	VerifiedAt *time.Time `json:"verified_at"`
	CreatedAt  time.Time  `json:"created_at"`
	TXTName    string     `json:"txt_name" doc:"The DNS name of the TXT record that proves the organization controls the domain: _tenantkit.<domain>."`
	TXTValue   string     `json:"txt_value" doc:"What the TXT record must hold."`
}

func domainViewOf(d tenants.Domain) domainView {
	return domainView{ID: d.ID.String(), Domain: d.Name, Verified: d.Verified, VerifiedAt: d.VerifiedAt, CreatedAt: d.CreatedAt,
		TXTName: d.TXTName, TXTValue: d.Token}
}

type addDomainInput struct {
	Body struct {
		Domain string `json:"domain" minLength:"1" maxLength:"253" example:"www.example-firm.com" doc:"A domain name the organization controls, such as www.example-firm.com (an international name in its xn-- form)."`
	}
}

func (s *API) registerDomains() {
	admin := route.Member(tenant.RoleAdmin)
	tags := []string{"domains"}
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "list-domains", Method: http.MethodGet, Path: "/api/domains", Tags: tags,
		Summary: "List the organization's custom domains", Description: "Verified or not, by name.",
	}, admin, s.handleListDomains)
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "add-domain", Method: http.MethodPost, Path: "/api/domains", Tags: tags,
		Summary: "Register a custom domain", DefaultStatus: http.StatusCreated, Errors: []int{409, 422},
		Description: "The domain serves the organization only once verified: publish txt_value as a TXT record at txt_name, then verify. " +
			"A domain that serves another organization is refused.",
	}, admin, s.handleAddDomain, route.Idempotent)
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "verify-domain", Method: http.MethodPost, Path: "/api/domains/{id}/verify", Tags: tags,
		Summary: "Verify a custom domain",
		Description: "Looks up the TXT record txt_name: when it holds txt_value, the domain serves the organization from then on " +
			"(sign-in, pages and API, as on its subdomain). 409 while the record does not hold it, or when another organization verified the domain first.",
		Errors: []int{404, 409, 503},
	}, admin, s.handleVerifyDomain)
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "remove-domain", Method: http.MethodDelete, Path: "/api/domains/{id}", Tags: tags,
		Summary: "Remove a custom domain", DefaultStatus: http.StatusNoContent, Errors: []int{404},
		Description: "The domain answers 404 from then on; registering it again takes a new token and a new verification.",
	}, admin, deleteByID("domain", s.domains.Remove))
}

type domainListOutput struct {
	Body route.List[domainView]
}

func (s *API) handleListDomains(ctx context.Context, _ *struct{}) (*domainListOutput, error) {
	list, err := s.domains.List(ctx)
	if err != nil {
		return nil, err
	}
	return &domainListOutput{Body: listOf(list, domainViewOf)}, nil
}

func (s *API) handleAddDomain(ctx context.Context, in *addDomainInput) (*body[domainView], error) {
	d, err := s.domains.Add(ctx, in.Body.Domain)
	return answer(domainViewOf, d, err)
}

func (s *API) handleVerifyDomain(ctx context.Context, in *idPath) (*body[domainView], error) {
	return withID(in.ID, "domain", func(id uuid.UUID) (*body[domainView], error) {
		d, err := s.domains.Verify(ctx, id)
		return answer(domainViewOf, d, err)
	})
}
