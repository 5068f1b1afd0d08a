package scheduling

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/jobs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Status is the state of a booking.
type Status string

// The states of a booking. Pending and confirmed bookings are active: they
// hold their time.
const (
	StatusPending   Status = "pending"
	StatusConfirmed Status = "confirmed"
	StatusCancelled Status = "cancelled"
	StatusCompleted Status = "completed"
	StatusNoShow    Status = "no_show"
)

func (s Status) active() bool { return s == StatusPending || s == StatusConfirmed }

// Booking is a booked slot, with the names it shows.
type Booking struct {
	ID               uuid.UUID
	ServiceID        uuid.UUID
	ServiceName      string
	StaffMemberID    uuid.UUID
	StaffName        string
	ClientMemberID   uuid.UUID
	ClientName       string
	ServiceRequestID *uuid.UUID
	// StartsAt and EndsAt are in the organization's zone.
	StartsAt, EndsAt time.Time
	Status           Status
	// The terms copied onto the booking when it was made.
	BufferBeforeMinutes, BufferAfterMinutes            int32
	CancellationNoticeMinutes, RescheduleNoticeMinutes int32
	PriceMinor                                         int64
	Currency                                           string
	Notes                                              string
	CreatedByMemberID                                  *uuid.UUID
	CancelledAt                                        *time.Time
	CreatedAt, UpdatedAt                               time.Time
}

// CancellableUntil is the last moment a client may cancel the booking.
func (b Booking) CancellableUntil() time.Time {
	return b.StartsAt.Add(-time.Duration(b.CancellationNoticeMinutes) * time.Minute)
}

// ReschedulableUntil is the last moment a client may reschedule the
// booking.
func (b Booking) ReschedulableUntil() time.Time {
	return b.StartsAt.Add(-time.Duration(b.RescheduleNoticeMinutes) * time.Minute)
}

// StaffActions are the changes staff may make to a booking at an instant:
// the same rules the changes themselves enforce.
type StaffActions struct {
	Confirm, Complete, NoShow, Cancel, Reschedule bool
}

// StaffActions returns what staff may do with b at now: confirm a pending
// booking; mark a confirmed one that has started completed or a no-show;
// cancel or reschedule an active one.
func (b Booking) StaffActions(now time.Time) StaffActions {
	active := b.Status.active()
	started := !b.StartsAt.After(now)
	finish := b.Status == StatusConfirmed && started
	return StaffActions{Confirm: b.Status == StatusPending, Complete: finish, NoShow: finish, Cancel: active, Reschedule: active}
}

