package settings_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// Settings check roles themselves, whoever calls them: staff read, only an
// admin writes, exports or imports, and a refused write changes nothing.
func TestSettingsCheckRolesThemselves(t *testing.T) {
	f := demotest.New(t, demotest.At(clocktest.Default))
	s := settings.New(f.Store)
	ctx := t.Context()
	owner, staff, client := f.As(ctx, "acme", "owner"), f.As(ctx, "acme", "staff"), f.As(ctx, "acme", "client")

	before, err := s.Organization(staff)
	if err != nil {
		t.Fatalf("staff read the organization: %v", err)
	}
	if _, err := s.Organization(client); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("a client read the settings: %v", err)
	}
	name := "Taken over"
	if err := s.SetOrganization(staff, settings.OrganizationOverrides{DisplayName: &name}, nil); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("staff changed the organization: %v", err)
	}
	if _, err := s.Export(staff); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("staff exported the settings: %v", err)
	}
	after, err := s.Organization(owner)
	if err != nil || after.Effective.DisplayName != before.Effective.DisplayName || after.Version != before.Version {
		t.Fatalf("a refused write changed the settings: %+v → %+v (%v)", before, after, err)
	}
	if err := s.SetOrganization(owner, settings.OrganizationOverrides{DisplayName: &name}, &after.Version); err != nil {
		t.Fatalf("the owner changes the organization: %v", err)
	}
	if got, _ := s.Organization(owner); got.Effective.DisplayName != name {
		t.Fatalf("display name %q after the owner's write", got.Effective.DisplayName)
	}
}
