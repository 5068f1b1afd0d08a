package scheduling

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Rule is a block of a staff member's weekly hours.
type Rule struct {
	ID         uuid.UUID
	MemberID   uuid.UUID
	Weekday    int // ISO: 1 = Monday … 7 = Sunday
	Start, End Clock
	CreatedAt  time.Time
}

func ruleOf(r store.AvailabilityRule) Rule {
	return Rule{ID: r.ID, MemberID: r.MemberID, Weekday: int(r.Weekday), Start: clockOf(r.StartTime), End: clockOf(r.EndTime), CreatedAt: r.CreatedAt}
}

// RuleInput is a new block of weekly hours.
type RuleInput struct {
	MemberID   uuid.UUID
	Weekday    int
	Start, End Clock
}

// RuleUpdate changes a block of weekly hours; nil fields stay.
type RuleUpdate struct {
	Weekday    *int
	Start, End *Clock
}

// RuleKey is the position of a rule in the list order.
type RuleKey struct {
	MemberID uuid.UUID `json:"m"`
	Weekday  int       `json:"w"`
	Start    Clock     `json:"s"`
	ID       uuid.UUID `json:"i"`
}

// RuleFilter selects rules. Nil fields do not filter.
type RuleFilter struct {
	MemberID *uuid.UUID
	Page     keyset.Page[RuleKey]
}

var (
	errRuleNotFound      = tenant.NotFound("availability rule")
	errExceptionNotFound = tenant.NotFound("availability exception")
)

func validateHours(fields map[string]string, start, end Clock) {
	if start < 0 || start >= EndOfDay {
		fields["body.start_time"] = "00:00 to 23:59"
	}
	if end <= 0 || end > EndOfDay {
		fields["body.end_time"] = "00:01 to 24:00"
	}
	if start >= end {
		fields["body.end_time"] = "after start_time"
	}
}

func validateRule(in RuleInput) error {
	f := map[string]string{}
	if in.Weekday < 1 || in.Weekday > 7 {
		f["body.weekday"] = "1 (Monday) to 7 (Sunday)"
	}
	validateHours(f, in.Start, in.End)
	if len(f) > 0 {
		return invalid("invalid hours", f)
	}
	return nil
}

// ruleConflict names the hours when the exclusion constraint refuses them.
func ruleConflict(err error) error {
	if e, ok := store.Translate(err).(*tenant.Error); ok && e.Code == tenant.CodeConflict && e.Constraint == "availability_rules_no_overlap" {
		return &tenant.Error{Code: tenant.CodeConflict, Message: "these hours overlap other hours of this member on this weekday",
			Fields: map[string]string{"body.start_time": "overlaps other hours"}, Err: err}
	}
	return err
}

