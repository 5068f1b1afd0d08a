package tenant

import (
	"context"

	"github.com/google/uuid"
)

// Tenant is a firm on the platform, as its host resolves to it.
type Tenant struct {
	ID   uuid.UUID
	Slug string
	Name string
	// Status says whether the tenant is served.
	Status Status
}

// Status is the state of a tenant.
type Status string

// The states of a tenant (the CHECK of tenants.status).
const (
	// StatusActive: the tenant's hosts serve its pages and API.
	StatusActive Status = "active"
	// StatusSuspended: the tenant's hosts answer 403 to everything; its
	// members cannot switch into it.
	StatusSuspended Status = "suspended"
)

// Active reports whether the tenant is served.
func (t Tenant) Active() bool { return t.Status == StatusActive }

// Require returns the scope of ctx if its role is at least min, and a
// CodeForbidden error otherwise. Every domain service checks the role an
// operation needs itself, whoever calls it; the route policy of the web
// layer is the first gate, not the only one.
func Require(ctx context.Context, min Role) (Scope, error) {
	s, ok := ScopeFrom(ctx)
	if !ok {
		return Scope{}, Errorf(CodeInternal, "no tenant scope")
	}
	if !s.Role.AtLeast(min) {
		return Scope{}, &Error{Code: CodeForbidden, Message: "your role does not allow this"}
	}
	return s, nil
}

// Manages reports whether a member with role r may give or take role
// target: owners manage everyone; admins manage everyone but owners, and
// cannot make owners; staff and clients manage no one.
func (r Role) Manages(target Role) bool {
	if r == RoleOwner {
		return target.Valid()
	}
	return r == RoleAdmin && target.Valid() && target != RoleOwner
}