func bookingOf(b store.Booking, service, staff, client string, loc *time.Location) Booking {
	return Booking{
		ID: b.ID, ServiceID: b.ServiceID, ServiceName: service, StaffMemberID: b.StaffMemberID, StaffName: staff,
		ClientMemberID: b.ClientMemberID, ClientName: client, ServiceRequestID: b.ServiceRequestID,
		StartsAt: b.StartsAt.In(loc), EndsAt: b.EndsAt.In(loc), Status: Status(b.Status),
		BufferBeforeMinutes: b.BufferBeforeMinutes, BufferAfterMinutes: b.BufferAfterMinutes,
		CancellationNoticeMinutes: b.CancellationNoticeMinutes, RescheduleNoticeMinutes: b.RescheduleNoticeMinutes,
		PriceMinor: b.PriceMinor, Currency: b.Currency, Notes: b.Notes, CreatedByMemberID: b.CreatedByMemberID,
		CancelledAt: b.CancelledAt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
}

// Event is one entry of a booking's timeline.
type Event struct {
	Kind                             string
	ActorMemberID                    *uuid.UUID
	ActorName                        string
	PreviousStartsAt, PreviousEndsAt *time.Time
	Note                             string
	CreatedAt                        time.Time
}

// BookingDetail is a booking with its timeline, oldest event first.
type BookingDetail struct {
	Booking
	Events []Event
}

// BookingInput is a new booking.
type BookingInput struct {
	ServiceID     uuid.UUID
	StaffMemberID uuid.UUID
	// ClientMemberID is the client booked for; ignored (the scope's own
	// member) when a client books for itself.
	ClientMemberID uuid.UUID
	// StartsAt must be the start of a free slot of the staff member.
	StartsAt time.Time
	// ServiceRequestID optionally names a request of the same client.
	ServiceRequestID *uuid.UUID
	Notes            string
}

// BookingKey is the position of a booking in the list order.
type BookingKey struct {
	StartsAt time.Time `json:"s"`
	ID       uuid.UUID `json:"i"`
}

// BookingFilter selects bookings. Nil fields do not filter.
type BookingFilter struct {
	StaffMemberID *uuid.UUID
	Status        *Status
	// From and To bound the local date (organization's zone) of the start,
	// inclusive.
	From, To *Date
	Page     keyset.Page[BookingKey]
}

// actor is who changes a booking: staff, or a client limited to its own
// bookings and bound by their notice.
type actor struct {
	scope  tenant.Scope
	client bool
}

func (a actor) clientFilter() *uuid.UUID {
	if !a.client {
		return nil
	}
	id := a.scope.MemberID
	return &id
}

func conflict(message string) error {
	return &tenant.Error{Code: tenant.CodeConflict, Message: message}
}

var errNotFree = &tenant.Error{Code: tenant.CodeConflict, Message: "this time is not a free slot of the staff member",
	Fields: map[string]string{"body.starts_at": "not a free slot"}}

// taken explains an exclusion violation of the bookings: another booking
// took the time between the check and the write.
func taken(err error) error {
	if e, ok := store.Translate(err).(*tenant.Error); ok && e.Code == tenant.CodeConflict && e.Constraint == "bookings_no_overlap" {
		return &tenant.Error{Code: tenant.CodeConflict, Message: "the slot was just taken by another booking",
			Fields: map[string]string{"body.starts_at": "taken"}, Constraint: e.Constraint, Err: err}
	}
	return err
}

// CreateBooking books a free slot for a client (staff).
func (s *Scheduler) CreateBooking(ctx context.Context, in BookingInput) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: create booking")
	scope, err := staffScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	return s.createBooking(ctx, actor{scope: scope}, in)
}

// CreateMyBooking books a free slot for the client of the scope.
func (s *Scheduler) CreateMyBooking(ctx context.Context, in BookingInput) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: create my booking")
	scope, err := clientScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	in.ClientMemberID = scope.MemberID
	return s.createBooking(ctx, actor{scope: scope, client: true}, in)
}