// FindRules returns a page of weekly hours and the key after which the next
// page starts (nil on the last page). A member filter naming no staff
// member of the tenant is CodeNotFound.
func (s *Scheduler) FindRules(ctx context.Context, f RuleFilter) (_ []Rule, _ *RuleKey, err error) {
	defer errs.Wrap(&err, "scheduling: find rules")
	if _, err := staffScope(ctx); err != nil {
		return nil, nil, err
	}
	p := store.ListAvailabilityRulesParams{MemberID: f.MemberID, PageSize: f.Page.Fetch()}
	if a := f.Page.After; a != nil {
		p.HasAfter, p.AfterMemberID, p.AfterWeekday, p.AfterStartTime, p.AfterID = true, a.MemberID, int16(a.Weekday), pgClock(a.Start), a.ID
	}
	var out []Rule
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		if f.MemberID != nil {
			if err := knownStaff(ctx, tx, *f.MemberID); err != nil {
				return err
			}
		}
		p.TenantID = tx.TenantID()
		rows, err := tx.ListAvailabilityRules(ctx, p)
		for _, r := range rows {
			out = append(out, ruleOf(r))
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out, next := keyset.Cut(out, f.Page, func(r Rule) RuleKey {
		return RuleKey{MemberID: r.MemberID, Weekday: r.Weekday, Start: r.Start, ID: r.ID}
	})
	return out, next, nil
}

// FindRuleByID returns one block of weekly hours. CodeNotFound if missing
// or another tenant's.
func (s *Scheduler) FindRuleByID(ctx context.Context, id uuid.UUID) (_ Rule, err error) {
	defer errs.Wrap(&err, "scheduling: find rule %s", id)
	return readOne(ctx, s, errRuleNotFound, func(tx *store.Tx) (store.AvailabilityRule, error) {
		return tx.GetAvailabilityRule(ctx, store.GetAvailabilityRuleParams{TenantID: tx.TenantID(), ID: id})
	}, ruleOf)
}

// readOne reads one row for staff with get, CodeNotFound (notFound) when
// there is none, and converts it.
func readOne[R, T any](ctx context.Context, s *Scheduler, notFound error, get func(*store.Tx) (R, error), conv func(R) T) (T, error) {
	var out T
	if _, err := staffScope(ctx); err != nil {
		return out, err
	}
	err := s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		r, err := get(tx)
		if store.IsNotFound(err) {
			return notFound
		}
		if err != nil {
			return err
		}
		out = conv(r)
		return nil
	})
	return out, err
}

// manageable refuses a member that is not live staff (CodeNotFound) or
// whose hours the scope may not manage (CodeForbidden).
func manageable(ctx context.Context, tx *store.Tx, scope tenant.Scope, memberID uuid.UUID) error {
	if _, err := liveStaff(ctx, tx, memberID); err != nil {
		return err
	}
	return mayManage(scope, memberID)
}

// removeHours deletes a rule or exception: lock returns the member whose
// hours it is (CodeNotFound when missing), the scope must manage them.
func (s *Scheduler) removeHours(ctx context.Context, kind string, lock func(*store.Tx) (uuid.UUID, error), del func(*store.Tx) error, id uuid.UUID) error {
	scope, err := staffScope(ctx)
	if err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		member, err := lock(tx)
		if err != nil {
			return err
		}
		if err := mayManage(scope, member); err != nil {
			return err
		}
		if err := del(tx); err != nil {
			return fmt.Errorf("delete %s: %w", kind, err)
		}
		return audit(ctx, tx, kind+".deleted", kind, id, map[string]any{"member_id": member})
	})
}

// CreateRule adds a block of weekly hours to a live staff member
// (CodeNotFound otherwise). Staff add their own; an admin anyone's
// (CodeForbidden otherwise). Hours that overlap the member's other hours on
// the weekday are CodeConflict.
func (s *Scheduler) CreateRule(ctx context.Context, in RuleInput) (_ Rule, err error) {
	defer errs.Wrap(&err, "scheduling: create rule")
	scope, err := staffScope(ctx)
	if err != nil {
		return Rule{}, err
	}
	if err := validateRule(in); err != nil {
		return Rule{}, err
	}
	var out Rule
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		// The check and the insert together (a failed check rolls the
		// insert back), the audit row with COMMIT: two round trips.
		var r store.AvailabilityRule
		err := tx.Together(ctx,
			func(tx *store.Tx) error { return manageable(ctx, tx, scope, in.MemberID) },
			func(tx *store.Tx) (err error) {
				r, err = tx.CreateAvailabilityRule(ctx, store.CreateAvailabilityRuleParams{
					TenantID: tx.TenantID(), MemberID: in.MemberID, Weekday: int16(in.Weekday), StartTime: pgClock(in.Start), EndTime: pgClock(in.End),
				})
				if err != nil {
					return ruleConflict(err)
				}
				return nil
			},
		)
		if err != nil {
			return err
		}
		out = ruleOf(r)
		return audit(ctx, tx, "availability_rule.created", "availability_rule", r.ID,
			map[string]any{"member_id": in.MemberID, "weekday": in.Weekday, "start": in.Start.String(), "end": in.End.String()})
	})
	return out, err
}

