// Package catalog is a tenant's catalogue of services: what the firm sells,
// at what price and for how long, with the history of every change.
//
// Every method works in the tenant of the scope in its context and checks
// the role it needs itself: staff manage the catalogue, an admin deletes
// from it, a client lists what is offered, and the public services need no
// member at all. Another tenant's service reads exactly like a missing one.
package catalog

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Service is one service a tenant offers.
type Service struct {
	ID                   uuid.UUID
	Slug                 string
	Name                 string
	Description          string
	DurationMinutes      int32
	PriceMinor           int64
	Currency             string
	Active               bool
	RequiresConfirmation bool
	ArchivedAt           *time.Time
	Version              int32
	CreatedAt            time.Time
	UpdatedAt            time.Time
}

func serviceOf(s store.Service) Service {
	return Service{
		ID: s.ID, Slug: s.Slug, Name: s.Name, Description: s.Description, DurationMinutes: s.DurationMinutes,
		PriceMinor: s.PriceMinor, Currency: s.Currency, Active: s.Active, RequiresConfirmation: s.RequiresConfirmation,
		ArchivedAt: s.ArchivedAt, Version: s.Version, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
	}
}

// ServiceKey is the position of a service in the list order (name, id).
type ServiceKey struct {
	Name string    `json:"n"`
	ID   uuid.UUID `json:"i"`
}

// ServiceFilter selects services. Nil fields do not filter.
type ServiceFilter struct {
	Active          *bool
	IncludeArchived bool
	// Query matches names containing it, case-insensitively.
	Query *string
	Page  keyset.Page[ServiceKey]
}

// ServiceInput is a new service.
type ServiceInput struct {
	Slug                 string
	Name                 string
	Description          string
	DurationMinutes      int32
	PriceMinor           int64
	Currency             string
	Active               bool
	RequiresConfirmation bool
}

// ServiceUpdate changes a service; nil fields stay as they are.
type ServiceUpdate struct {
	Slug                 *string
	Name                 *string
	Description          *string
	DurationMinutes      *int32
	PriceMinor           *int64
	Currency             *string
	Active               *bool
	RequiresConfirmation *bool
}

// Catalog manages services.
type Catalog struct {
	store *store.Store
	now   func() time.Time
}

// New returns a Catalog over st, stamping archivals with the time from now.
func New(st *store.Store, now func() time.Time) *Catalog {
	if now == nil {
		panic("catalog: a clock is required")
	}
	return &Catalog{store: st, now: now}
}

var (
	slugPattern     = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
	currencyPattern = regexp.MustCompile(`^[A-Z]{3}$`)
	errNotFound     = tenant.NotFound("service")
)

// validate checks a complete service, reporting every bad field at once.
func validate(in ServiceInput) error {
	f := map[string]string{}
	if len(in.Slug) == 0 || len(in.Slug) > 80 || !slugPattern.MatchString(in.Slug) {
		f["body.slug"] = "lower-case letters, digits and single hyphens, at most 80"
	}
	if n := utf8.RuneCountInString(strings.TrimSpace(in.Name)); n < 1 || n > 200 {
		f["body.name"] = "1 to 200 characters"
	}
	if utf8.RuneCountInString(in.Description) > 10000 {
		f["body.description"] = "at most 10000 characters"
	}
	if in.DurationMinutes < 5 || in.DurationMinutes > 1440 {
		f["body.duration_minutes"] = "5 to 1440"
	}
	if in.PriceMinor < 0 || in.PriceMinor > 100_000_000_000 {
		f["body.price_minor"] = "0 to 100000000000, in minor units"
	}
	if !currencyPattern.MatchString(in.Currency) {
		f["body.currency"] = "an ISO 4217 code such as USD"
	}
	if len(f) > 0 {
		return &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid service", Fields: f}
	}
	return nil
}

// conflict names the slug when the unique key refuses a write.
func conflict(err error) error {
	if e, ok := err.(*tenant.Error); ok && e.Code == tenant.CodeConflict && e.Constraint == "services_tenant_id_slug_key" {
		return &tenant.Error{Code: tenant.CodeConflict, Message: "a service with this slug exists", Fields: map[string]string{"body.slug": "taken"}, Err: err}
	}
	return err
}

func (c *Catalog) recordVersion(ctx context.Context, tx *store.Tx, s store.Service) error {
	snap, err := json.Marshal(serviceOf(s))
	if err != nil {
		return err
	}
	return tx.Later().InsertServiceVersion(ctx, store.InsertServiceVersionParams{
		TenantID: tx.TenantID(), ServiceID: s.ID, Version: s.Version, Snapshot: snap, ChangedByMemberID: memberOf(tx),
	})
}