// createBooking books in.StartsAt if it is a free slot of the staff member
// (CodeConflict otherwise). The service's requires_confirmation makes the
// booking pending, else it is confirmed. The service, staff member, client
// and service request must exist in the tenant (CodeNotFound). The
// database's exclusion constraint decides between concurrent bookings.
func (s *Scheduler) createBooking(ctx context.Context, a actor, in BookingInput) (Booking, error) {
	f := map[string]string{}
	if in.StartsAt.IsZero() {
		f["body.starts_at"] = "required"
	}
	if utf8.RuneCountInString(in.Notes) > 2000 {
		f["body.notes"] = "at most 2000 characters"
	}
	if len(f) > 0 {
		return Booking{}, invalid("invalid booking", f)
	}
	var out Booking
	err := s.store.InTenant(ctx, func(tx *store.Tx) error {
		// Everything the booking is decided on travels in the
		// transaction's first round trip; the staff member's calendar is
		// read over the days around the start in UTC, which hold its local
		// day in any zone.
		var (
			tr            termRows
			svc           store.Service
			staff, client store.Member
			request       *store.LockClientServiceRequestRow
			prefs         store.ClientPreference
			cal           calendarRows
		)
		utcDay := DateOf(in.StartsAt.UTC())
		loads := append(tr.loads(ctx),
			func(tx *store.Tx) (err error) {
				svc, err = bookableService(ctx, tx, in.ServiceID, a.client)
				return err
			},
			func(tx *store.Tx) (err error) {
				staff, err = liveStaff(ctx, tx, in.StaffMemberID)
				return err
			},
			func(tx *store.Tx) (err error) {
				client, err = liveClient(ctx, tx, in.ClientMemberID)
				return err
			},
			func(tx *store.Tx) error {
				if in.ServiceRequestID == nil {
					return nil
				}
				r, err := tx.LockClientServiceRequest(ctx, store.LockClientServiceRequestParams{
					TenantID: tx.TenantID(), ID: *in.ServiceRequestID, ClientMemberID: in.ClientMemberID,
				})
				if store.IsNotFound(err) {
					return errRequestNotFound
				}
				request = &r
				return err
			},
			func(tx *store.Tx) (err error) {
				prefs, err = tx.GetClientPreferences(ctx, store.GetClientPreferencesParams{TenantID: tx.TenantID(), MemberID: in.ClientMemberID})
				if err != nil && !store.IsNotFound(err) {
					return fmt.Errorf("read client preferences: %w", err)
				}
				return nil
			},
		)
		loads = append(loads, cal.loads(ctx, []uuid.UUID{in.StaffMemberID}, utcDay.AddDays(-1), utcDay.AddDays(1), uuid.Nil)...)
		if err := tx.Together(ctx, loads...); err != nil {
			return err
		}
		tm, err := tr.terms()
		if err != nil {
			return err
		}
		var requestStatus string
		if request != nil {
			switch request.Status {
			case "approved", "scheduled", "in_progress":
				requestStatus = request.Status
			default:
				return &tenant.Error{Code: tenant.CodeConflict, Message: "the service request is " + request.Status + ": only an approved, scheduled or in-progress request can be booked",
					Fields: map[string]string{"body.service_request_id": "not approved"}}
			}
		}
		duration := time.Duration(svc.DurationMinutes) * time.Minute
		buffer := time.Duration(tm.buffer) * time.Minute
		if err := s.free(tm, cal.of([]uuid.UUID{staff.ID}), in.StartsAt, duration, 0, buffer); err != nil {
			return err
		}
		status := StatusConfirmed
		if svc.RequiresConfirmation {
			status = StatusPending
		}
		b, err := tx.CreateBooking(ctx, store.CreateBookingParams{
			TenantID: tx.TenantID(), ServiceID: svc.ID, StaffMemberID: staff.ID, ClientMemberID: in.ClientMemberID,
			ServiceRequestID: in.ServiceRequestID, StartsAt: in.StartsAt, EndsAt: in.StartsAt.Add(duration),
			BufferBeforeMinutes: 0, BufferAfterMinutes: tm.buffer, Status: string(status),
			CancellationNoticeMinutes: tm.cancellationNotice, RescheduleNoticeMinutes: tm.rescheduleNotice,
			PriceMinor: svc.PriceMinor, Currency: svc.Currency, Notes: in.Notes, CreatedByMemberID: memberPtr(a.scope),
		})
		if err != nil {
			return taken(err)
		}
		if err := event(ctx, tx, a, b.ID, "created", nil, string(status)); err != nil {
			return err
		}
		if status == StatusConfirmed {
			if err := queueMailFor(ctx, tx, a, b.ID, prefs, b.StartsAt, s.now(), true); err != nil {
				return err
			}
		}
		if requestStatus == "approved" {
			if err := moveRequest(ctx, tx, a, s.now(), *in.ServiceRequestID, "approved", "scheduled", "booked for "+in.StartsAt.In(tm.loc).Format(time.RFC3339)); err != nil {
				return err
			}
		}
		if err := audit(ctx, tx, "booking.created", "booking", b.ID, map[string]any{
			"service_id": svc.ID, "staff_member_id": staff.ID, "client_member_id": in.ClientMemberID,
			"starts_at": b.StartsAt, "status": status, "service_request_id": in.ServiceRequestID,
		}); err != nil {
			return err
		}
		// The names were read above, in this transaction.
		out = bookingOf(b, svc.Name, staff.DisplayName, client.DisplayName, tm.loc)
		return nil
	})
	return out, err
}