// lockRule and lockException lock a row of hours; CodeNotFound when it
// is missing or another tenant's.
func lockRule(ctx context.Context, tx *store.Tx, id uuid.UUID) (store.AvailabilityRule, error) {
	r, err := tx.LockAvailabilityRule(ctx, store.LockAvailabilityRuleParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) {
		return r, errRuleNotFound
	}
	return r, err
}

func lockException(ctx context.Context, tx *store.Tx, id uuid.UUID) (store.AvailabilityException, error) {
	e, err := tx.LockAvailabilityException(ctx, store.LockAvailabilityExceptionParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) {
		return e, errExceptionNotFound
	}
	return e, err
}

// UpdateRule changes a block of weekly hours, under the rules of
// CreateRule.
func (s *Scheduler) UpdateRule(ctx context.Context, id uuid.UUID, u RuleUpdate) (_ Rule, err error) {
	defer errs.Wrap(&err, "scheduling: update rule %s", id)
	scope, err := staffScope(ctx)
	if err != nil {
		return Rule{}, err
	}
	var out Rule
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		cur, err := lockRule(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayManage(scope, cur.MemberID); err != nil {
			return err
		}
		in := RuleInput{MemberID: cur.MemberID, Weekday: int(cur.Weekday), Start: clockOf(cur.StartTime), End: clockOf(cur.EndTime)}
		if u.Weekday != nil {
			in.Weekday = *u.Weekday
		}
		if u.Start != nil {
			in.Start = *u.Start
		}
		if u.End != nil {
			in.End = *u.End
		}
		if err := validateRule(in); err != nil {
			return err
		}
		r, err := tx.UpdateAvailabilityRule(ctx, store.UpdateAvailabilityRuleParams{
			TenantID: tx.TenantID(), ID: id, Weekday: int16(in.Weekday), StartTime: pgClock(in.Start), EndTime: pgClock(in.End),
		})
		if err != nil {
			return ruleConflict(err)
		}
		out = ruleOf(r)
		return audit(ctx, tx, "availability_rule.updated", "availability_rule", id,
			map[string]any{"weekday": in.Weekday, "start": in.Start.String(), "end": in.End.String()})
	})
	return out, err
}

// DeleteRule removes a block of weekly hours, under the rules of
// CreateRule. Existing bookings stay.
func (s *Scheduler) DeleteRule(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "scheduling: delete rule %s", id)
	return s.removeHours(ctx, "availability_rule", func(tx *store.Tx) (uuid.UUID, error) {
		r, err := lockRule(ctx, tx, id)
		return r.MemberID, err
	}, func(tx *store.Tx) error {
		_, err := tx.DeleteAvailabilityRule(ctx, store.DeleteAvailabilityRuleParams{TenantID: tx.TenantID(), ID: id})
		return err
	}, id)
}

// Exception is a change of one date of a staff member's hours.
type Exception struct {
	ID       uuid.UUID
	MemberID uuid.UUID
	Date     Date
	Kind     ExceptionKind
	// Start and End are zero for DayOff.
	Start, End Clock
	Note       string
	CreatedAt  time.Time
}

func exceptionOf(e store.AvailabilityException) Exception {
	out := Exception{ID: e.ID, MemberID: e.MemberID, Date: DateOf(e.OnDate), Note: e.Note, CreatedAt: e.CreatedAt}
	switch {
	case e.Available:
		out.Kind = ExtraHours
	case !e.StartTime.Valid:
		out.Kind = DayOff
	default:
		out.Kind = PartialOff
	}
	if e.StartTime.Valid && e.EndTime.Valid {
		out.Start, out.End = clockOf(e.StartTime), clockOf(e.EndTime)
	}
	return out
}

// dateException is the exception as FreeSlots reads it.
func (e Exception) dateException() DateException {
	return DateException{Date: e.Date, Kind: e.Kind, Start: e.Start, End: e.End}
}