func memberOf(tx *store.Tx) *uuid.UUID {
	if id := tx.Scope().MemberID; id != uuid.Nil {
		return &id
	}
	return nil
}

func audit(ctx context.Context, tx *store.Tx, action string, id uuid.UUID, detail map[string]any) error {
	var b []byte
	if detail != nil {
		b, _ = json.Marshal(detail)
	}
	return tx.Audit(ctx, action, "service", &id, b)
}

// FindServiceByID returns one service. CodeNotFound if it is missing or
// another tenant's.
func (c *Catalog) FindServiceByID(ctx context.Context, id uuid.UUID) (_ Service, err error) {
	defer errs.Wrap(&err, "catalog: get service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Service{}, err
	}
	var out Service
	err = c.store.ReadTenant(ctx, func(tx *store.Tx) error {
		s, err := tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errNotFound
		}
		out = serviceOf(s)
		return err
	})
	return out, err
}

// FindServices returns a page of services and the key after which the next
// page starts (nil on the last page). Staff see every service the filter
// selects; a client sees the active ones only.
func (c *Catalog) FindServices(ctx context.Context, f ServiceFilter) (_ []Service, _ *ServiceKey, err error) {
	defer errs.Wrap(&err, "catalog: find services")
	sc, err := tenant.Require(ctx, tenant.RoleClient)
	if err != nil {
		return nil, nil, err
	}
	if !sc.Role.AtLeast(tenant.RoleStaff) {
		// A client sees what the firm offers: active services only.
		active := true
		f.Active, f.IncludeArchived = &active, false
	}
	p := store.ListServicesParams{Active: f.Active, IncludeArchived: f.IncludeArchived, PageSize: f.Page.Fetch()}
	if f.Query != nil && strings.TrimSpace(*f.Query) != "" {
		like := store.Contains(strings.TrimSpace(*f.Query))
		p.NameLike = &like
	}
	if a := f.Page.After; a != nil {
		p.HasAfter, p.AfterName, p.AfterID = true, a.Name, a.ID
	}
	var out []Service
	err = c.store.ReadTenant(ctx, func(tx *store.Tx) error {
		p.TenantID = tx.TenantID()
		rows, err := listServices(ctx, tx, p)
		for _, r := range rows {
			out = append(out, serviceOf(r))
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out, next := keyset.Cut(out, f.Page, func(s Service) ServiceKey { return ServiceKey{Name: s.Name, ID: s.ID} })
	return out, next, nil
}

// listServices reads a page of services: the unfiltered page of those
// not archived through the queries PostgreSQL plans once (see
// ListCurrentServicesFirst), any other through ListServices.
func listServices(ctx context.Context, tx *store.Tx, p store.ListServicesParams) ([]store.Service, error) {
	switch {
	case p.Active != nil || p.IncludeArchived || p.NameLike != nil:
		return tx.ListServices(ctx, p)
	case p.HasAfter:
		return tx.ListCurrentServicesAfter(ctx, store.ListCurrentServicesAfterParams{
			TenantID: p.TenantID, AfterName: p.AfterName, AfterID: p.AfterID, PageSize: p.PageSize})
	default:
		return tx.ListCurrentServicesFirst(ctx, store.ListCurrentServicesFirstParams{TenantID: p.TenantID, PageSize: p.PageSize})
	}
}

// CreateService adds a service and records its first version.
func (c *Catalog) CreateService(ctx context.Context, in ServiceInput) (_ Service, err error) {
	defer errs.Wrap(&err, "catalog: create service")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Service{}, err
	}
	in.Name = strings.TrimSpace(in.Name)
	if err := validate(in); err != nil {
		return Service{}, err
	}
	var out Service
	err = c.store.InTenant(ctx, func(tx *store.Tx) error {
		s, err := tx.CreateService(ctx, store.CreateServiceParams{
			TenantID: tx.TenantID(), Slug: in.Slug, Name: in.Name, Description: in.Description,
			DurationMinutes: in.DurationMinutes, PriceMinor: in.PriceMinor, Currency: in.Currency,
			Active: in.Active, RequiresConfirmation: in.RequiresConfirmation,
		})
		if err != nil {
			return conflict(store.Translate(err))
		}
		if err := c.recordVersion(ctx, tx, s); err != nil {
			return err
		}
		out = serviceOf(s)
		return audit(ctx, tx, "service.created", s.ID, map[string]any{"slug": s.Slug})
	})
	return out, err
}

// errStale is a write against a version that is no longer current.
var errStale = &tenant.Error{Code: tenant.CodePreconditionFailed, Message: "the service changed since it was read; fetch it again and retry"}

// change applies fn to the locked current service if its version is
// ifVersion (when given), stores it with the version moved on, and records
// the new version.
func (c *Catalog) change(ctx context.Context, id uuid.UUID, ifVersion *int32, action string, fn func(*store.UpdateServiceParams) error) (Service, error) {
	var out Service
	err := c.store.InTenant(ctx, func(tx *store.Tx) error {
		cur, err := tx.GetServiceForUpdate(ctx, store.GetServiceForUpdateParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errNotFound
		}
		if err != nil {
			return err
		}
		if ifVersion != nil && *ifVersion != cur.Version {
			return errStale
		}
		p := store.UpdateServiceParams{
			TenantID: tx.TenantID(), ID: id, Slug: cur.Slug, Name: cur.Name, Description: cur.Description,
			DurationMinutes: cur.DurationMinutes, PriceMinor: cur.PriceMinor, Currency: cur.Currency,
			Active: cur.Active, RequiresConfirmation: cur.RequiresConfirmation, ArchivedAt: cur.ArchivedAt,
		}
		if err := fn(&p); err != nil {
			return err
		}
		s, err := tx.UpdateService(ctx, p)
		if err != nil {
			return conflict(store.Translate(err))
		}
		if err := c.recordVersion(ctx, tx, s); err != nil {
			return err
		}
		out = serviceOf(s)
		return audit(ctx, tx, action, id, map[string]any{"version": s.Version})
	})
	return out, err
}

// UpdateService changes a service. With ifVersion, a service whose version
// moved on since is refused with CodePreconditionFailed.
//
// The fields given are checked alone (the others are stored already) and
// written in one statement, which also compares the version: with the
// version record and the audit entry sent with COMMIT, an update is two
// round trips. Only a refused update reads the service again, to tell a
// missing one (404) from a stale version (412).
func (c *Catalog) UpdateService(ctx context.Context, id uuid.UUID, u ServiceUpdate, ifVersion *int32) (_ Service, err error) {
	defer errs.Wrap(&err, "catalog: update service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Service{}, err
	}
	if u.Name != nil {
		name := strings.TrimSpace(*u.Name)
		u.Name = &name
	}
	if err := validatePatch(u); err != nil {
		return Service{}, err
	}
	var out Service
	err = c.store.InTenant(ctx, func(tx *store.Tx) error {
		s, err := tx.PatchService(ctx, store.PatchServiceParams{
			TenantID: tx.TenantID(), ID: id, IfVersion: ifVersion,
			Slug: u.Slug, Name: u.Name, Description: u.Description, DurationMinutes: u.DurationMinutes,
			PriceMinor: u.PriceMinor, Currency: u.Currency, Active: u.Active, RequiresConfirmation: u.RequiresConfirmation,
		})
		if store.IsNotFound(err) {
			if _, err := tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: id}); err != nil {
				if store.IsNotFound(err) {
					return errNotFound
				}
				return err
			}
			return errStale
		}
		if err != nil {
			return conflict(store.Translate(err))
		}
		if err := c.recordVersion(ctx, tx, s); err != nil {
			return err
		}
		out = serviceOf(s)
		return audit(ctx, tx, "service.updated", id, map[string]any{"version": s.Version})
	})
	return out, err
}