// checkFree refuses start unless it is a free slot of staff for a booking
// of duration with the given buffers, leaving the booking exclude aside.
func (s *Scheduler) checkFree(ctx context.Context, tx *store.Tx, tm terms, staff store.Member, start time.Time, duration, before, after time.Duration, exclude uuid.UUID) error {
	day := DateOf(start.In(tm.loc))
	cals, err := calendars(ctx, tx, []store.Member{staff}, day, day, exclude)
	if err != nil {
		return err
	}
	return s.free(tm, cals, start, duration, before, after)
}

// free refuses start unless it is a free slot in cals (which hold the
// staff member's calendar over start's local day and the day after).
func (s *Scheduler) free(tm terms, cals []StaffCalendar, start time.Time, duration, before, after time.Duration) error {
	day := DateOf(start.In(tm.loc))
	for _, sl := range FreeSlots(tm.slotRules(s.now(), day, day, duration, before, after), cals) {
		if sl.Start.Equal(start) {
			return nil
		}
	}
	return errNotFree
}

func event(ctx context.Context, tx *store.Tx, a actor, bookingID uuid.UUID, kind string, previous *store.Booking, note string) error {
	p := store.InsertBookingEventParams{TenantID: tx.TenantID(), BookingID: bookingID, Kind: kind, ActorMemberID: memberPtr(a.scope), Note: note}
	if previous != nil {
		p.PreviousStartsAt, p.PreviousEndsAt = &previous.StartsAt, &previous.EndsAt
	}
	// Sent with COMMIT: nothing reads it back in the transaction.
	if err := tx.Later().InsertBookingEvent(ctx, p); err != nil {
		return fmt.Errorf("record booking event: %w", err)
	}
	return nil
}

// moveRequest moves a service request from one status to another and
// records the transition in its history, at now.
func moveRequest(ctx context.Context, tx *store.Tx, a actor, now time.Time, id uuid.UUID, from, to, note string) error {
	if _, err := tx.SetServiceRequestStatus(ctx, store.SetServiceRequestStatusParams{TenantID: tx.TenantID(), ID: id, Status: to}); err != nil {
		return fmt.Errorf("move service request to %s: %w", to, err)
	}
	if err := tx.InsertServiceRequestEvent(ctx, store.InsertServiceRequestEventParams{
		TenantID: tx.TenantID(), ServiceRequestID: id, FromStatus: &from, ToStatus: to, ActorMemberID: memberPtr(a.scope), Note: note, CreatedAt: now,
	}); err != nil {
		return fmt.Errorf("record service request event: %w", err)
	}
	return nil
}

// readBooking reads one booking with its names; with client, only that
// client's (CodeNotFound otherwise).
func readBooking(ctx context.Context, tx *store.Tx, loc *time.Location, id uuid.UUID, client *uuid.UUID) (Booking, error) {
	r, err := tx.GetBookingDetail(ctx, store.GetBookingDetailParams{TenantID: tx.TenantID(), ID: id, ClientMemberID: client})
	if store.IsNotFound(err) {
		return Booking{}, errBookingNotFound
	}
	if err != nil {
		return Booking{}, err
	}
	return bookingOf(r.Booking, r.ServiceName, r.StaffName, r.ClientName, loc), nil
}

// FindBookingByID returns a booking with its timeline (staff).
// CodeNotFound if missing or another tenant's.
func (s *Scheduler) FindBookingByID(ctx context.Context, id uuid.UUID) (_ BookingDetail, err error) {
	defer errs.Wrap(&err, "scheduling: find booking %s", id)
	scope, err := staffScope(ctx)
	if err != nil {
		return BookingDetail{}, err
	}
	return s.findBooking(ctx, actor{scope: scope}, id)
}

// FindMyBooking returns a booking of the scope's client with its timeline.
// Another client's booking is CodeNotFound, like a missing one.
func (s *Scheduler) FindMyBooking(ctx context.Context, id uuid.UUID) (_ BookingDetail, err error) {
	defer errs.Wrap(&err, "scheduling: find my booking %s", id)
	scope, err := clientScope(ctx)
	if err != nil {
		return BookingDetail{}, err
	}
	return s.findBooking(ctx, actor{scope: scope, client: true}, id)
}

