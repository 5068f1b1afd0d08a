package route

import (
	"errors"
	"fmt"

	"github.com/tenantkit/tenantkit/tenant"
)

// Tenancy declares what a route serves and to whom.
type Tenancy string

// The tenancies. Every route declares one; the registrars refuse a route
// without, and a test enumerates the route table.
const (
	// TenancyPublic routes need no sign-in. On a tenant host they serve
	// that tenant's public data; they never read credentials.
	TenancyPublic Tenancy = "public"
	// TenancyTenant routes serve a tenant host to a member of that tenant
	// whose token, signed tenant cookie and host all agree, with at least
	// the route's minimum role.
	TenancyTenant Tenancy = "tenant"
	// TenancyPlatform routes serve the apex host to an account signed in
	// there (a platform session, naming no tenant).
	TenancyPlatform Tenancy = "platform"
)

// Policy is a route's declaration: its tenancy and, for tenant routes, the
// least role that may call it.
type Policy struct {
	Tenancy Tenancy
	MinRole tenant.Role
}

// RoleOperator is the minimum role of a platform route open only to
// platform operators: accounts holding an operator grant (migration
// 00017), which only `tenantkit operator grant` gives. It is no tenant
// role: a membership never confers it.
const RoleOperator tenant.Role = "operator"

// Public, Platform and Operator build policies.
var (
	Public   = Policy{Tenancy: TenancyPublic}
	Platform = Policy{Tenancy: TenancyPlatform}
	// Operator is the policy of an apex route open to platform operators
	// only: a verified platform session whose account holds a live
	// operator grant. The binder verifies the session; the grant is
	// checked in the operation's own platform transactions (its handler
	// passes the account as tenants.Operator.Account), so a handler of
	// such a route must act only through them.
	Operator = Policy{Tenancy: TenancyPlatform, MinRole: RoleOperator}
)

// Member returns the policy of a tenant route open to role and above.
func Member(role tenant.Role) Policy { return Policy{Tenancy: TenancyTenant, MinRole: role} }

// MinRoleLabel is the x-min-role of the policy: the role, "none" for
// public routes, "account" for platform ones and "operator" for those
// open to platform operators only.
func (p Policy) MinRoleLabel() string {
	switch p.Tenancy {
	case TenancyTenant:
		return string(p.MinRole)
	case TenancyPlatform:
		if p.MinRole == RoleOperator {
			return string(RoleOperator)
		}
		return "account"
	}
	return "none"
}

// Validate reports whether p may be declared on a host of kind.
func (p Policy) Validate(kind Kind) error {
	switch p.Tenancy {
	case TenancyPublic:
		if p.MinRole != "" {
			return errors.New("a public route has no minimum role")
		}
	case TenancyTenant:
		if kind != TenantHost {
			return errors.New("a tenant route must be registered on tenant hosts")
		}
		if !p.MinRole.Valid() {
			return errors.New("a tenant route needs a minimum role")
		}
	case TenancyPlatform:
		if kind != ApexHost {
			return errors.New("a platform route must be registered on the apex host")
		}
		if p.MinRole != "" && p.MinRole != RoleOperator {
			return errors.New("a platform route has no minimum role but operator")
		}
	default:
		return fmt.Errorf("unknown tenancy %q", p.Tenancy)
	}
	return nil
}

// Kind is the kind of host a route is served on.
type Kind int

// The host kinds: a tenant's host ({slug}.{base domain} or a verified
// custom domain) and the apex (the base domain itself).
const (
	TenantHost Kind = iota + 1
	ApexHost
)

func (k Kind) String() string {
	if k == ApexHost {
		return "apex"
	}
	return "tenant"
}

// Route is one entry of the route table.
type Route struct {
	Host    string // "tenant", "apex" or "any"
	Method  string
	Path    string
	Policy  Policy
	OpenAPI bool // documented in the OpenAPI document
	Page    bool // a plain handler (a page, a form post), not a JSON operation
	// Query and Form are the query parameters and form fields the route
	// reads; it refuses any other (see [InputError]). Repeat are those of
	// them that may be given more than once.
	Query, Form, Repeat []string
}
