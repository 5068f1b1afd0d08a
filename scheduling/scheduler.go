package scheduling

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	// The zone database travels in the binary: slots are computed right on
	// a host without /usr/share/zoneinfo.
	_ "time/tzdata"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Scheduler manages availability, free slots, bookings and booking
// preferences.
type Scheduler struct {
	store *store.Store
	now   func() time.Time
}

// New returns a Scheduler over st that reads the time from now: what is
// past, the lead time and the notice windows are judged by it.
func New(st *store.Store, now func() time.Time) *Scheduler {
	if now == nil {
		panic("scheduling: a clock is required")
	}
	return &Scheduler{store: st, now: now}
}

var (
	errStaffNotFound   = tenant.NotFound("staff member")
	errClientNotFound  = tenant.NotFound("client")
	errServiceNotFound = tenant.NotFound("service")
	errBookingNotFound = tenant.NotFound("booking")
	errRequestNotFound = tenant.NotFound("service request")
)

// terms are the organization's settings that scheduling reads: the
// effective values (the tenant's over the platform default).
type terms struct {
	loc                *time.Location
	leadTime           time.Duration
	buffer             int32 // minutes
	cancellationNotice int32 // minutes
	rescheduleNotice   int32 // minutes
	maxAdvance         time.Duration
	interval           time.Duration
}

// orgLocation returns the organization's time zone.
func orgLocation(ctx context.Context, tx *store.Tx) (*time.Location, error) {
	org, err := tx.GetOrganizationSettings(ctx, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("read organization settings: %w", err)
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		return nil, &tenant.Error{Code: tenant.CodeInternal, Message: "the organization's time zone is unknown", Err: err}
	}
	return loc, nil
}

// termRows are the settings rows terms come from, read with the other
// reads of a request (store.Tx.Together).
type termRows struct {
	org store.GetOrganizationSettingsRow
	bs  store.GetBookingSettingsRow
}

func (r *termRows) loads(ctx context.Context) []func(*store.Tx) error {
	return []func(*store.Tx) error{
		func(tx *store.Tx) (err error) {
			if r.org, err = tx.GetOrganizationSettings(ctx, tx.TenantID()); err != nil {
				return fmt.Errorf("read organization settings: %w", err)
			}
			return nil
		},
		func(tx *store.Tx) (err error) {
			if r.bs, err = tx.GetBookingSettings(ctx, tx.TenantID()); err != nil {
				return fmt.Errorf("read booking settings: %w", err)
			}
			return nil
		},
	}
}

func (r *termRows) terms() (terms, error) {
	loc, err := time.LoadLocation(r.org.TimeZone)
	if err != nil {
		return terms{}, &tenant.Error{Code: tenant.CodeInternal, Message: "the organization's time zone is unknown", Err: err}
	}
	bs := r.bs
	return terms{
		loc:                loc,
		leadTime:           time.Duration(bs.LeadTimeMinutes) * time.Minute,
		buffer:             bs.BufferMinutes,
		cancellationNotice: bs.CancellationNoticeMinutes,
		rescheduleNotice:   bs.RescheduleNoticeMinutes,
		maxAdvance:         time.Duration(bs.MaxAdvanceDays) * 24 * time.Hour,
		interval:           time.Duration(bs.SlotIntervalMinutes) * time.Minute,
	}, nil
}

// scopeOf returns the scope of ctx.
func scopeOf(ctx context.Context) (tenant.Scope, error) {
	s, ok := tenant.ScopeFrom(ctx)
	if !ok {
		return tenant.Scope{}, tenant.Errorf(tenant.CodeInternal, "no tenant scope in context")
	}
	return s, nil
}

// staffScope returns the scope of ctx if it acts for staff or above.
func staffScope(ctx context.Context) (tenant.Scope, error) {
	s, err := scopeOf(ctx)
	if err != nil {
		return s, err
	}
	if !s.Role.AtLeast(tenant.RoleStaff) || s.MemberID == uuid.Nil {
		return s, &tenant.Error{Code: tenant.CodeForbidden, Message: "your role does not allow this"}
	}
	return s, nil
}