func (s *Scheduler) findBooking(ctx context.Context, a actor, id uuid.UUID) (BookingDetail, error) {
	var out BookingDetail
	err := s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		loc, err := orgLocation(ctx, tx)
		if err != nil {
			return err
		}
		if out.Booking, err = readBooking(ctx, tx, loc, id, a.clientFilter()); err != nil {
			return err
		}
		evs, err := tx.ListBookingEvents(ctx, store.ListBookingEventsParams{TenantID: tx.TenantID(), BookingID: id})
		for _, e := range evs {
			ev := Event{Kind: e.Kind, ActorMemberID: e.ActorMemberID, PreviousStartsAt: inLoc(e.PreviousStartsAt, loc),
				PreviousEndsAt: inLoc(e.PreviousEndsAt, loc), Note: e.Note, CreatedAt: e.CreatedAt}
			if e.ActorName != nil {
				ev.ActorName = *e.ActorName
			}
			out.Events = append(out.Events, ev)
		}
		return err
	})
	return out, err
}

func inLoc(t *time.Time, loc *time.Location) *time.Time {
	if t == nil {
		return nil
	}
	v := t.In(loc)
	return &v
}

// FindBookings returns a page of bookings (staff) and the key after which
// the next page starts (nil on the last page). A staff filter naming no
// staff member of the tenant is CodeNotFound.
func (s *Scheduler) FindBookings(ctx context.Context, f BookingFilter) (_ []Booking, _ *BookingKey, err error) {
	defer errs.Wrap(&err, "scheduling: find bookings")
	scope, err := staffScope(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s.findBookings(ctx, actor{scope: scope}, f)
}

// FindMyBookings returns a page of the scope's client's bookings.
func (s *Scheduler) FindMyBookings(ctx context.Context, f BookingFilter) (_ []Booking, _ *BookingKey, err error) {
	defer errs.Wrap(&err, "scheduling: find my bookings")
	scope, err := clientScope(ctx)
	if err != nil {
		return nil, nil, err
	}
	f.StaffMemberID = nil
	return s.findBookings(ctx, actor{scope: scope, client: true}, f)
}

func (s *Scheduler) findBookings(ctx context.Context, a actor, f BookingFilter) ([]Booking, *BookingKey, error) {
	if f.From != nil && f.To != nil && f.To.Before(*f.From) {
		return nil, nil, invalid("invalid date range", map[string]string{"query.to": "on or after from"})
	}
	p := store.ListBookingsParams{StaffMemberID: f.StaffMemberID, ClientMemberID: a.clientFilter(), PageSize: f.Page.Fetch()}
	if f.Status != nil {
		st := string(*f.Status)
		p.Status = &st
	}
	if k := f.Page.After; k != nil {
		p.HasAfter, p.AfterStartsAt, p.AfterID = true, k.StartsAt, k.ID
	}
	var out []Booking
	err := s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		loc, err := orgLocation(ctx, tx)
		if err != nil {
			return err
		}
		if f.StaffMemberID != nil {
			if err := knownStaff(ctx, tx, *f.StaffMemberID); err != nil {
				return err
			}
		}
		if f.From != nil {
			t := startOfDay(*f.From, loc)
			p.StartsFrom = &t
		}
		if f.To != nil {
			t := startOfDay(f.To.AddDays(1), loc)
			p.StartsBefore = &t
		}
		p.TenantID = tx.TenantID()
		rows, err := tx.ListBookings(ctx, p)
		for _, r := range rows {
			out = append(out, bookingOf(r.Booking, r.ServiceName, r.StaffName, r.ClientName, loc))
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out, next := keyset.Cut(out, f.Page, func(b Booking) BookingKey { return BookingKey{StartsAt: b.StartsAt, ID: b.ID} })
	return out, next, nil
}

// change locks a booking the actor may see (CodeNotFound otherwise), lets
// fn change it, and returns it as it then reads.
func (s *Scheduler) change(ctx context.Context, a actor, id uuid.UUID, fn func(*store.Tx, terms, store.Booking) error) (Booking, error) {
	var out Booking
	err := s.store.InTenant(ctx, func(tx *store.Tx) error {
		// The booking and the terms in the first round trip; the booking
		// read back with COMMIT.
		var (
			b  store.Booking
			tr termRows
		)
		err := tx.Together(ctx, append([]func(*store.Tx) error{func(tx *store.Tx) (err error) {
			b, err = tx.LockBooking(ctx, store.LockBookingParams{TenantID: tx.TenantID(), ID: id, ClientMemberID: a.clientFilter()})
			if store.IsNotFound(err) {
				return errBookingNotFound
			}
			return err
		}}, tr.loads(ctx)...)...)
		if err != nil {
			return err
		}
		tm, err := tr.terms()
		if err != nil {
			return err
		}
		if err := fn(tx, tm, b); err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) (err error) {
			out, err = readBooking(ctx, tx, tm.loc, id, nil)
			return err
		})
	})
	return out, err
}

