package web

import (
	"context"
	"log/slog"
	"net/http"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/tenant"
)

// A route registered without a valid declaration stops the server from
// being built: the registrars panic at start, never at request time.
func TestUndeclaredRouteIsRefused(t *testing.T) {
	s := NewServer(Config{BaseDomain: "example.test"}, Deps{Logger: slog.New(slog.DiscardHandler)})
	for _, tc := range []struct {
		name string
		kind hostKind
		p    Policy
	}{
		{"NoTenancy", hostTenant, Policy{}},
		{"UnknownTenancy", hostTenant, Policy{Tenancy: "internal"}},
		{"TenantRouteWithoutRole", hostTenant, Policy{Tenancy: TenancyTenant}},
		{"TenantRouteOnApex", hostApex, Member(tenant.RoleStaff)},
		{"PlatformRouteOnTenantHost", hostTenant, Platform},
		{"PublicRouteWithRole", hostTenant, Policy{Tenancy: TenancyPublic, MinRole: tenant.RoleOwner}},
	} {
		t.Run(tc.name+"/Operation", func(t *testing.T) {
			api := s.tenantAPI
			if tc.kind == hostApex {
				api = s.platformAPI
			}
			defer func() {
				if recover() == nil {
					t.Fatal("registered")
				}
			}()
			operation(s, api, huma.Operation{OperationID: "x-" + tc.name, Method: http.MethodGet, Path: "/api/x-" + tc.name},
				tc.p, func(context.Context, *struct{}) (*struct{}, error) { return nil, nil })
		})
		t.Run(tc.name+"/Page", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("registered")
				}
			}()
			s.page(tc.kind, http.MethodGet, "/x-"+tc.name, tc.p, func(http.ResponseWriter, *http.Request) {})
		})
	}
}
