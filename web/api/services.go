package api

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

type serviceView struct {
	ID                   string     `json:"id" format:"uuid"`
	Slug                 string     `json:"slug"`
	Name                 string     `json:"name"`
	Description          string     `json:"description"`
	DurationMinutes      int32      `json:"duration_minutes"`
	PriceMinor           int64      `json:"price_minor" doc:"Price in minor units of the currency (cents)."`
	Currency             string     `json:"currency" doc:"ISO 4217 code."`
	Active               bool       `json:"active"`
	RequiresConfirmation bool       `json:"requires_confirmation" doc:"Bookings of this service stay pending until staff confirm them."`
	ArchivedAt           *time.Time `json:"archived_at,omitempty"`
	Version              int32      `json:"version"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
}

func serviceViewOf(s catalog.Service) serviceView {
	return serviceView{
		ID: s.ID.String(), Slug: s.Slug, Name: s.Name, Description: s.Description, DurationMinutes: s.DurationMinutes,
		PriceMinor: s.PriceMinor, Currency: s.Currency, Active: s.Active, RequiresConfirmation: s.RequiresConfirmation,
		ArchivedAt: s.ArchivedAt, Version: s.Version, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// publicServiceView is what the public sees of a service.
type publicServiceView struct {
	Slug            string `json:"slug"`
	Name            string `json:"name"`
	Description     string `json:"description"`
	DurationMinutes int32  `json:"duration_minutes"`
	PriceMinor      int64  `json:"price_minor"`
	Currency        string `json:"currency"`
}

type serviceOutput struct {
	ETag string `header:"ETag"`
	Body serviceView
}

func serviceOut(s catalog.Service) *serviceOutput {
	return &serviceOutput{ETag: route.ETag(int64(s.Version)), Body: serviceViewOf(s)}
}

type serviceListInput struct {
	Cursor          string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit           int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
	Active          string `query:"active" enum:"true,false" doc:"Only active (true) or inactive (false) services."`
	IncludeArchived bool   `query:"include_archived" doc:"Include archived services."`
	Q               string `query:"q" maxLength:"200" doc:"Names containing this text, case-insensitively."`
}

type serviceListOutput struct {
	Body route.List[serviceView]
}

type serviceBody struct {
	Slug                 string `json:"slug" minLength:"1" maxLength:"80" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$"`
	Name                 string `json:"name" minLength:"1" maxLength:"200"`
	Description          string `json:"description,omitempty" maxLength:"10000"`
	DurationMinutes      int32  `json:"duration_minutes" minimum:"5" maximum:"1440"`
	PriceMinor           int64  `json:"price_minor" minimum:"0" maximum:"100000000000"`
	Currency             string `json:"currency" pattern:"^[A-Z]{3}$"`
	Active               *bool  `json:"active,omitempty" doc:"Defaults to true."`
	RequiresConfirmation bool   `json:"requires_confirmation,omitempty"`
}

type createServiceInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Retry-safe creation: the same key and payload get the original response."`
	Body           serviceBody
}

type serviceIDInput struct {
	ID string `path:"id" format:"uuid"`
}

type updateServiceInput struct {
	ID      string `path:"id" format:"uuid"`
	IfMatch string `header:"If-Match" doc:"The ETag last read; a stale one is refused with 412."`
	Body    struct {
		Slug                 *string `json:"slug,omitempty" minLength:"1" maxLength:"80" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$"`
		Name                 *string `json:"name,omitempty" minLength:"1" maxLength:"200"`
		Description          *string `json:"description,omitempty" maxLength:"10000"`
		DurationMinutes      *int32  `json:"duration_minutes,omitempty" minimum:"5" maximum:"1440"`
		PriceMinor           *int64  `json:"price_minor,omitempty" minimum:"0" maximum:"100000000000"`
		Currency             *string `json:"currency,omitempty" pattern:"^[A-Z]{3}$"`
		Active               *bool   `json:"active,omitempty"`
		RequiresConfirmation *bool   `json:"requires_confirmation,omitempty"`
	}
}

type serviceStateInput struct {
	ID      string `path:"id" format:"uuid"`
	IfMatch string `header:"If-Match"`
}

type cloneServiceInput struct {
	ID             string `path:"id" format:"uuid"`
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Retry-safe creation: the same key and payload get the original response."`
	Body           struct {
		Slug string `json:"slug" minLength:"1" maxLength:"80" pattern:"^[a-z0-9]+(-[a-z0-9]+)*$"`
		Name string `json:"name" minLength:"1" maxLength:"200"`
	}
}