// queueMail inserts, in the booking's transaction, the jobs that mail its
// client: the confirmation (when confirmation is set) and the reminder of
// the start startsAt, at the lead the client's preferences ask for (none
// when they opt out, or when the booking starts before now). They go out
// only if the transaction commits.
func queueMail(ctx context.Context, tx *store.Tx, a actor, bookingID, clientID uuid.UUID, startsAt, now time.Time, confirmation bool) error {
	p, err := tx.GetClientPreferences(ctx, store.GetClientPreferencesParams{TenantID: tx.TenantID(), MemberID: clientID})
	if err != nil && !store.IsNotFound(err) {
		return fmt.Errorf("read client preferences: %w", err)
	}
	return queueMailFor(ctx, tx, a, bookingID, p, startsAt, now, confirmation)
}

// queueMailFor is queueMail with the client's preferences p read already
// (the zero value when the client has none).
func queueMailFor(ctx context.Context, tx *store.Tx, a actor, bookingID uuid.UUID, p store.ClientPreference, startsAt, now time.Time, confirmation bool) error {
	t := jobs.For(a.scope)
	var queue []store.JobArgs
	if confirmation {
		queue = append(queue, jobs.BookingConfirmation{Tenant: t, BookingID: bookingID})
	}
	if lead, ok := jobs.ReminderLead(p.ContactChannel, p.ReminderMinutesBefore); ok && now.Before(startsAt) {
		remindAt := startsAt.Add(-lead)
		if remindAt.Before(now) {
			remindAt = now
		}
		queue = append(queue, jobs.BookingReminder{Tenant: t, BookingID: bookingID, StartsAt: startsAt, RemindAt: remindAt})
	}
	// Both in one statement.
	return tx.InsertJob(ctx, queue...)
}

// setStatus moves a booking from one of from to to, records the event and
// the audit row.
func setStatus(ctx context.Context, tx *store.Tx, a actor, b store.Booking, now time.Time, to Status, note string, from ...Status) error {
	ok := false
	for _, f := range from {
		ok = ok || Status(b.Status) == f
	}
	if !ok {
		return conflict(fmt.Sprintf("a %s booking cannot become %s", b.Status, to))
	}
	var cancelledAt *time.Time
	if to == StatusCancelled {
		cancelledAt = &now
	}
	// Sent with COMMIT, as the event and the audit row.
	if err := tx.Later().SetBookingStatus(ctx, store.SetBookingStatusParams{TenantID: tx.TenantID(), ID: b.ID, Status: string(to), CancelledAt: cancelledAt}); err != nil {
		return fmt.Errorf("set booking status: %w", err)
	}
	if err := event(ctx, tx, a, b.ID, string(to), nil, note); err != nil {
		return err
	}
	if to == StatusConfirmed {
		if err := queueMail(ctx, tx, a, b.ID, b.ClientMemberID, b.StartsAt, now, true); err != nil {
			return err
		}
	}
	if to == StatusCancelled {
		// The client hears of it; the booking's reminder, if any, finds it
		// cancelled and sends nothing.
		if err := tx.InsertJob(ctx, jobs.BookingChanged{Tenant: jobs.For(a.scope), BookingID: b.ID, Change: jobs.ChangeCancelled}); err != nil {
			return err
		}
	}
	return audit(ctx, tx, "booking."+string(to), "booking", b.ID, map[string]any{"from": b.Status, "note": note})
}

