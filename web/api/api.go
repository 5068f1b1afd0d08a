// Package api is tenantkit's JSON API: the operations of every area, one
// file per area, each registered in the route table with its tenancy and
// minimum role (package route) and documented in the OpenAPI document of
// its host kind.
//
// # Conventions
//
// Every area follows them:
//
//   - Lists are keyset pages: {"items": [...], "next_cursor": "..."}; pass
//     next_cursor as ?cursor= (with ?limit=, 1 to 100) for the next page.
//     Cursors are signed and bound to the tenant, the account and the list.
//   - Creating POSTs accept an Idempotency-Key header: the same key and
//     payload replays the original response, another payload is 422, a
//     request still in flight 409.
//   - Resources with versions answer with an ETag; updates honour If-Match
//     and refuse a stale one with 412.
//   - Another tenant's id anywhere reads exactly like a missing id: 404 with
//     the same body. tenant_id is never accepted from a client: unknown
//     fields are refused (422), and field names match exactly.
//   - CSV exports stream a page at a time.
//   - Path parameters name resources so a client (and the isolation probe)
//     can find them: in /api/things/{id}/parts/{part_id}, {id} is an item id
//     of the list GET /api/things, {part_id} an item id of the list
//     GET /api/things/{id}/parts, each answering {"items": [{"id": …}]} to
//     a member with the operation's minimum role. Body fields naming another
//     resource end in _id (format uuid).
//   - Portal operations (role client) live under /api/portal/... and serve
//     only the signed-in client's own records; public operations (no
//     sign-in) under /api/public/....
//   - Errors are RFC 9457 problem documents (package route).
package api

import (
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/usage"
	"github.com/tenantkit/tenantkit/web/route"
)

// Deps are the services the operations call.
type Deps struct {
	Auth       *auth.Service
	Members    *members.Service
	Catalog    *catalog.Catalog
	Settings   *settings.Service
	Scheduling *scheduling.Scheduler
	Requests   *requests.Service
	Domains    *tenants.Domains
	Support    *tenants.SupportAccess
	// Admin runs the tenant lifecycle for the platform operators.
	Admin *tenants.Admin
	// Usage reads the per-tenant usage figures.
	Usage *usage.Service
	// URLs are the public addresses of the apex and the tenants.
	URLs auth.URLs
}

// API holds the operations' dependencies.
type API struct {
	t          *route.Table
	problems   route.Problems
	cursors    route.Cursors
	urls       auth.URLs
	auth       *auth.Service
	members    *members.Service
	catalog    *catalog.Catalog
	settings   *settings.Service
	scheduling *scheduling.Scheduler
	requests   *requests.Service
	domains    *tenants.Domains
	support    *tenants.SupportAccess
	admin      *tenants.Admin
	usage      *usage.Service
}

// Register registers every operation of the API in t.
func Register(t *route.Table, d Deps) {
	s := &API{
		t: t, problems: t.Problems(), cursors: t.Cursors(), urls: d.URLs,
		auth: d.Auth, members: d.Members, catalog: d.Catalog, settings: d.Settings, scheduling: d.Scheduling, requests: d.Requests,
		domains: d.Domains, support: d.Support, admin: d.Admin, usage: d.Usage,
	}
	s.registerAuth()
	s.registerSignup()
	s.registerSessions()
	s.registerMembers()
	s.registerServices()
	s.registerSettings()
	s.registerAvailability()
	s.registerBookings()
	s.registerPortalScheduling()
	s.registerRequests()
	s.registerRecurrence()
	s.registerDeliveries()
	s.registerDomains()
	s.registerSupport()
	s.registerPlatform()
	s.registerUsage()
}

// withID parses the path id raw of a what and runs fn with it; a malformed
// id reads like a missing one.
func withID[O any](raw, what string, fn func(uuid.UUID) (O, error)) (O, error) {
	id, err := route.ParseID(raw, what)
	if err != nil {
		var zero O
		return zero, err
	}
	return fn(id)
}

// listOf is the body of a list answered whole (no pages).
func listOf[T, V any](items []T, view func(T) V) route.List[V] {
	out := route.List[V]{Items: make([]V, 0, len(items))}
	for _, it := range items {
		out.Items = append(out.Items, view(it))
	}
	return out
}

// body is the answer of an operation whose body is one V.
type body[V any] struct {
	Body V
}

// answer is the answer of an operation whose body is v seen through view.
func answer[T, V any](view func(T) V, v T, err error) (*body[V], error) {
	if err != nil {
		return nil, err
	}
	return &body[V]{Body: view(v)}, nil
}
