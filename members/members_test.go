package members_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func newService(t *testing.T) (*members.Service, *demotest.Fixture, *mailer.Outbox) {
	f := demotest.New(t, demotest.At(clocktest.Default))
	clock := clocktest.New(clocktest.Default)
	outbox := mailer.NewOutbox(10, clock.Now)
	s := members.New(members.Config{Store: f.Store, Mailer: outbox, Now: clock.Now,
		Link: func(slug, path string) string { return "http://" + slug + ".tenantkit.test" + path }})
	return s, f, outbox
}

// Member administration checks roles itself, whoever calls it: staff read
// the members but neither see nor withdraw invitations, nor invite; an
// admin cannot make an owner.
func TestMembersChecksRolesItself(t *testing.T) {
	s, f, outbox := newService(t)
	ctx := t.Context()
	owner, staff := f.As(ctx, "acme", "owner"), f.As(ctx, "acme", "staff")

	if ms, _, err := s.List(staff, members.Filter{}); err != nil || len(ms) == 0 {
		t.Fatalf("staff list the members: %d, %v", len(ms), err)
	}
	if _, _, err := s.List(f.As(ctx, "acme", "client"), members.Filter{}); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("a client listed the members: %v", err)
	}
	open, err := s.ListInvitations(owner)
	if err != nil || len(open) == 0 {
		t.Fatalf("the demo's open invitation: %d, %v", len(open), err)
	}
	if _, err := s.ListInvitations(staff); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("staff listed the invitations: %v", err)
	}
	if err := s.RevokeInvitation(staff, open[0].ID); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("staff revoked an invitation: %v", err)
	}
	if _, err := s.Invite(staff, "new@acme.test", tenant.RoleClient, "New"); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("staff invited: %v", err)
	}
	still, err := s.ListInvitations(owner)
	if err != nil || len(still) != len(open) {
		t.Fatalf("after the refusals the open invitations are %d, want %d (%v)", len(still), len(open), err)
	}
	if n := len(outbox.Messages()); n != 0 {
		t.Fatalf("%d messages sent by refused calls", n)
	}

	inv, err := s.Invite(owner, "New.Admin@Acme.test ", tenant.RoleAdmin, "New admin")
	if err != nil || inv.Email != "new.admin@acme.test" {
		t.Fatalf("owner invites an admin: %+v, %v", inv, err)
	}
	if m := outbox.Messages(); len(m) != 1 || m[0].To != "new.admin@acme.test" {
		t.Fatalf("the invitation went to %+v", m)
	}
}

// The last owner keeps the role, and a member demoted loses it at once.
func TestLastOwnerStays(t *testing.T) {
	s, f, _ := newService(t)
	ctx := t.Context()
	owner := f.As(ctx, "acme", "owner")
	me := f.Seeded["acme"].Members["owner"].ID
	if _, err := s.ChangeRole(owner, me, tenant.RoleAdmin); !tenant.IsCode(err, tenant.CodeConflict) {
		t.Fatalf("the last owner demoted itself: %v", err)
	}
	if err := s.Remove(owner, me); !tenant.IsCode(err, tenant.CodeConflict) {
		t.Fatalf("the last owner removed itself: %v", err)
	}
	staffID := f.Seeded["acme"].Members["staff"].ID
	if m, err := s.ChangeRole(owner, staffID, tenant.RoleAdmin); err != nil || m.Role != tenant.RoleAdmin {
		t.Fatalf("owner promotes staff: %+v, %v", m, err)
	}
	if _, err := s.ChangeRole(f.As(ctx, "acme", "staff"), staffID, tenant.RoleOwner); err == nil {
		t.Fatal("a scope still saying staff changed a role")
	}
}