// ConfirmBooking confirms a pending booking (staff); any other status is
// CodeConflict.
func (s *Scheduler) ConfirmBooking(ctx context.Context, id uuid.UUID) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: confirm booking %s", id)
	scope, err := staffScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	a := actor{scope: scope}
	return s.change(ctx, a, id, func(tx *store.Tx, _ terms, b store.Booking) error {
		return setStatus(ctx, tx, a, b, s.now(), StatusConfirmed, "", StatusPending)
	})
}

// CompleteBooking marks a confirmed booking that has started as completed
// (staff); MarkNoShow marks it as a no-show. Any other booking is
// CodeConflict.
func (s *Scheduler) CompleteBooking(ctx context.Context, id uuid.UUID) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: complete booking %s", id)
	return s.finish(ctx, id, StatusCompleted)
}

// MarkNoShow: see CompleteBooking.
func (s *Scheduler) MarkNoShow(ctx context.Context, id uuid.UUID) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: mark no show %s", id)
	return s.finish(ctx, id, StatusNoShow)
}

func (s *Scheduler) finish(ctx context.Context, id uuid.UUID, to Status) (Booking, error) {
	scope, err := staffScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	a := actor{scope: scope}
	return s.change(ctx, a, id, func(tx *store.Tx, _ terms, b store.Booking) error {
		if b.StartsAt.After(s.now()) && Status(b.Status).active() {
			return conflict("the booking has not started yet")
		}
		return setStatus(ctx, tx, a, b, s.now(), to, "", StatusConfirmed)
	})
}

// CancelBooking cancels an active booking (staff, at any time).
func (s *Scheduler) CancelBooking(ctx context.Context, id uuid.UUID, reason string) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: cancel booking %s", id)
	scope, err := staffScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	return s.cancel(ctx, actor{scope: scope}, id, reason)
}

// CancelMyBooking cancels an active booking of the scope's client, no
// later than the booking's own cancellation notice before its start
// (CodeConflict after).
func (s *Scheduler) CancelMyBooking(ctx context.Context, id uuid.UUID, reason string) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: cancel my booking %s", id)
	scope, err := clientScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	return s.cancel(ctx, actor{scope: scope, client: true}, id, reason)
}

func validateNote(field, note string) error {
	if utf8.RuneCountInString(note) > 2000 {
		return invalid("invalid note", map[string]string{field: "at most 2000 characters"})
	}
	return nil
}

// noticeError refuses a client's change inside the booking's notice.
func noticeError(what string, minutes int32, until time.Time) error {
	return &tenant.Error{Code: tenant.CodeConflict,
		Message: fmt.Sprintf("too late to %s: this booking's terms require %d minutes' notice (until %s)", what, minutes, until.Format(time.RFC3339))}
}

func (s *Scheduler) cancel(ctx context.Context, a actor, id uuid.UUID, reason string) (Booking, error) {
	if err := validateNote("body.reason", reason); err != nil {
		return Booking{}, err
	}
	return s.change(ctx, a, id, func(tx *store.Tx, tm terms, b store.Booking) error {
		if !Status(b.Status).active() {
			return conflict("only a pending or confirmed booking can be cancelled")
		}
		if a.client {
			until := bookingOf(b, "", "", "", tm.loc).CancellableUntil()
			if s.now().After(until) {
				return noticeError("cancel", b.CancellationNoticeMinutes, until)
			}
		}
		if err := setStatus(ctx, tx, a, b, s.now(), StatusCancelled, reason, StatusPending, StatusConfirmed); err != nil {
			return err
		}
		return releaseRequest(ctx, tx, a, s.now(), b)
	})
}