type bulkInput struct {
	Body struct {
		IDs []string `json:"ids" minItems:"1" maxItems:"200" doc:"All must be this organization's, or nothing changes (404)."`
	}
}

type bulkOutput struct {
	Body struct {
		Changed int `json:"changed"`
	}
}

type slugCheckInput struct {
	Slug string `path:"slug" maxLength:"80"`
}

type slugCheckOutput struct {
	Body struct {
		Slug      string `json:"slug"`
		Available bool   `json:"available"`
	}
}

type versionView struct {
	Version       int32           `json:"version"`
	Snapshot      json.RawMessage `json:"snapshot" doc:"The service as it was after this change."`
	ChangedBy     string          `json:"changed_by,omitempty" format:"uuid"`
	ChangedByName string          `json:"changed_by_name,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
}

type versionsOutput struct {
	Body struct {
		Items []versionView `json:"items"`
	}
}

type statsOutput struct {
	Body struct {
		Bookings      int64      `json:"bookings"`
		Open          int64      `json:"open" doc:"Pending or confirmed bookings."`
		Completed     int64      `json:"completed"`
		Cancelled     int64      `json:"cancelled"`
		Requests      int64      `json:"requests"`
		RevenueMinor  int64      `json:"revenue_minor" doc:"Sum of completed bookings' prices."`
		Currency      string     `json:"currency"`
		LastBookingAt *time.Time `json:"last_booking_at,omitempty"`
	}
}

type publicServicesOutput struct {
	Body struct {
		Items []publicServiceView `json:"items"`
	}
}

const opListServices = "list-services"

func (s *API) registerServices() {
	api := route.TenantHost
	staff := route.Member(tenant.RoleStaff)
	admin := route.Member(tenant.RoleAdmin)
	tags := []string{"services"}
	route.Operation(s.t, api, huma.Operation{OperationID: opListServices, Method: http.MethodGet, Path: "/api/services", Tags: tags,
		Summary: "List services", Description: "Ordered by name. Archived services only with include_archived."}, staff, s.handleListServices)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-service", Method: http.MethodPost, Path: "/api/services", Tags: tags,
		Summary: "Create a service", DefaultStatus: http.StatusCreated, Errors: []int{409, 422}}, staff,
		route.Idempotent(s.t, "create-service", s.handleCreateService))
	route.Operation(s.t, api, huma.Operation{OperationID: "export-services", Method: http.MethodGet, Path: "/api/services/export", Tags: tags,
		Summary:   "Export every service as CSV (streamed)",
		Responses: map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{"text/csv": {}}}}},
		staff, s.handleExportServices)
	route.Operation(s.t, api, huma.Operation{OperationID: "check-service-slug", Method: http.MethodGet, Path: "/api/slug-check/services/{slug}", Tags: tags,
		Summary: "Is this slug free?"}, staff, s.handleSlugCheck)
	route.Operation(s.t, api, huma.Operation{OperationID: "bulk-activate-services", Method: http.MethodPost, Path: "/api/services/bulk/activate", Tags: tags,
		Summary: "Activate services: all of them, or none"}, staff, s.bulkActive(true))
	route.Operation(s.t, api, huma.Operation{OperationID: "bulk-deactivate-services", Method: http.MethodPost, Path: "/api/services/bulk/deactivate", Tags: tags,
		Summary: "Deactivate services: all of them, or none"}, staff, s.bulkActive(false))
	route.Operation(s.t, api, huma.Operation{OperationID: "bulk-delete-services", Method: http.MethodPost, Path: "/api/services/bulk/delete", Tags: tags,
		Summary: "Delete services: all of them, or none", Errors: []int{404, 409}}, admin, s.handleBulkDelete)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-service", Method: http.MethodGet, Path: "/api/services/{id}", Tags: tags,
		Summary: "Get a service"}, staff, s.handleGetService)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-service", Method: http.MethodPatch, Path: "/api/services/{id}", Tags: tags,
		Summary: "Change a service", Description: "Records a new version. Send If-Match with the ETag to refuse a stale write (412).",
		Errors: []int{404, 409, 412, 422}}, staff, s.handleUpdateService)
	route.Operation(s.t, api, huma.Operation{OperationID: "archive-service", Method: http.MethodPost, Path: "/api/services/{id}/archive", Tags: tags,
		Summary: "Archive a service (it becomes inactive)"}, staff, s.serviceState(s.catalog.ArchiveService))
	route.Operation(s.t, api, huma.Operation{OperationID: "unarchive-service", Method: http.MethodPost, Path: "/api/services/{id}/unarchive", Tags: tags,
		Summary: "Bring an archived service back (inactive)"}, staff, s.serviceState(s.catalog.UnarchiveService))
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-service", Method: http.MethodDelete, Path: "/api/services/{id}", Tags: tags,
		Summary: "Delete a service and its history", DefaultStatus: http.StatusNoContent, Errors: []int{404, 409}}, admin, s.handleDeleteService)
	route.Operation(s.t, api, huma.Operation{OperationID: "clone-service", Method: http.MethodPost, Path: "/api/services/{id}/clone", Tags: tags,
		Summary: "Copy a service under a new slug (inactive)", DefaultStatus: http.StatusCreated, Errors: []int{404, 409}}, staff,
		route.Idempotent(s.t, "clone-service", s.handleCloneService))
	route.Operation(s.t, api, huma.Operation{OperationID: "list-service-versions", Method: http.MethodGet, Path: "/api/services/{id}/versions", Tags: tags,
		Summary: "A service's history, newest first"}, staff, s.handleServiceVersions)
	route.Operation(s.t, api, huma.Operation{OperationID: "service-stats", Method: http.MethodGet, Path: "/api/services/{id}/stats", Tags: tags,
		Summary: "A service's booking and request figures"}, staff, s.handleServiceStats)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-public-services", Method: http.MethodGet, Path: "/api/public/services", Tags: []string{"public"},
		Summary: "The organization's services, as the public sees them"}, route.Public, s.handlePublicServices)
}

func (s *API) handleListServices(ctx context.Context, in *serviceListInput) (*serviceListOutput, error) {
	scope := tenant.MustScope(ctx)
	f := catalog.ServiceFilter{IncludeArchived: in.IncludeArchived, Limit: in.Limit}
	if in.Active != "" {
		a := in.Active == "true"
		f.Active = &a
	}
	if in.Q != "" {
		f.Query = &in.Q
	}
	var after catalog.ServiceKey
	if ok, err := s.cursors.Decode(scope, opListServices, in.Cursor, &after); err != nil {
		return nil, s.problems.APIError(ctx, err)
	} else if ok {
		f.After = &after
	}
	items, next, err := s.catalog.FindServices(ctx, f)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &serviceListOutput{}
	out.Body.Items = make([]serviceView, 0, len(items))
	for _, it := range items {
		out.Body.Items = append(out.Body.Items, serviceViewOf(it))
	}
	if next != nil {
		out.Body.NextCursor = s.cursors.Encode(scope, opListServices, next)
	}
	return out, nil
}

func (s *API) handleCreateService(ctx context.Context, in *createServiceInput) (*serviceOutput, error) {
	active := true
	if in.Body.Active != nil {
		active = *in.Body.Active
	}
	svc, err := s.catalog.CreateService(ctx, catalog.ServiceInput{
		Slug: in.Body.Slug, Name: in.Body.Name, Description: in.Body.Description, DurationMinutes: in.Body.DurationMinutes,
		PriceMinor: in.Body.PriceMinor, Currency: in.Body.Currency, Active: active, RequiresConfirmation: in.Body.RequiresConfirmation,
	})
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return serviceOut(svc), nil
}

func (s *API) handleGetService(ctx context.Context, in *serviceIDInput) (*serviceOutput, error) {
	id, err := route.ParseID(in.ID, "service")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	svc, err := s.catalog.FindServiceByID(ctx, id)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return serviceOut(svc), nil
}

func (s *API) handleUpdateService(ctx context.Context, in *updateServiceInput) (*serviceOutput, error) {
	id, err := route.ParseID(in.ID, "service")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	v, err := serviceVersion(in.IfMatch)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	b := in.Body
	svc, err := s.catalog.UpdateService(ctx, id, catalog.ServiceUpdate{
		Slug: b.Slug, Name: b.Name, Description: b.Description, DurationMinutes: b.DurationMinutes, PriceMinor: b.PriceMinor,
		Currency: b.Currency, Active: b.Active, RequiresConfirmation: b.RequiresConfirmation,
	}, v)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return serviceOut(svc), nil
}

func (s *API) serviceState(change func(context.Context, uuid.UUID, *int32) (catalog.Service, error)) func(context.Context, *serviceStateInput) (*serviceOutput, error) {
	return func(ctx context.Context, in *serviceStateInput) (*serviceOutput, error) {
		id, err := route.ParseID(in.ID, "service")
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		v, err := serviceVersion(in.IfMatch)
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		svc, err := change(ctx, id, v)
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		return serviceOut(svc), nil
	}
}

func (s *API) handleDeleteService(ctx context.Context, in *serviceIDInput) (*noContent, error) {
	id, err := route.ParseID(in.ID, "service")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if err := s.catalog.DeleteService(ctx, id); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &noContent{}, nil
}

func (s *API) handleCloneService(ctx context.Context, in *cloneServiceInput) (*serviceOutput, error) {
	id, err := route.ParseID(in.ID, "service")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	svc, err := s.catalog.CloneService(ctx, id, in.Body.Slug, in.Body.Name)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return serviceOut(svc), nil
}

func (s *API) bulkActive(active bool) func(context.Context, *bulkInput) (*bulkOutput, error) {
	return func(ctx context.Context, in *bulkInput) (*bulkOutput, error) {
		ids, err := route.ParseIDs(in.Body.IDs, "one or more services")
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		n, err := s.catalog.SetServicesActive(ctx, ids, active)
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		out := &bulkOutput{}
		out.Body.Changed = n
		return out, nil
	}
}

func (s *API) handleBulkDelete(ctx context.Context, in *bulkInput) (*bulkOutput, error) {
	ids, err := route.ParseIDs(in.Body.IDs, "one or more services")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	n, err := s.catalog.DeleteServices(ctx, ids)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &bulkOutput{}
	out.Body.Changed = n
	return out, nil
}

func (s *API) handleSlugCheck(ctx context.Context, in *slugCheckInput) (*slugCheckOutput, error) {
	ok, err := s.catalog.SlugAvailable(ctx, in.Slug)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &slugCheckOutput{}
	out.Body.Slug, out.Body.Available = in.Slug, ok
	return out, nil
}

func (s *API) handleServiceVersions(ctx context.Context, in *serviceIDInput) (*versionsOutput, error) {
	id, err := route.ParseID(in.ID, "service")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	vs, err := s.catalog.ServiceVersions(ctx, id)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &versionsOutput{}
	out.Body.Items = make([]versionView, 0, len(vs))
	for _, v := range vs {
		vv := versionView{Version: v.Version, Snapshot: v.Snapshot, ChangedByName: v.ChangedByName, CreatedAt: v.CreatedAt}
		if v.ChangedBy != nil {
			vv.ChangedBy = v.ChangedBy.String()
		}
		out.Body.Items = append(out.Body.Items, vv)
	}
	return out, nil
}

func (s *API) handleServiceStats(ctx context.Context, in *serviceIDInput) (*statsOutput, error) {
	id, err := route.ParseID(in.ID, "service")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	st, err := s.catalog.ServiceStats(ctx, id)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &statsOutput{}
	b := &out.Body
	b.Bookings, b.Open, b.Completed, b.Cancelled, b.Requests = st.Bookings, st.Open, st.Completed, st.Cancelled, st.Requests
	b.RevenueMinor, b.Currency, b.LastBookingAt = st.RevenueMinor, st.Currency, st.LastBookingAt
	return out, nil
}

func (s *API) handleExportServices(ctx context.Context, _ *struct{}) (*huma.StreamResponse, error) {
	return s.t.CSV(ctx, "services.csv", func(ctx context.Context, w io.Writer) error {
		return s.catalog.ExportServices(ctx, w)
	}), nil
}

func (s *API) handlePublicServices(ctx context.Context, _ *struct{}) (*publicServicesOutput, error) {
	ctx, err := route.PublicScope(ctx)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	items, err := s.catalog.PublicServices(ctx)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	out := &publicServicesOutput{}
	out.Body.Items = make([]publicServiceView, 0, len(items))
	for _, it := range items {
		out.Body.Items = append(out.Body.Items, publicServiceView{Slug: it.Slug, Name: it.Name, Description: it.Description,
			DurationMinutes: it.DurationMinutes, PriceMinor: it.PriceMinor, Currency: it.Currency})
	}
	return out, nil
}

// serviceVersion parses If-Match for a service, whose versions are int32.
func serviceVersion(h string) (*int32, error) {
	v, err := route.IfMatch(h)
	if v == nil || err != nil {
		return nil, err
	}
	if *v > 1<<31-1 {
		return nil, &tenant.Error{Code: tenant.CodePreconditionFailed, Message: "If-Match does not name a version of this resource"}
	}
	v32 := int32(*v)
	return &v32, nil
}