// validatePatch checks the fields u gives, each alone.
func validatePatch(u ServiceUpdate) error {
	// Fields not given take a value that passes, so only the given ones
	// can be reported.
	in := ServiceInput{Slug: "x", Name: "x", DurationMinutes: 30, Currency: "USD"}
	if u.Slug != nil {
		in.Slug = *u.Slug
	}
	if u.Name != nil {
		in.Name = *u.Name
	}
	if u.Description != nil {
		in.Description = *u.Description
	}
	if u.DurationMinutes != nil {
		in.DurationMinutes = *u.DurationMinutes
	}
	if u.PriceMinor != nil {
		in.PriceMinor = *u.PriceMinor
	}
	if u.Currency != nil {
		in.Currency = *u.Currency
	}
	return validate(in)
}

// ArchiveService takes a service out of use: archived services are inactive
// and hidden from lists unless asked for. UnarchiveService brings one back
// (inactive, to be activated deliberately).
func (c *Catalog) ArchiveService(ctx context.Context, id uuid.UUID, ifVersion *int32) (_ Service, err error) {
	defer errs.Wrap(&err, "catalog: archive service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Service{}, err
	}
	now := c.now()
	return c.change(ctx, id, ifVersion, "service.archived", func(p *store.UpdateServiceParams) error {
		if p.ArchivedAt == nil {
			p.ArchivedAt, p.Active = &now, false
		}
		return nil
	})
}

