package catalog_test

import (
	"testing"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The catalogue checks roles itself, whoever calls it: staff cannot
// delete, a client cannot create, and a client listing sees the active
// services only, whatever filter it sends.
func TestCatalogChecksRolesItself(t *testing.T) {
	f := demotest.New(t, demotest.At(clocktest.Default))
	clock := clocktest.New(clocktest.Default)
	c := catalog.New(f.Store, clock.Now)
	ctx := t.Context()
	owner, staff, client := f.As(ctx, "acme", "owner"), f.As(ctx, "acme", "staff"), f.As(ctx, "acme", "client")

	inactive, err := c.CreateService(owner, catalog.ServiceInput{Slug: "dormant", Name: "Dormant", DurationMinutes: 30, Currency: "USD"})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteService(staff, inactive.ID); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("staff deleted a service: %v", err)
	}
	if _, err := c.FindServiceByID(owner, inactive.ID); err != nil {
		t.Fatalf("the service is gone after a refused delete: %v", err)
	}
	if _, err := c.CreateService(client, catalog.ServiceInput{Slug: "mine", Name: "Mine", DurationMinutes: 30, Currency: "USD"}); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("a client created a service: %v", err)
	}
	if _, err := c.FindServiceByID(client, inactive.ID); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("a client read a service by id: %v", err)
	}

	no := false
	all, _, err := c.FindServices(owner, catalog.ServiceFilter{Active: &no, IncludeArchived: true})
	if err != nil || len(all) == 0 {
		t.Fatalf("owner, inactive services: %d, %v", len(all), err)
	}
	seen, _, err := c.FindServices(client, catalog.ServiceFilter{Active: &no, IncludeArchived: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range seen {
		if !s.Active || s.ArchivedAt != nil {
			t.Errorf("a client listed %q (active %v, archived %v)", s.Slug, s.Active, s.ArchivedAt)
		}
	}
	if len(seen) == 0 {
		offered, _, _ := c.FindServices(client, catalog.ServiceFilter{})
		if len(offered) == 0 {
			t.Fatal("a client sees no active service: the demo offers some")
		}
	}
}
