package api

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/internal/keyset"
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

// serviceOut is the answer of an operation that reads or changes one
// service.
func serviceOut(s catalog.Service, err error) (*serviceOutput, error) {
	if err != nil {
		return nil, err
	}
	return &serviceOutput{ETag: route.ETag(int64(s.Version)), Body: serviceViewOf(s)}, nil
}

type serviceListInput struct {
	route.PageQuery
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
	route.IdempotencyKey
	Body serviceBody
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
	ID string `path:"id" format:"uuid"`
	route.IdempotencyKey
	Body struct {
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

func (s *API) registerServices() {
	api := route.TenantHost
	staff := route.Member(tenant.RoleStaff)
	admin := route.Member(tenant.RoleAdmin)
	tags := []string{"services"}
	route.Operation(s.t, api, huma.Operation{OperationID: "list-services", Method: http.MethodGet, Path: "/api/services", Tags: tags,
		Summary: "List services", Description: "Ordered by name. Archived services only with include_archived."}, staff, s.handleListServices)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-service", Method: http.MethodPost, Path: "/api/services", Tags: tags,
		Summary: "Create a service", DefaultStatus: http.StatusCreated, Errors: []int{409, 422}}, staff,
		s.handleCreateService, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "export-services", Method: http.MethodGet, Path: "/api/services/export", Tags: tags,
		Summary:   "Export every service as CSV (streamed)",
		Responses: map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{"text/csv": {}}}}},
		staff, s.handleExportServices)
	route.Operation(s.t, api, huma.Operation{OperationID: "check-service-slug", Method: http.MethodGet, Path: "/api/slug-check/services/{slug}", Tags: tags,
		Summary: "Is this slug free?"}, staff, s.handleSlugCheck)
	route.Operation(s.t, api, huma.Operation{OperationID: "bulk-activate-services", Method: http.MethodPost, Path: "/api/services/bulk/activate", Tags: tags,
		Summary: "Activate services: all of them, or none"}, staff, bulk(s.setActive(true)))
	route.Operation(s.t, api, huma.Operation{OperationID: "bulk-deactivate-services", Method: http.MethodPost, Path: "/api/services/bulk/deactivate", Tags: tags,
		Summary: "Deactivate services: all of them, or none"}, staff, bulk(s.setActive(false)))
	route.Operation(s.t, api, huma.Operation{OperationID: "bulk-delete-services", Method: http.MethodPost, Path: "/api/services/bulk/delete", Tags: tags,
		Summary: "Delete services: all of them, or none", Errors: []int{404, 409}}, admin, bulk(s.catalog.DeleteServices))
	route.Operation(s.t, api, huma.Operation{OperationID: "get-service", Method: http.MethodGet, Path: "/api/services/{id}", Tags: tags,
		Summary: "Get a service"}, staff, s.handleGetService)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-service", Method: http.MethodPatch, Path: "/api/services/{id}", Tags: tags,
		Summary: "Change a service", Description: "Records a new version. Send If-Match with the ETag to refuse a stale write (412).",
		Errors: []int{404, 409, 412, 422}}, staff, s.handleUpdateService)
	route.Operation(s.t, api, huma.Operation{OperationID: "archive-service", Method: http.MethodPost, Path: "/api/services/{id}/archive", Tags: tags,
		Summary: "Archive a service (it becomes inactive)"}, staff, serviceState(s.catalog.ArchiveService))
	route.Operation(s.t, api, huma.Operation{OperationID: "unarchive-service", Method: http.MethodPost, Path: "/api/services/{id}/unarchive", Tags: tags,
		Summary: "Bring an archived service back (inactive)"}, staff, serviceState(s.catalog.UnarchiveService))
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-service", Method: http.MethodDelete, Path: "/api/services/{id}", Tags: tags,
		Summary: "Delete a service and its history", DefaultStatus: http.StatusNoContent, Errors: []int{404, 409}}, admin, deleteByID("service", s.catalog.DeleteService))
	route.Operation(s.t, api, huma.Operation{OperationID: "clone-service", Method: http.MethodPost, Path: "/api/services/{id}/clone", Tags: tags,
		Summary: "Copy a service under a new slug (inactive)", DefaultStatus: http.StatusCreated, Errors: []int{404, 409}}, staff,
		s.handleCloneService, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-service-versions", Method: http.MethodGet, Path: "/api/services/{id}/versions", Tags: tags,
		Summary: "A service's history, newest first"}, staff, s.handleServiceVersions)
	route.Operation(s.t, api, huma.Operation{OperationID: "service-stats", Method: http.MethodGet, Path: "/api/services/{id}/stats", Tags: tags,
		Summary: "A service's booking and request figures"}, staff, s.handleServiceStats)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-public-services", Method: http.MethodGet, Path: "/api/public/services", Tags: []string{"public"},
		Summary: "The organization's services, as the public sees them"}, route.Public, s.handlePublicServices)
}