// releaseRequest moves the booking's scheduled service request back to
// approved, at now, when no other open booking holds it.
func releaseRequest(ctx context.Context, tx *store.Tx, a actor, now time.Time, b store.Booking) error {
	if b.ServiceRequestID == nil {
		return nil
	}
	r, err := tx.LockClientServiceRequest(ctx, store.LockClientServiceRequestParams{TenantID: tx.TenantID(), ID: *b.ServiceRequestID, ClientMemberID: b.ClientMemberID})
	if store.IsNotFound(err) || err == nil && r.Status != "scheduled" {
		return nil
	}
	if err != nil {
		return err
	}
	n, err := tx.CountOpenBookingsOfRequest(ctx, store.CountOpenBookingsOfRequestParams{TenantID: tx.TenantID(), ServiceRequestID: b.ServiceRequestID, ExcludeID: b.ID})
	if err != nil || n > 0 {
		return err
	}
	return moveRequest(ctx, tx, a, now, r.ID, "scheduled", "approved", "booking cancelled")
}

// RescheduleBooking moves an active booking to startsAt (staff, at any
// time), which must be a free slot of the same staff member with the
// booking's own duration and buffers (CodeConflict otherwise).
func (s *Scheduler) RescheduleBooking(ctx context.Context, id uuid.UUID, startsAt time.Time, note string) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: reschedule booking %s", id)
	scope, err := staffScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	return s.reschedule(ctx, actor{scope: scope}, id, startsAt, note)
}

// RescheduleMyBooking is RescheduleBooking for the scope's client, no
// later than the booking's own reschedule notice before its current start
// (CodeConflict after).
func (s *Scheduler) RescheduleMyBooking(ctx context.Context, id uuid.UUID, startsAt time.Time, note string) (_ Booking, err error) {
	defer errs.Wrap(&err, "scheduling: reschedule my booking %s", id)
	scope, err := clientScope(ctx)
	if err != nil {
		return Booking{}, err
	}
	return s.reschedule(ctx, actor{scope: scope, client: true}, id, startsAt, note)
}

func (s *Scheduler) reschedule(ctx context.Context, a actor, id uuid.UUID, startsAt time.Time, note string) (Booking, error) {
	if err := validateNote("body.note", note); err != nil {
		return Booking{}, err
	}
	if startsAt.IsZero() {
		return Booking{}, invalid("invalid booking", map[string]string{"body.starts_at": "required"})
	}
	return s.change(ctx, a, id, func(tx *store.Tx, tm terms, b store.Booking) error {
		if !Status(b.Status).active() {
			return conflict("only a pending or confirmed booking can be rescheduled")
		}
		if a.client {
			until := bookingOf(b, "", "", "", tm.loc).ReschedulableUntil()
			if s.now().After(until) {
				return noticeError("reschedule", b.RescheduleNoticeMinutes, until)
			}
		}
		staff, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tx.TenantID(), ID: b.StaffMemberID})
		if store.IsNotFound(err) || err == nil && !isStaffRole(staff.Role) {
			return conflict("the booking's staff member is no longer bookable")
		}
		if err != nil {
			return err
		}
		duration := b.EndsAt.Sub(b.StartsAt)
		before := time.Duration(b.BufferBeforeMinutes) * time.Minute
		after := time.Duration(b.BufferAfterMinutes) * time.Minute
		if err := s.checkFree(ctx, tx, tm, staff, startsAt, duration, before, after, b.ID); err != nil {
			return err
		}
		if _, err := tx.MoveBooking(ctx, store.MoveBookingParams{TenantID: tx.TenantID(), ID: b.ID, StartsAt: startsAt, EndsAt: startsAt.Add(duration)}); err != nil {
			return taken(err)
		}
		if err := event(ctx, tx, a, b.ID, "rescheduled", &b, note); err != nil {
			return err
		}
		if Status(b.Status) == StatusConfirmed {
			// The client hears of the move, and the reminder moves: a new
			// one for the new start; the old one finds the booking moved
			// and sends nothing.
			if err := tx.InsertJob(ctx, jobs.BookingChanged{Tenant: jobs.For(a.scope), BookingID: b.ID, Change: jobs.ChangeRescheduled, StartsAt: startsAt}); err != nil {
				return err
			}
			if err := queueMail(ctx, tx, a, b.ID, b.ClientMemberID, startsAt, s.now(), false); err != nil {
				return err
			}
		}
		return audit(ctx, tx, "booking.rescheduled", "booking", b.ID, map[string]any{"from": b.StartsAt, "to": startsAt})
	})
}
