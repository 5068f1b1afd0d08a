package api

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// settingsOutput is a kind of settings: the effective values, the tenant's
// own overrides (null: the platform default applies) and their version.
type settingsOutput[E, O any] struct {
	ETag string `header:"ETag"`
	Body struct {
		Effective E     `json:"effective" doc:"The values in force: the organization's own, else the platform default."`
		Overrides O     `json:"overrides" doc:"The organization's own values; null inherits the platform default."`
		Version   int64 `json:"version" doc:"0 until the organization sets any."`
	}
}

func settingsOut[E, O any](k settings.Kind[E, O]) *settingsOutput[E, O] {
	out := &settingsOutput[E, O]{ETag: route.ETag(k.Version)}
	out.Body.Effective, out.Body.Overrides, out.Body.Version = k.Effective, k.Overrides, k.Version
	return out
}

type settingsInput[O any] struct {
	IfMatch string `header:"If-Match" doc:"The ETag last read; a stale one is refused with 412."`
	Body    O
}

type settingsDocOutput struct {
	Body settings.Document
}

type settingsImportInput struct {
	Body settings.Document
}

// settingsKind registers GET and PUT of one kind of settings.
func settingsKind[E, O any](s *API, kind, summary string, get func(context.Context) (settings.Kind[E, O], error),
	set func(context.Context, O, *int64) error) {
	tags := []string{"settings"}
	path := "/api/settings/" + kind
	route.Operation(s.t, route.TenantHost, huma.Operation{OperationID: "get-" + kind + "-settings", Method: http.MethodGet, Path: path, Tags: tags,
		Summary: "Get the " + summary + " settings"}, route.Member(tenant.RoleStaff),
		func(ctx context.Context, _ *struct{}) (*settingsOutput[E, O], error) {
			k, err := get(ctx)
			if err != nil {
				return nil, err
			}
			return settingsOut(k), nil
		})
	route.Operation(s.t, route.TenantHost, huma.Operation{OperationID: "put-" + kind + "-settings", Method: http.MethodPut, Path: path, Tags: tags,
		Summary:     "Replace the " + summary + " settings",
		Description: "The body is the organization's own values as a whole: a null field goes back to the platform default.",
		Errors:      []int{412, 422}}, route.Member(tenant.RoleAdmin),
		func(ctx context.Context, in *settingsInput[O]) (*settingsOutput[E, O], error) {
			v, err := route.IfMatch(in.IfMatch)
			if err != nil {
				return nil, err
			}
			if err := set(ctx, in.Body, v); err != nil {
				return nil, err
			}
			k, err := get(ctx)
			if err != nil {
				return nil, err
			}
			return settingsOut(k), nil
		})
}

func (s *API) registerSettings() {
	settingsKind(s, "organization", "organization", s.settings.Organization, s.settings.SetOrganization)
	settingsKind(s, "booking", "booking", s.settings.Booking, s.settings.SetBooking)
	settingsKind(s, "security", "security", s.settings.Security, s.settings.SetSecurity)
	settingsKind(s, "communication", "communication", s.settings.Communication, s.settings.SetCommunication)
	tags := []string{"settings"}
	route.Operation(s.t, route.TenantHost, huma.Operation{OperationID: "export-settings", Method: http.MethodGet, Path: "/api/settings/export", Tags: tags,
		Summary: "Export every kind of settings as one JSON document"}, route.Member(tenant.RoleAdmin),
		func(ctx context.Context, _ *struct{}) (*settingsDocOutput, error) {
			d, err := s.settings.Export(ctx)
			if err != nil {
				return nil, err
			}
			return &settingsDocOutput{Body: d}, nil
		})
	route.Operation(s.t, route.TenantHost, huma.Operation{OperationID: "import-settings", Method: http.MethodPost, Path: "/api/settings/import", Tags: tags,
		Summary:     "Import settings exported by export-settings",
		Description: "The whole document is validated before anything is written; one bad field changes nothing.",
		Errors:      []int{422}}, route.Member(tenant.RoleAdmin),
		func(ctx context.Context, in *settingsImportInput) (*settingsDocOutput, error) {
			if err := s.settings.Import(ctx, in.Body); err != nil {
				return nil, err
			}
			d, err := s.settings.Export(ctx)
			if err != nil {
				return nil, err
			}
			return &settingsDocOutput{Body: d}, nil
		})
}
