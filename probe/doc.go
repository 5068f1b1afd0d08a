// Package probe attacks a running tenantkit over HTTP to show that no
// operation lets one tenant see or change another's data. It needs nothing
// but the deployment's address and two tenants with logins: it learns every
// operation from the OpenAPI documents the hosts serve, so a new operation
// is attacked the day it is added, and an operation it cannot exercise
// fails the run ([Report.Coverage] must be total).
//
// `tenantkit probe --base-url http://acme.localhost:8080` runs it against
// a server; the package's tests run it against a test server over real
// PostgreSQL, and again with row security disabled on every table (the
// application layer must hold alone).
//
// # The matrix
//
// Tenant A acts, tenant B is attacked. For every operation with x-tenancy
// tenant, [Run] sends the control (A's own request, which must succeed: a
// refusal proves nothing if the request could not succeed anyway) and the
// variants: no session, an expired token, a session ended by logout, the
// session of a removed member, no signed tenant cookie, A's cookie with
// another account's token, B's cookie with A's token, A's session on B's
// host, a role below x-min-role, a body carrying B's tenant_id, B's id in
// each id parameter and body field in turn (404, byte for byte the answer
// to an id that exists nowhere), B's list cursor, and the control again
// with X-Tenant-Id, X-Tenant-Slug and X-Forwarded-Host naming B. Public
// operations run on A's host and B's; platform operations on the apex,
// with a tenant session and without a live one.
//
// After every variant: the status is the expected one, the answer holds
// neither B's marker word nor any id seen only in B's answers (ids the
// request itself carried excepted: an error may echo its input), and B's
// data, read back through B's own API as B, is unchanged.
//
// # Building requests
//
// A request is derived from the operation's schema (the first example,
// default or enum value, else a value satisfying the type, bounds and
// pattern) and the API's conventions: a path parameter {id} of
// /api/things/{id} is an item of GET /api/things, a body field x_id an
// item of the list ending in /xs, ids an item of the list above the
// operation's path. An operation that changes something gets items created
// for it (POST on the list, or a provider: members join by invitation),
// so that deleting one never starves another. What no schema says
// (credentials, one-time tokens from a mail or a switch, operations that
// end the acting session) is in one small table, keyed by operationId.
//
// # The soak and the injection pass
//
// The soak ([SoakConfig]) sends random operations of many tenants at once
// and scans every answer for any other tenant's marker or ids; some
// requests carry another tenant's id (they must answer 404), some are
// cancelled mid-flight. The injection pass sends a list of SQL-injection
// payloads through every string input of every operation: no answer may be
// a server error or hold anything of B's.
package probe
