package tenant

import (
	"context"
	"fmt"

	"github.com/google/uuid"
)

// Role is a member's role in one tenant. Roles are ordered: an owner can do
// everything an admin can, an admin everything staff can, staff everything a
// client can within the tenant's own scope.
type Role string

// The roles a membership can hold.
const (
	RoleOwner  Role = "owner"
	RoleAdmin  Role = "admin"
	RoleStaff  Role = "staff"
	RoleClient Role = "client"
)

var roleRank = map[Role]int{RoleClient: 1, RoleStaff: 2, RoleAdmin: 3, RoleOwner: 4}

// Valid reports whether r is one of the defined roles.
func (r Role) Valid() bool { return roleRank[r] > 0 }

// AtLeast reports whether r grants at least what min grants. An invalid role
// grants nothing.
func (r Role) AtLeast(min Role) bool {
	return r.Valid() && min.Valid() && roleRank[r] >= roleRank[min]
}

// ParseRole returns the role named s, or a CodeInvalid error.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if !r.Valid() {
		return "", Errorf(CodeInvalid, "unknown role %q", s)
	}
	return r, nil
}

// Scope is what a unit of work is allowed to touch: one tenant, and the
// account and member acting in it. A zero MemberID means the work acts for
// the tenant itself (a public form, a job) rather than for a member.
type Scope struct {
	TenantID  uuid.UUID
	AccountID uuid.UUID
	MemberID  uuid.UUID
	Role      Role
	RequestID string
}

// Validate reports whether s names a tenant; a scope without one must never
// reach the data path.
func (s Scope) Validate() error {
	if s.TenantID == uuid.Nil {
		return Errorf(CodeInternal, "scope has no tenant")
	}
	if s.Role != "" && !s.Role.Valid() {
		return Errorf(CodeInternal, "scope has unknown role %q", s.Role)
	}
	return nil
}

// String returns a short form for logs; it holds no secrets.
func (s Scope) String() string {
	return fmt.Sprintf("tenant=%s account=%s member=%s role=%s", s.TenantID, s.AccountID, s.MemberID, s.Role)
}

type scopeKey struct{}

// WithScope returns a copy of ctx carrying s. It is called only where the
// scope has been verified: the web layer's bind step and job workers.
func WithScope(ctx context.Context, s Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

// ScopeFrom returns the scope carried by ctx, and whether there is one with a
// tenant.
func ScopeFrom(ctx context.Context) (Scope, bool) {
	s, ok := ctx.Value(scopeKey{}).(Scope)
	if !ok || s.TenantID == uuid.Nil {
		return Scope{}, false
	}
	return s, true
}

// MustScope returns the scope carried by ctx and panics when there is none.
// Use it only where a missing scope is a programming error, never on input.
func MustScope(ctx context.Context) Scope {
	s, ok := ScopeFrom(ctx)
	if !ok {
		panic("tenant: no scope in context")
	}
	return s
}

type requestIDKey struct{}

// WithRequestID returns a copy of ctx carrying the request id, for work that
// has no tenant scope yet (the platform host, the edge before binding).
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey{}, id)
}

// RequestIDFrom returns the request id carried by ctx: the scope's when there
// is a scope, otherwise the one set by WithRequestID, otherwise "".
func RequestIDFrom(ctx context.Context) string {
	if s, ok := ScopeFrom(ctx); ok && s.RequestID != "" {
		return s.RequestID
	}
	id, _ := ctx.Value(requestIDKey{}).(string)
	return id
}
