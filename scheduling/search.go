package scheduling

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// MaxSlotRangeDays bounds the dates of one slot search.
const MaxSlotRangeDays = 31

// SlotQuery asks for the free slots of a service.
type SlotQuery struct {
	ServiceID uuid.UUID
	// StaffMemberID limits the search to one staff member; nil searches
	// every live staff member.
	StaffMemberID *uuid.UUID
	// From and To are the first and last local dates (organization's
	// zone), at most MaxSlotRangeDays apart.
	From, To Date
	Page     keyset.Page[SlotKey]
}

// SlotKey is the position of a slot in the list order (start, member).
type SlotKey struct {
	Start    time.Time `json:"s"`
	MemberID uuid.UUID `json:"m"`
}

func (k SlotKey) before(s Slot) bool {
	if !k.Start.Equal(s.Start) {
		return k.Start.Before(s.Start)
	}
	return bytes.Compare(k.MemberID[:], s.MemberID[:]) < 0
}

// FreeSlot is a free slot with the name of its staff member.
type FreeSlot struct {
	Slot
	StaffName string
}

// SlotPage is a page of free slots.
type SlotPage struct {
	Slots []FreeSlot
	// Location is the organization's zone, in which Start and End are
	// given; Viewer is the zone of the member who asked (its own, else the
	// organization's).
	Location, Viewer *time.Location
	// DurationMinutes is the service's duration.
	DurationMinutes int32
	// Next is the key after which the next page starts; nil on the last.
	Next *SlotKey
}

// FindSlots returns the free slots of a service (staff view): the service
// must exist (CodeNotFound) and be active (CodeConflict); a staff member
// filter must name a live staff member (CodeNotFound).
func (s *Scheduler) FindSlots(ctx context.Context, q SlotQuery) (_ SlotPage, err error) {
	defer errs.Wrap(&err, "scheduling: find slots")
	if _, err := staffScope(ctx); err != nil {
		return SlotPage{}, err
	}
	return s.findSlots(ctx, q, false)
}

// FindMySlots is FindSlots for a client: an inactive service reads as
// missing.
func (s *Scheduler) FindMySlots(ctx context.Context, q SlotQuery) (_ SlotPage, err error) {
	defer errs.Wrap(&err, "scheduling: find my slots")
	if _, err := scopeOf(ctx); err != nil {
		return SlotPage{}, err
	}
	return s.findSlots(ctx, q, true)
}

func validateRange(from, to Date) error {
	switch days := from.DaysUntil(to); {
	case days < 0:
		return invalid("invalid date range", map[string]string{"query.to": "on or after from"})
	case days >= MaxSlotRangeDays:
		return invalid("invalid date range", map[string]string{"query.to": fmt.Sprintf("at most %d days after from", MaxSlotRangeDays-1)})
	}
	return nil
}

func (s *Scheduler) findSlots(ctx context.Context, q SlotQuery, asClient bool) (SlotPage, error) {
	if err := validateRange(q.From, q.To); err != nil {
		return SlotPage{}, err
	}
	limit := q.Page.Size()
	var out SlotPage
	var slots []Slot
	names := map[uuid.UUID]string{}
	err := s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		// One round trip when the staff member is named, two otherwise
		// (the staff, then their calendars).
		var (
			tr    termRows
			svc   store.Service
			staff []store.Member
			v     viewer
			cal   calendarRows
		)
		loads := append(tr.loads(ctx),
			func(tx *store.Tx) (err error) {
				svc, err = bookableService(ctx, tx, q.ServiceID, asClient)
				return err
			},
			func(tx *store.Tx) error {
				if q.StaffMemberID == nil {
					var err error
					if staff, err = tx.ListBookableStaff(ctx, tx.TenantID()); err != nil {
						return fmt.Errorf("list staff: %w", err)
					}
					return nil
				}
				m, err := liveStaff(ctx, tx, *q.StaffMemberID)
				staff = []store.Member{m}
				return err
			},
			v.load(ctx),
		)
		if q.StaffMemberID != nil {
			loads = append(loads, cal.loads(ctx, []uuid.UUID{*q.StaffMemberID}, q.From, q.To, uuid.Nil)...)
		}
		if err := tx.Together(ctx, loads...); err != nil {
			return err
		}
		tm, err := tr.terms()
		if err != nil {
			return err
		}
		for _, m := range staff {
			names[m.ID] = m.DisplayName
		}
		var cals []StaffCalendar
		if q.StaffMemberID != nil {
			cals = cal.of([]uuid.UUID{*q.StaffMemberID})
		} else if cals, err = calendars(ctx, tx, staff, q.From, q.To, uuid.Nil); err != nil {
			return err
		}
		out.Viewer = v.location(tm.loc)
		out.Location, out.DurationMinutes = tm.loc, svc.DurationMinutes
		slots = FreeSlots(tm.slotRules(s.now(), q.From, q.To, time.Duration(svc.DurationMinutes)*time.Minute, 0, time.Duration(tm.buffer)*time.Minute), cals)
		return nil
	})
	if err != nil {
		return SlotPage{}, err
	}
	for _, sl := range slots {
		if q.Page.After != nil && !q.Page.After.before(sl) {
			continue
		}
		if len(out.Slots) == limit {
			last := out.Slots[limit-1]
			out.Next = &SlotKey{Start: last.Start, MemberID: last.MemberID}
			break
		}
		out.Slots = append(out.Slots, FreeSlot{Slot: sl, StaffName: names[sl.MemberID]})
	}
	return out, nil
}

