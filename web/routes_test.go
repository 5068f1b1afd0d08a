package web_test

import (
	"encoding/json"
	"testing"

	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// Every route in the table declares a tenancy its host kind allows and,
// for tenant routes, a minimum role.
func TestEveryRouteDeclaresItsTenancy(t *testing.T) {
	e := newEnv(t)
	routes := e.web.Routes()
	if len(routes) < 40 {
		t.Fatalf("only %d routes in the table", len(routes))
	}
	for _, r := range routes {
		switch r.Policy.Tenancy {
		case route.TenancyPublic:
		case route.TenancyTenant:
			if r.Host != "tenant" || !r.Policy.MinRole.Valid() {
				t.Errorf("%s %s on %s: tenant route with host/role %s/%q", r.Method, r.Path, r.Host, r.Host, r.Policy.MinRole)
			}
		case route.TenancyPlatform:
			if r.Host != "apex" {
				t.Errorf("%s %s: platform route on %s", r.Method, r.Path, r.Host)
			}
		default:
			t.Errorf("%s %s on %s: no tenancy declared", r.Method, r.Path, r.Host)
		}
	}
}

// Each host's OpenAPI document carries x-tenancy and x-min-role on every
// operation, and the tenant document's operations are exactly the table's.
func TestOpenAPIDocumentsDeclareTenancy(t *testing.T) {
	e := newEnv(t)
	want := map[string]map[string]route.Route{"tenant": {}, "apex": {}}
	for _, r := range e.web.Routes() {
		if r.OpenAPI {
			want[r.Host][r.Method+" "+r.Path] = r
		}
	}
	for host, name := range map[string]string{"acme": "tenant", "": "apex"} {
		resp := e.do(req{method: "GET", host: host, path: "/api/openapi.json"})
		expectStatus(t, resp, 200)
		var doc struct {
			OpenAPI string                                `json:"openapi"`
			Paths   map[string]map[string]json.RawMessage `json:"paths"`
		}
		resp.json(t, &doc)
		if doc.OpenAPI != "3.1.0" {
			t.Fatalf("%s: openapi %q", name, doc.OpenAPI)
		}
		seen := 0
		for path, methods := range doc.Paths {
			for method, raw := range methods {
				var op map[string]any
				if err := json.Unmarshal(raw, &op); err != nil {
					continue // path-level fields
				}
				seen++
				key := map[string]string{"get": "GET", "post": "POST", "patch": "PATCH", "put": "PUT", "delete": "DELETE"}[method] + " " + path
				r, ok := want[name][key]
				if !ok {
					t.Errorf("%s document: %s is not in the route table", name, key)
					continue
				}
				if op["x-tenancy"] != string(r.Policy.Tenancy) || op["x-min-role"] == nil || op["x-min-role"] == "" {
					t.Errorf("%s %s: x-tenancy %v, x-min-role %v", name, key, op["x-tenancy"], op["x-min-role"])
				}
				if r.Policy.Tenancy == route.TenancyTenant && op["x-min-role"] != string(r.Policy.MinRole) {
					t.Errorf("%s %s: x-min-role %v, want %s", name, key, op["x-min-role"], r.Policy.MinRole)
				}
			}
		}
		if seen != len(want[name]) {
			t.Errorf("%s document has %d operations, the table %d", name, seen, len(want[name]))
		}
	}
}

func TestPolicyConstructors(t *testing.T) {
	if p := route.Member(tenant.RoleAdmin); p.Tenancy != route.TenancyTenant || p.MinRole != tenant.RoleAdmin {
		t.Fatal(p)
	}
}