// ExceptionInput is a new date exception. Start and End are required for
// PartialOff and ExtraHours and refused for DayOff.
type ExceptionInput struct {
	MemberID   uuid.UUID
	Date       Date
	Kind       ExceptionKind
	Start, End *Clock
	Note       string
}

// ExceptionUpdate changes a date exception; nil fields stay. Changing the
// kind to DayOff drops the times.
type ExceptionUpdate struct {
	Date       *Date
	Kind       *ExceptionKind
	Start, End *Clock
	Note       *string
}

// ExceptionKey is the position of an exception in the list order.
type ExceptionKey struct {
	Date string    `json:"d"`
	ID   uuid.UUID `json:"i"`
}

// ExceptionFilter selects date exceptions. Nil fields do not filter.
type ExceptionFilter struct {
	MemberID *uuid.UUID
	From, To *Date
	Page     keyset.Page[ExceptionKey]
}

func validateException(in ExceptionInput) error {
	f := map[string]string{}
	switch in.Kind {
	case DayOff:
		if in.Start != nil || in.End != nil {
			f["body.start_time"] = "a whole day off has no times"
		}
	case PartialOff, ExtraHours:
		if in.Start == nil || in.End == nil {
			f["body.start_time"] = "start_time and end_time are required"
		} else {
			validateHours(f, *in.Start, *in.End)
		}
	default:
		f["body.kind"] = "day_off, partial_off or extra_hours"
	}
	if utf8.RuneCountInString(in.Note) > 500 {
		f["body.note"] = "at most 500 characters"
	}
	if in.Date.Year < 2000 || in.Date.Year > 2200 {
		f["body.date"] = "a date from 2000 to 2200"
	}
	if len(f) > 0 {
		return invalid("invalid exception", f)
	}
	return nil
}

func exceptionParams(in ExceptionInput) (available bool, start, end *Clock) {
	if in.Kind == DayOff {
		return false, nil, nil
	}
	return in.Kind == ExtraHours, in.Start, in.End
}

// FindExceptions returns a page of date exceptions and the key after which
// the next page starts (nil on the last page). A member filter naming no
// staff member of the tenant is CodeNotFound.
func (s *Scheduler) FindExceptions(ctx context.Context, f ExceptionFilter) (_ []Exception, _ *ExceptionKey, err error) {
	defer errs.Wrap(&err, "scheduling: find exceptions")
	if _, err := staffScope(ctx); err != nil {
		return nil, nil, err
	}
	p := store.ListAvailabilityExceptionsParams{MemberID: f.MemberID, PageSize: f.Page.Fetch()}
	if f.From != nil {
		w := f.From.wall()
		p.FromDate = &w
	}
	if f.To != nil {
		w := f.To.wall()
		p.ToDate = &w
	}
	if a := f.Page.After; a != nil {
		d, err := ParseDate(a.Date)
		if err != nil {
			return nil, nil, invalid("invalid cursor", map[string]string{"query.cursor": "not a cursor of this list"})
		}
		p.HasAfter, p.AfterDate, p.AfterID = true, d.wall(), a.ID
	}
	var out []Exception
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		if f.MemberID != nil {
			if err := knownStaff(ctx, tx, *f.MemberID); err != nil {
				return err
			}
		}
		p.TenantID = tx.TenantID()
		rows, err := tx.ListAvailabilityExceptions(ctx, p)
		for _, r := range rows {
			out = append(out, exceptionOf(r))
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out, next := keyset.Cut(out, f.Page, func(e Exception) ExceptionKey { return ExceptionKey{Date: e.Date.String(), ID: e.ID} })
	return out, next, nil
}

// FindExceptionByID returns one date exception. CodeNotFound if missing or
// another tenant's.
func (s *Scheduler) FindExceptionByID(ctx context.Context, id uuid.UUID) (_ Exception, err error) {
	defer errs.Wrap(&err, "scheduling: find exception %s", id)
	return readOne(ctx, s, errExceptionNotFound, func(tx *store.Tx) (store.AvailabilityException, error) {
		return tx.GetAvailabilityException(ctx, store.GetAvailabilityExceptionParams{TenantID: tx.TenantID(), ID: id})
	}, exceptionOf)
}

// CreateException adds a date exception to a live staff member, under the
// rules of CreateRule.
func (s *Scheduler) CreateException(ctx context.Context, in ExceptionInput) (_ Exception, err error) {
	defer errs.Wrap(&err, "scheduling: create exception")
	scope, err := staffScope(ctx)
	if err != nil {
		return Exception{}, err
	}
	if err := validateException(in); err != nil {
		return Exception{}, err
	}
	available, start, end := exceptionParams(in)
	var out Exception
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		// As CreateRule: two round trips.
		var e store.AvailabilityException
		err := tx.Together(ctx,
			func(tx *store.Tx) error { return manageable(ctx, tx, scope, in.MemberID) },
			func(tx *store.Tx) (err error) {
				e, err = tx.CreateAvailabilityException(ctx, store.CreateAvailabilityExceptionParams{
					TenantID: tx.TenantID(), MemberID: in.MemberID, OnDate: in.Date.wall(), StartTime: pgClockOrNull(start), EndTime: pgClockOrNull(end),
					Available: available, Note: in.Note,
				})
				return err
			},
		)
		if err != nil {
			return err
		}
		out = exceptionOf(e)
		return audit(ctx, tx, "availability_exception.created", "availability_exception", e.ID,
			map[string]any{"member_id": in.MemberID, "date": in.Date.String(), "kind": in.Kind})
	})
	return out, err
}