// slotRules are the terms of a search from now over [from, to] for a
// booking of duration with the given buffers.
func (tm terms) slotRules(now time.Time, from, to Date, duration, before, after time.Duration) SlotRules {
	return SlotRules{
		Location: tm.loc, From: from, To: to, Duration: duration, Interval: tm.interval,
		BufferBefore: before, BufferAfter: after,
		Earliest: now.Add(tm.leadTime), Latest: now.Add(tm.maxAdvance),
	}
}

// bookableService returns a service open for booking: it must exist
// (CodeNotFound) and be active and not archived (for a client CodeNotFound,
// for staff CodeConflict).
func bookableService(ctx context.Context, tx *store.Tx, id uuid.UUID, asClient bool) (store.Service, error) {
	svc, err := tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) {
		return svc, errServiceNotFound
	}
	if err != nil {
		return svc, err
	}
	if !svc.Active || svc.ArchivedAt != nil {
		if asClient {
			return svc, errServiceNotFound
		}
		return svc, &tenant.Error{Code: tenant.CodeConflict, Message: "the service is not open for booking (inactive or archived)"}
	}
	return svc, nil
}

// calendars loads what decides the staff's free time over the local dates
// [from, to] (and the day after, into which a slot may run): weekly hours,
// exceptions and the blocked ranges of active bookings, except the booking
// exclude. Its three reads travel together.
func calendars(ctx context.Context, tx *store.Tx, staff []store.Member, from, to Date, exclude uuid.UUID) ([]StaffCalendar, error) {
	if len(staff) == 0 {
		return nil, nil
	}
	ids := make([]uuid.UUID, len(staff))
	for i, m := range staff {
		ids[i] = m.ID
	}
	var c calendarRows
	if err := tx.Together(ctx, c.loads(ctx, ids, from, to, exclude)...); err != nil {
		return nil, err
	}
	return c.of(ids), nil
}

// calendarRows are the rows of the staff's calendars, read with the other
// reads of a request (store.Tx.Together).
type calendarRows struct {
	rules []store.AvailabilityRule
	exc   []store.AvailabilityException
	busy  []store.ListBusyOfMembersRow
}

// loads returns the reads of the calendars of the members ids over the
// local dates [from, to]. The bookings are read over a window wide enough
// for any time zone (a local day starts at most 14 hours from midnight
// UTC), so that the reads need not wait for the organization's.
func (c *calendarRows) loads(ctx context.Context, ids []uuid.UUID, from, to Date, exclude uuid.UUID) []func(*store.Tx) error {
	return []func(*store.Tx) error{
		func(tx *store.Tx) (err error) {
			if c.rules, err = tx.ListRulesOfMembers(ctx, store.ListRulesOfMembersParams{TenantID: tx.TenantID(), MemberIds: ids}); err != nil {
				return fmt.Errorf("list weekly hours: %w", err)
			}
			return nil
		},
		func(tx *store.Tx) (err error) {
			c.exc, err = tx.ListExceptionsOfMembers(ctx, store.ListExceptionsOfMembersParams{
				TenantID: tx.TenantID(), MemberIds: ids, FromDate: from.wall(), ToDate: to.AddDays(1).wall(),
			})
			if err != nil {
				return fmt.Errorf("list exceptions: %w", err)
			}
			return nil
		},
		func(tx *store.Tx) (err error) {
			c.busy, err = tx.ListBusyOfMembers(ctx, store.ListBusyOfMembersParams{
				TenantID: tx.TenantID(), MemberIds: ids, ExcludeID: exclude,
				WindowFrom: from.wall().Add(-72 * time.Hour), WindowUntil: to.AddDays(2).wall().Add(72 * time.Hour),
			})
			if err != nil {
				return fmt.Errorf("list bookings: %w", err)
			}
			return nil
		},
	}
}

// of returns the calendars of the members ids, in their order.
func (c *calendarRows) of(ids []uuid.UUID) []StaffCalendar {
	out := make([]StaffCalendar, len(ids))
	byID := make(map[uuid.UUID]*StaffCalendar, len(ids))
	for i, id := range ids {
		out[i].MemberID = id
		byID[id] = &out[i]
	}
	for _, r := range c.rules {
		if cal := byID[r.MemberID]; cal != nil {
			cal.Weekly = append(cal.Weekly, WeeklyHours{Weekday: int(r.Weekday), Start: clockOf(r.StartTime), End: clockOf(r.EndTime)})
		}
	}
	for _, e := range c.exc {
		if cal := byID[e.MemberID]; cal != nil {
			cal.Exceptions = append(cal.Exceptions, exceptionOf(e).dateException())
		}
	}
	for _, b := range c.busy {
		if cal := byID[b.StaffMemberID]; cal != nil {
			cal.Busy = append(cal.Busy, Interval{Start: b.BlockedFrom, End: b.BlockedUntil})
		}
	}
	return out
}