// clientScope returns the scope of ctx if it acts for a client: the
// portal's own records are a client's.
func clientScope(ctx context.Context) (tenant.Scope, error) {
	s, err := scopeOf(ctx)
	if err != nil {
		return s, err
	}
	if s.Role != tenant.RoleClient || s.MemberID == uuid.Nil {
		return s, &tenant.Error{Code: tenant.CodeForbidden, Message: "the portal serves clients"}
	}
	return s, nil
}

// mayManage refuses a change of someone else's hours unless the scope is
// an admin's or an owner's.
func mayManage(s tenant.Scope, memberID uuid.UUID) error {
	if s.MemberID == memberID || s.Role.AtLeast(tenant.RoleAdmin) {
		return nil
	}
	return &tenant.Error{Code: tenant.CodeForbidden, Message: "staff manage their own hours; an admin manages anyone's"}
}

func isStaffRole(role string) bool { return tenant.Role(role).AtLeast(tenant.RoleStaff) }

// liveStaff returns the member id if it is a live member of the tenant
// with the staff role or above; anything else is not found.
func liveStaff(ctx context.Context, tx *store.Tx, id uuid.UUID) (store.Member, error) {
	m, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) || err == nil && !isStaffRole(m.Role) {
		return store.Member{}, errStaffNotFound
	}
	return m, err
}

// knownStaff is liveStaff for reading: a removed staff member's hours and
// bookings can still be listed.
func knownStaff(ctx context.Context, tx *store.Tx, id uuid.UUID) error {
	m, err := tx.GetMember(ctx, store.GetMemberParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) || err == nil && !isStaffRole(m.Role) {
		return errStaffNotFound
	}
	return err
}

// liveClient returns the member id if it is a live client of the tenant.
func liveClient(ctx context.Context, tx *store.Tx, id uuid.UUID) (store.Member, error) {
	m, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) || err == nil && tenant.Role(m.Role) != tenant.RoleClient {
		return store.Member{}, errClientNotFound
	}
	return m, err
}

// viewer is the zone the scope's member reads times in: its own
// (members.time_zone) when set and known, else the organization's.
type viewer struct{ zone *string }

// load reads the scope's member's zone (with a request's other reads,
// store.Tx.Together).
func (v *viewer) load(ctx context.Context) func(*store.Tx) error {
	return func(tx *store.Tx) error {
		id := tx.Scope().MemberID
		if id == uuid.Nil {
			return nil
		}
		m, err := tx.GetMember(ctx, store.GetMemberParams{TenantID: tx.TenantID(), ID: id})
		if err != nil {
			return fmt.Errorf("read viewer: %w", err)
		}
		v.zone = m.TimeZone
		return nil
	}
}

func (v *viewer) location(org *time.Location) *time.Location {
	if v.zone == nil || *v.zone == "" {
		return org
	}
	loc, err := time.LoadLocation(*v.zone)
	if err != nil {
		return org
	}
	return loc
}

func memberPtr(s tenant.Scope) *uuid.UUID {
	if s.MemberID == uuid.Nil {
		return nil
	}
	id := s.MemberID
	return &id
}

func audit(ctx context.Context, tx *store.Tx, action, targetType string, id uuid.UUID, detail map[string]any) error {
	b, err := json.Marshal(detail)
	if err != nil {
		return fmt.Errorf("encode audit detail: %w", err)
	}
	return tx.Audit(ctx, action, targetType, &id, b)
}

func pgClock(c Clock) pgtype.Time {
	return pgtype.Time{Microseconds: int64(c) * int64(time.Minute/time.Microsecond), Valid: true}
}

// pgClockOrNull is pgClock, NULL for nil.
func pgClockOrNull(c *Clock) pgtype.Time {
	if c == nil {
		return pgtype.Time{}
	}
	return pgClock(*c)
}

func clockOf(t pgtype.Time) Clock { return Clock(t.Microseconds / int64(time.Minute/time.Microsecond)) }

// startOfDay returns the first instant of date d in loc.
func startOfDay(d Date, loc *time.Location) time.Time {
	if segs := daySegments(d, loc); len(segs) > 0 {
		return segs[0].start
	}
	return d.wall()
}

func invalid(message string, fields map[string]string) error {
	return &tenant.Error{Code: tenant.CodeInvalid, Message: message, Fields: fields}
}