// UpdateException changes a date exception, under the rules of CreateRule.
func (s *Scheduler) UpdateException(ctx context.Context, id uuid.UUID, u ExceptionUpdate) (_ Exception, err error) {
	defer errs.Wrap(&err, "scheduling: update exception %s", id)
	scope, err := staffScope(ctx)
	if err != nil {
		return Exception{}, err
	}
	var out Exception
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		row, err := lockException(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayManage(scope, row.MemberID); err != nil {
			return err
		}
		cur := exceptionOf(row)
		in := ExceptionInput{MemberID: cur.MemberID, Date: cur.Date, Kind: cur.Kind, Note: cur.Note}
		if cur.Kind != DayOff {
			in.Start, in.End = &cur.Start, &cur.End
		}
		if u.Date != nil {
			in.Date = *u.Date
		}
		if u.Kind != nil {
			in.Kind = *u.Kind
			if in.Kind == DayOff {
				in.Start, in.End = nil, nil
			}
		}
		if u.Start != nil {
			in.Start = u.Start
		}
		if u.End != nil {
			in.End = u.End
		}
		if u.Note != nil {
			in.Note = *u.Note
		}
		if err := validateException(in); err != nil {
			return err
		}
		available, start, end := exceptionParams(in)
		e, err := tx.UpdateAvailabilityException(ctx, store.UpdateAvailabilityExceptionParams{
			TenantID: tx.TenantID(), ID: id, OnDate: in.Date.wall(), StartTime: pgClockOrNull(start), EndTime: pgClockOrNull(end),
			Available: available, Note: in.Note,
		})
		if err != nil {
			return err
		}
		out = exceptionOf(e)
		return audit(ctx, tx, "availability_exception.updated", "availability_exception", id,
			map[string]any{"date": in.Date.String(), "kind": in.Kind})
	})
	return out, err
}

// DeleteException removes a date exception, under the rules of
// CreateRule.
func (s *Scheduler) DeleteException(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "scheduling: delete exception %s", id)
	return s.removeHours(ctx, "availability_exception", func(tx *store.Tx) (uuid.UUID, error) {
		e, err := lockException(ctx, tx, id)
		return e.MemberID, err
	}, func(tx *store.Tx) error {
		_, err := tx.DeleteAvailabilityException(ctx, store.DeleteAvailabilityExceptionParams{TenantID: tx.TenantID(), ID: id})
		return err
	}, id)
}
