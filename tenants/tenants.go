// Package tenants is the directory of the platform's tenants: it resolves
// the tenant a host names (by its subdomain's slug or a verified custom
// domain) and appends security events to a tenant's audit log on behalf of
// requests that never got a scope of their own, such as a refused binding.
//
// Lookups read the tenants table, which every role may read but only the
// platform role may change; they run on the store's global read path, with
// no tenant scope.
package tenants

import (
	"context"
	"encoding/json"
	"slices"
	"sync"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Directory finds tenants.
type Directory struct {
	store *store.Store

	mu       sync.Mutex
	watchers []func(uuid.UUID)
	hosts    []func(string)
}

// New returns a Directory over st.
func New(st *store.Store) *Directory { return &Directory{store: st} }

func tenantOf(r store.FindTenantBySlugRow) tenant.Tenant {
	return tenant.Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Status: tenant.Status(r.Status)}
}

// Find returns the tenant with slug (CodeNotFound if there is none).
func (d *Directory) Find(ctx context.Context, slug string) (t tenant.Tenant, err error) {
	defer errs.Wrap(&err, "tenants: find %q", slug)
	err = d.store.ReadGlobal(ctx, func(tx *store.Tx) error {
		row, err := tx.FindTenantBySlug(ctx, slug)
		t = tenantOf(row)
		return err
	})
	return t, err
}

// FindFrom returns the tenant with slug like Find, read in the tenant scope
// ctx carries (the tenants table is every tenant's to read): a request's
// pending session check then travels with the lookup instead of taking a
// round trip of its own. Without a tenant in ctx it is Find.
func (d *Directory) FindFrom(ctx context.Context, slug string) (t tenant.Tenant, err error) {
	if _, ok := tenant.ScopeFrom(ctx); !ok {
		return d.Find(ctx, slug)
	}
	defer errs.Wrap(&err, "tenants: find %q", slug)
	err = d.store.ReadTenant(ctx, func(tx *store.Tx) error {
		row, err := tx.FindTenantBySlug(ctx, slug)
		t = tenantOf(row)
		return err
	})
	return t, err
}

// FindByDomain returns the tenant of a verified custom domain (CodeNotFound
// if no tenant has verified it).
func (d *Directory) FindByDomain(ctx context.Context, domain string) (t tenant.Tenant, err error) {
	defer errs.Wrap(&err, "tenants: find domain %q", domain)
	err = d.store.ReadGlobal(ctx, func(tx *store.Tx) error {
		row, err := tx.FindDomainTenant(ctx, domain)
		t = tenantOf(store.FindTenantBySlugRow(row))
		return err
	})
	return t, err
}

// Watch makes the directory call fn with the id of every tenant whose
// status, domains or existence a change made through this process alters
// (package tenants' Admin), so a cache of what hosts name can drop it at
// once. Other processes' changes are not seen: caches expire on their own.
func (d *Directory) Watch(fn func(uuid.UUID)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watchers = append(d.watchers, fn)
}

// changed tells the watchers that tenant id changed.
func (d *Directory) changed(id uuid.UUID) {
	d.mu.Lock()
	ws := slices.Clone(d.watchers)
	d.mu.Unlock()
	for _, fn := range ws {
		fn(id)
	}
}

// WatchHosts makes the directory call fn with every custom domain a change
// made through this process verifies or removes, so a cache of what hosts
// name (an unknown host's answer too) can drop it at once.
func (d *Directory) WatchHosts(fn func(host string)) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.hosts = append(d.hosts, fn)
}

// hostChanged tells the watchers that domain, of tenant id, changed.
func (d *Directory) hostChanged(id uuid.UUID, domain string) {
	d.changed(id)
	d.mu.Lock()
	ws := slices.Clone(d.hosts)
	d.mu.Unlock()
	for _, fn := range ws {
		fn(domain)
	}
}

// RecordSecurityEvent appends a security event (a refused binding, for
// instance) to the audit log of the tenant whose host was addressed.
func (d *Directory) RecordSecurityEvent(ctx context.Context, tenantID uuid.UUID, action string, detail map[string]string) (err error) {
	defer errs.Wrap(&err, "tenants: record %s", action)
	b, _ := json.Marshal(detail)
	ctx = tenant.WithScope(ctx, tenant.Scope{TenantID: tenantID, RequestID: tenant.RequestIDFrom(ctx)})
	return d.store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.Audit(ctx, action, "request", nil, b)
	})
}