func (s *API) handleListServices(ctx context.Context, in *serviceListInput) (*serviceListOutput, error) {
	f := catalog.ServiceFilter{IncludeArchived: in.IncludeArchived}
	if in.Active != "" {
		a := in.Active == "true"
		f.Active = &a
	}
	if in.Q != "" {
		f.Query = &in.Q
	}
	list, err := route.Keyset(ctx, in.PageQuery, func(p keyset.Page[catalog.ServiceKey]) ([]catalog.Service, *catalog.ServiceKey, error) {
		f.Page = p
		return s.catalog.FindServices(ctx, f)
	}, serviceViewOf)
	return &serviceListOutput{Body: list}, err
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
	return serviceOut(svc, err)
}

// withService parses the path id of a service and runs fn with it.
func withService[O any](raw string, fn func(uuid.UUID) (O, error)) (O, error) {
	return withID(raw, "service", fn)
}

func (s *API) handleGetService(ctx context.Context, in *serviceIDInput) (*serviceOutput, error) {
	return withService(in.ID, func(id uuid.UUID) (*serviceOutput, error) { return serviceOut(s.catalog.FindServiceByID(ctx, id)) })
}

func (s *API) handleUpdateService(ctx context.Context, in *updateServiceInput) (*serviceOutput, error) {
	return withService(in.ID, func(id uuid.UUID) (*serviceOutput, error) {
		v, err := serviceVersion(in.IfMatch)
		if err != nil {
			return nil, err
		}
		b := in.Body
		return serviceOut(s.catalog.UpdateService(ctx, id, catalog.ServiceUpdate{
			Slug: b.Slug, Name: b.Name, Description: b.Description, DurationMinutes: b.DurationMinutes, PriceMinor: b.PriceMinor,
			Currency: b.Currency, Active: b.Active, RequiresConfirmation: b.RequiresConfirmation,
		}, v))
	})
}

// serviceState serves a change of a service's state that takes no input
// but its version.
func serviceState(change func(context.Context, uuid.UUID, *int32) (catalog.Service, error)) func(context.Context, *serviceStateInput) (*serviceOutput, error) {
	return func(ctx context.Context, in *serviceStateInput) (*serviceOutput, error) {
		return withService(in.ID, func(id uuid.UUID) (*serviceOutput, error) {
			v, err := serviceVersion(in.IfMatch)
			if err != nil {
				return nil, err
			}
			return serviceOut(change(ctx, id, v))
		})
	}
}

func (s *API) handleCloneService(ctx context.Context, in *cloneServiceInput) (*serviceOutput, error) {
	return withService(in.ID, func(id uuid.UUID) (*serviceOutput, error) {
		return serviceOut(s.catalog.CloneService(ctx, id, in.Body.Slug, in.Body.Name))
	})
}