// UnarchiveService: see ArchiveService.
func (c *Catalog) UnarchiveService(ctx context.Context, id uuid.UUID, ifVersion *int32) (_ Service, err error) {
	defer errs.Wrap(&err, "catalog: unarchive service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Service{}, err
	}
	return c.change(ctx, id, ifVersion, "service.unarchived", func(p *store.UpdateServiceParams) error {
		p.ArchivedAt = nil
		return nil
	})
}

// DeleteService deletes a service and its history. A service that bookings
// still reference cannot be deleted (CodeConflict): archive it instead.
func (c *Catalog) DeleteService(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "catalog: delete service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	return c.store.InTenant(ctx, func(tx *store.Tx) error {
		n, err := tx.DeleteService(ctx, store.DeleteServiceParams{TenantID: tx.TenantID(), ID: id})
		if err != nil {
			return inUse(err)
		}
		if n == 0 {
			return errNotFound
		}
		return audit(ctx, tx, "service.deleted", id, nil)
	})
}

func inUse(err error) error {
	// A delete refused by a foreign key means rows still point at the
	// service: a conflict, not a missing row.
	if e, ok := store.Translate(err).(*tenant.Error); ok && e.Code == tenant.CodeNotFound && e.Constraint != "" {
		return &tenant.Error{Code: tenant.CodeConflict, Message: "the service has bookings: archive it instead", Err: err}
	}
	return err
}

// CloneService copies a service under a new slug and name, inactive.
func (c *Catalog) CloneService(ctx context.Context, id uuid.UUID, slug, name string) (_ Service, err error) {
	defer errs.Wrap(&err, "catalog: clone service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Service{}, err
	}
	src, err := c.FindServiceByID(ctx, id)
	if err != nil {
		return Service{}, err
	}
	return c.CreateService(ctx, ServiceInput{
		Slug: slug, Name: name, Description: src.Description, DurationMinutes: src.DurationMinutes,
		PriceMinor: src.PriceMinor, Currency: src.Currency, Active: false, RequiresConfirmation: src.RequiresConfirmation,
	})
}

// MaxBulk bounds the ids of one bulk operation.
const MaxBulk = 200

// lockAll locks every service of ids, or fails with CodeNotFound naming
// nothing if any is missing or another tenant's: a bulk operation is all or
// nothing.
func lockAll(ctx context.Context, tx *store.Tx, ids []uuid.UUID) ([]uuid.UUID, error) {
	uniq := slices.Clone(ids)
	slices.SortFunc(uniq, func(a, b uuid.UUID) int { return strings.Compare(a.String(), b.String()) })
	uniq = slices.Compact(uniq)
	if len(uniq) == 0 || len(uniq) > MaxBulk {
		return nil, &tenant.Error{Code: tenant.CodeInvalid, Message: fmt.Sprintf("1 to %d ids", MaxBulk), Fields: map[string]string{"body.ids": fmt.Sprintf("1 to %d ids", MaxBulk)}}
	}
	locked, err := tx.LockServices(ctx, store.LockServicesParams{TenantID: tx.TenantID(), Ids: uniq})
	if err != nil {
		return nil, err
	}
	if len(locked) != len(uniq) {
		return nil, tenant.NotFound("one or more services")
	}
	return uniq, nil
}

// SetServicesActive activates or deactivates every service of ids, or none.
func (c *Catalog) SetServicesActive(ctx context.Context, ids []uuid.UUID, active bool) (_ int, err error) {
	defer errs.Wrap(&err, "catalog: set %d services active=%t", len(ids), active)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return 0, err
	}
	var n int
	err = c.store.InTenant(ctx, func(tx *store.Tx) error {
		uniq, err := lockAll(ctx, tx, ids)
		if err != nil {
			return err
		}
		changed, err := tx.SetServicesActive(ctx, store.SetServicesActiveParams{TenantID: tx.TenantID(), Ids: uniq, Active: active})
		if err != nil {
			return err
		}
		for _, s := range changed {
			if err := c.recordVersion(ctx, tx, s); err != nil {
				return err
			}
		}
		n = len(changed)
		action := "service.bulk_deactivated"
		if active {
			action = "service.bulk_activated"
		}
		return tx.Audit(ctx, action, "service", nil, mustJSON(map[string]any{"ids": uniq, "changed": n}))
	})
	return n, err
}

