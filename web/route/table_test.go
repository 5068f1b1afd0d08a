package route

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/tenant"
)

// A route registered without a valid declaration stops the server from
// being built: the registrars panic at start, never at request time.
func TestUndeclaredRouteIsRefused(t *testing.T) {
	tbl := NewTable(TableConfig{BaseDomain: "example.test", Logger: slog.New(slog.DiscardHandler)})
	for _, tc := range []struct {
		name string
		kind Kind
		p    Policy
	}{
		{"NoTenancy", TenantHost, Policy{}},
		{"UnknownTenancy", TenantHost, Policy{Tenancy: "internal"}},
		{"TenantRouteWithoutRole", TenantHost, Policy{Tenancy: TenancyTenant}},
		{"TenantRouteOnApex", ApexHost, Member(tenant.RoleStaff)},
		{"PlatformRouteOnTenantHost", TenantHost, Platform},
		{"PublicRouteWithRole", TenantHost, Policy{Tenancy: TenancyPublic, MinRole: tenant.RoleOwner}},
	} {
		t.Run(tc.name+"/Operation", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("registered")
				}
			}()
			Operation(tbl, tc.kind, huma.Operation{OperationID: "x-" + tc.name, Method: http.MethodGet, Path: "/api/x-" + tc.name},
				tc.p, func(context.Context, *struct{}) (*struct{}, error) { return nil, nil })
		})
		t.Run(tc.name+"/Handle", func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("registered")
				}
			}()
			tbl.Handle(tc.kind, http.MethodGet, "/x-"+tc.name, tc.p, func(http.ResponseWriter, *http.Request) {})
		})
	}
}

// Servers built at the same time (each test starts its own) set huma's
// package-wide error constructor and casing rule without racing: under
// the race detector this fails if the table writes them on every build.
func TestTablesBuildConcurrently(t *testing.T) {
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() { NewTable(TableConfig{BaseDomain: "example.test", Logger: slog.New(slog.DiscardHandler)}) })
	}
	wg.Wait()
	if !huma.ValidateStrictCasing {
		t.Fatal("strict casing not installed")
	}
}