// bulk serves an operation on a set of services, all of them or none.
func bulk(change func(context.Context, []uuid.UUID) (int, error)) func(context.Context, *bulkInput) (*bulkOutput, error) {
	return func(ctx context.Context, in *bulkInput) (*bulkOutput, error) {
		ids, err := route.ParseIDs(in.Body.IDs, "one or more services")
		if err != nil {
			return nil, err
		}
		n, err := change(ctx, ids)
		out := &bulkOutput{}
		out.Body.Changed = n
		return out, err
	}
}

func (s *API) setActive(active bool) func(context.Context, []uuid.UUID) (int, error) {
	return func(ctx context.Context, ids []uuid.UUID) (int, error) {
		return s.catalog.SetServicesActive(ctx, ids, active)
	}
}

func (s *API) handleSlugCheck(ctx context.Context, in *slugCheckInput) (*slugCheckOutput, error) {
	ok, err := s.catalog.SlugAvailable(ctx, in.Slug)
	out := &slugCheckOutput{}
	out.Body.Slug, out.Body.Available = in.Slug, ok
	return out, err
}

func (s *API) handleServiceVersions(ctx context.Context, in *serviceIDInput) (*versionsOutput, error) {
	return withService(in.ID, func(id uuid.UUID) (*versionsOutput, error) {
		vs, err := s.catalog.ServiceVersions(ctx, id)
		out := &versionsOutput{}
		out.Body.Items = listOf(vs, func(v catalog.Version) versionView {
			return versionView{Version: v.Version, Snapshot: v.Snapshot, ChangedBy: idString(v.ChangedBy), ChangedByName: v.ChangedByName, CreatedAt: v.CreatedAt}
		}).Items
		return out, err
	})
}

func (s *API) handleServiceStats(ctx context.Context, in *serviceIDInput) (*statsOutput, error) {
	return withService(in.ID, func(id uuid.UUID) (*statsOutput, error) {
		st, err := s.catalog.ServiceStats(ctx, id)
		out := &statsOutput{}
		b := &out.Body
		b.Bookings, b.Open, b.Completed, b.Cancelled, b.Requests = st.Bookings, st.Open, st.Completed, st.Cancelled, st.Requests
		b.RevenueMinor, b.Currency, b.LastBookingAt = st.RevenueMinor, st.Currency, st.LastBookingAt
		return out, err
	})
}

// serviceColumns are the columns of the services export.
var serviceColumns = []string{"id", "slug", "name", "description", "duration_minutes", "price_minor", "currency", "active",
	"requires_confirmation", "archived_at", "version", "created_at", "updated_at"}

func (s *API) handleExportServices(ctx context.Context, _ *struct{}) (*huma.StreamResponse, error) {
	return route.CSV(s.t, ctx, "services.csv", serviceColumns, func(p keyset.Page[catalog.ServiceKey]) ([]catalog.Service, *catalog.ServiceKey, error) {
		return s.catalog.FindServices(ctx, catalog.ServiceFilter{IncludeArchived: true, Page: p})
	}, func(v catalog.Service) []string {
		return []string{
			v.ID.String(), v.Slug, route.Cell(v.Name), route.Cell(v.Description), strconv.Itoa(int(v.DurationMinutes)),
			strconv.FormatInt(v.PriceMinor, 10), v.Currency, strconv.FormatBool(v.Active), strconv.FormatBool(v.RequiresConfirmation),
			route.Time(v.ArchivedAt), strconv.Itoa(int(v.Version)), route.Time(&v.CreatedAt), route.Time(&v.UpdatedAt),
		}
	}), nil
}

func (s *API) handlePublicServices(ctx context.Context, _ *struct{}) (*publicServicesOutput, error) {
	ctx, err := route.PublicScope(ctx)
	if err != nil {
		return nil, err
	}
	items, err := s.catalog.PublicServices(ctx)
	out := &publicServicesOutput{}
	out.Body.Items = listOf(items, func(it catalog.Service) publicServiceView {
		return publicServiceView{Slug: it.Slug, Name: it.Name, Description: it.Description,
			DurationMinutes: it.DurationMinutes, PriceMinor: it.PriceMinor, Currency: it.Currency}
	}).Items
	return out, err
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