// DeleteServices deletes every service of ids, or none.
func (c *Catalog) DeleteServices(ctx context.Context, ids []uuid.UUID) (_ int, err error) {
	defer errs.Wrap(&err, "catalog: delete %d services", len(ids))
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return 0, err
	}
	var n int
	err = c.store.InTenant(ctx, func(tx *store.Tx) error {
		uniq, err := lockAll(ctx, tx, ids)
		if err != nil {
			return err
		}
		deleted, err := tx.DeleteServices(ctx, store.DeleteServicesParams{TenantID: tx.TenantID(), Ids: uniq})
		if err != nil {
			return inUse(err)
		}
		n = int(deleted)
		return tx.Audit(ctx, "service.bulk_deleted", "service", nil, mustJSON(map[string]any{"ids": uniq}))
	})
	return n, err
}

func mustJSON(v any) []byte {
	b, _ := json.Marshal(v)
	return b
}

// SlugAvailable reports whether slug is free in the tenant.
func (c *Catalog) SlugAvailable(ctx context.Context, slug string) (_ bool, err error) {
	defer errs.Wrap(&err, "catalog: check slug")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return false, err
	}
	if !slugPattern.MatchString(slug) || len(slug) > 80 {
		return false, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid slug", Fields: map[string]string{"path.slug": "lower-case letters, digits and single hyphens"}}
	}
	var taken bool
	err = c.store.ReadTenant(ctx, func(tx *store.Tx) (err error) {
		taken, err = tx.ServiceSlugTaken(ctx, store.ServiceSlugTakenParams{TenantID: tx.TenantID(), Slug: slug})
		return err
	})
	return !taken, err
}

// Version is one recorded state of a service.
type Version struct {
	Version       int32
	Snapshot      json.RawMessage
	ChangedBy     *uuid.UUID
	ChangedByName string
	CreatedAt     time.Time
}

// ServiceVersions returns a service's history, newest first.
func (c *Catalog) ServiceVersions(ctx context.Context, id uuid.UUID) (_ []Version, err error) {
	defer errs.Wrap(&err, "catalog: versions of service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, err
	}
	if _, err := c.FindServiceByID(ctx, id); err != nil {
		return nil, err
	}
	var out []Version
	err = c.store.ReadTenant(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListServiceVersions(ctx, store.ListServiceVersionsParams{TenantID: tx.TenantID(), ServiceID: id, MaxRows: 200})
		for _, r := range rows {
			v := Version{Version: r.Version, Snapshot: r.Snapshot, ChangedBy: r.ChangedByMemberID, CreatedAt: r.CreatedAt}
			if r.ChangedByName != nil {
				v.ChangedByName = *r.ChangedByName
			}
			out = append(out, v)
		}
		return err
	})
	return out, err
}

// Stats are a service's figures.
type Stats struct {
	Bookings, Open, Completed, Cancelled, Requests int64
	RevenueMinor                                   int64
	Currency                                       string
	LastBookingAt                                  *time.Time
}

// ServiceStats returns a service's booking and request figures.
func (c *Catalog) ServiceStats(ctx context.Context, id uuid.UUID) (_ Stats, err error) {
	defer errs.Wrap(&err, "catalog: stats of service %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Stats{}, err
	}
	svc, err := c.FindServiceByID(ctx, id)
	if err != nil {
		return Stats{}, err
	}
	var out Stats
	err = c.store.ReadTenant(ctx, func(tx *store.Tx) error {
		r, err := tx.ServiceStats(ctx, store.ServiceStatsParams{TenantID: tx.TenantID(), ServiceID: &id})
		out = Stats{Bookings: r.Bookings, Open: r.UpcomingOrOpen, Completed: r.Completed, Cancelled: r.Cancelled,
			Requests: r.Requests, RevenueMinor: r.RevenueMinor, Currency: svc.Currency}
		if r.LastBookingAt.Unix() > 0 {
			t := r.LastBookingAt
			out.LastBookingAt = &t
		}
		return err
	})
	return out, err
}

// PublicServices returns the services a tenant shows the public: active and
// not archived.
func (c *Catalog) PublicServices(ctx context.Context) (_ []Service, err error) {
	defer errs.Wrap(&err, "catalog: public services")
	var out []Service
	err = c.store.ReadTenant(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListPublicServices(ctx, tx.TenantID())
		for _, r := range rows {
			out = append(out, serviceOf(r))
		}
		return err
	})
	return out, err
}
