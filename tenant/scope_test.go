package tenant_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
)

func TestRoleAtLeast(t *testing.T) {
	for _, tc := range []struct {
		name     string
		role     tenant.Role
		min      tenant.Role
		expected bool
	}{
		{"OwnerIsAdmin", tenant.RoleOwner, tenant.RoleAdmin, true},
		{"AdminIsStaff", tenant.RoleAdmin, tenant.RoleStaff, true},
		{"StaffIsNotAdmin", tenant.RoleStaff, tenant.RoleAdmin, false},
		{"ClientIsClient", tenant.RoleClient, tenant.RoleClient, true},
		{"ClientIsNotStaff", tenant.RoleClient, tenant.RoleStaff, false},
		{"UnknownRoleGrantsNothing", tenant.Role("superadmin"), tenant.RoleClient, false},
		{"EmptyRoleGrantsNothing", tenant.Role(""), tenant.RoleClient, false},
		{"UnknownMinimumGrantsNothing", tenant.RoleOwner, tenant.Role("root"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.role.AtLeast(tc.min); got != tc.expected {
				t.Fatalf("%q.AtLeast(%q) = %v", tc.role, tc.min, got)
			}
		})
	}
}

func TestScopeLivesOnlyInContext(t *testing.T) {
	ctx := context.Background()
	if _, ok := tenant.ScopeFrom(ctx); ok {
		t.Fatal("empty context has a scope")
	}
	// A scope without a tenant is no scope.
	if _, ok := tenant.ScopeFrom(tenant.WithScope(ctx, tenant.Scope{Role: tenant.RoleOwner})); ok {
		t.Fatal("a scope without a tenant was accepted")
	}
	// A look-alike value under another key is not a scope.
	type scopeKey struct{}
	if _, ok := tenant.ScopeFrom(context.WithValue(ctx, scopeKey{}, tenant.Scope{TenantID: uuid.New()})); ok {
		t.Fatal("a value under a foreign key was taken as the scope")
	}
	id := uuid.New()
	s, ok := tenant.ScopeFrom(tenant.WithScope(ctx, tenant.Scope{TenantID: id, RequestID: "r1"}))
	if !ok || s.TenantID != id {
		t.Fatalf("scope round trip: %v %v", s, ok)
	}
	if got := tenant.RequestIDFrom(tenant.WithScope(ctx, s)); got != "r1" {
		t.Fatalf("request id from scope: %q", got)
	}
	if got := tenant.RequestIDFrom(tenant.WithRequestID(ctx, "r2")); got != "r2" {
		t.Fatalf("request id: %q", got)
	}
	defer func() {
		if recover() == nil {
			t.Fatal("MustScope without a scope did not panic")
		}
	}()
	tenant.MustScope(ctx)
}

func TestErrorCodes(t *testing.T) {
	nf := tenant.NotFound("service")
	wrapped := fmt.Errorf("load service: %w", nf)
	if tenant.ErrorCode(wrapped) != tenant.CodeNotFound || tenant.ErrorMessage(wrapped) != "service not found" {
		t.Fatalf("wrapped: %v %q", tenant.ErrorCode(wrapped), tenant.ErrorMessage(wrapped))
	}
	plain := errors.New("pq: relation secret_table does not exist")
	if tenant.ErrorCode(plain) != tenant.CodeInternal || tenant.ErrorMessage(plain) != "internal error" {
		t.Fatal("an unclassified error must be internal with a generic message")
	}
	internal := &tenant.Error{Code: tenant.CodeInternal, Message: "db password is hunter2"}
	if tenant.ErrorMessage(internal) != "internal error" {
		t.Fatal("an internal error's message must not reach clients")
	}
	if tenant.ErrorCode(nil) != "" {
		t.Fatal("nil has no code")
	}
}

func TestRoleManages(t *testing.T) {
	for _, tc := range []struct {
		actor, target tenant.Role
		want          bool
	}{
		{tenant.RoleOwner, tenant.RoleOwner, true}, {tenant.RoleOwner, tenant.RoleClient, true},
		{tenant.RoleAdmin, tenant.RoleOwner, false}, {tenant.RoleAdmin, tenant.RoleAdmin, true}, {tenant.RoleAdmin, tenant.RoleStaff, true},
		{tenant.RoleStaff, tenant.RoleClient, false}, {tenant.RoleClient, tenant.RoleClient, false},
		{tenant.RoleOwner, tenant.Role("root"), false}, {tenant.Role("root"), tenant.RoleClient, false},
	} {
		if got := tc.actor.Manages(tc.target); got != tc.want {
			t.Errorf("%s.Manages(%s) = %v, want %v", tc.actor, tc.target, got, tc.want)
		}
	}
}

func TestRequire(t *testing.T) {
	if _, err := tenant.Require(context.Background(), tenant.RoleClient); tenant.ErrorCode(err) != tenant.CodeInternal {
		t.Fatalf("no scope: %v", err)
	}
	ctx := tenant.WithScope(context.Background(), tenant.Scope{TenantID: uuid.New(), Role: tenant.RoleStaff})
	if s, err := tenant.Require(ctx, tenant.RoleStaff); err != nil || s.Role != tenant.RoleStaff {
		t.Fatalf("staff for staff: %v", err)
	}
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); tenant.ErrorCode(err) != tenant.CodeForbidden {
		t.Fatalf("staff for admin: %v", err)
	}
	if _, err := tenant.Require(tenant.WithScope(context.Background(), tenant.Scope{TenantID: uuid.New()}), tenant.RoleClient); tenant.ErrorCode(err) != tenant.CodeForbidden {
		t.Fatalf("no role for client: %v", err)
	}
}
