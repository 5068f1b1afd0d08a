package requests

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Frequency is how a recurring rule repeats.
type Frequency string

// The frequencies of a recurring rule.
const (
	FrequencyWeekly  Frequency = "weekly"
	FrequencyMonthly Frequency = "monthly"
)

// Bounds of a recurring rule and of its preview.
const (
	MaxEvery        = 52
	MaxCount        = 1000
	MaxPreview      = 50
	maxCatchUpSteps = 5000 // bounds one run's walk over a rule's dates
)

var errRuleNotFound = tenant.NotFound("recurring rule")

// Rule repeats a service request (its template): every Every weeks or
// months from StartsOn, until UntilOn (inclusive) or MaxCount occurrences,
// whichever ends it first; with neither, for ever. Each occurrence is a
// new request, a copy of the template (client, service, title, details,
// priority) due on the occurrence's date, made on that date in the
// tenant's time zone. A monthly rule starting on the 29th to 31st falls
// on the last day of shorter months.
//
// Dates (StartsOn, UntilOn, Occurrence.Date) are calendar dates, held as
// midnight UTC.
type Rule struct {
	ID               uuid.UUID
	ServiceRequestID uuid.UUID
	Frequency        Frequency
	Every            int
	StartsOn         time.Time
	UntilOn          *time.Time
	MaxCount         *int
	CreatedAt        time.Time
}

// RuleInput creates a Rule.
type RuleInput struct {
	ServiceRequestID uuid.UUID
	Frequency        Frequency
	Every            int
	// StartsOn is the first date; not before today in the tenant's time
	// zone.
	StartsOn time.Time
	UntilOn  *time.Time
	MaxCount *int
}

// Occurrence is one date of a rule: DueAt is the start of Date in the
// tenant's time zone, the instant from which the occurrence is made.
type Occurrence struct {
	Date  time.Time
	DueAt time.Time
}

func ruleOf(r store.RecurrenceRule) Rule {
	out := Rule{ID: r.ID, ServiceRequestID: r.ServiceRequestID, Frequency: Frequency(r.Frequency), Every: int(r.Every),
		StartsOn: civil(r.StartsOn), UntilOn: r.UntilOn, MaxCount: nil, CreatedAt: r.CreatedAt}
	if r.UntilOn != nil {
		u := civil(*r.UntilOn)
		out.UntilOn = &u
	}
	if r.MaxCount != nil {
		n := int(*r.MaxCount)
		out.MaxCount = &n
	}
	return out
}

// civil returns the calendar date of t (read in t's location) as midnight
// UTC.
func civil(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dateAt returns occurrence k (from 0) of r, without regard to its end.
func (r Rule) dateAt(k int) time.Time {
	if r.Frequency == FrequencyWeekly {
		return r.StartsOn.AddDate(0, 0, 7*r.Every*k)
	}
	y, m, d := r.StartsOn.Date()
	first := time.Date(y, m+time.Month(r.Every*k), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	return first.AddDate(0, 0, min(d, last)-1)
}

// walk calls fn with each date of r in order, with its DueAt in loc,
// until fn returns false or the rule ends.
func (r Rule) walk(loc *time.Location, fn func(Occurrence) bool) {
	for k := 0; k < maxCatchUpSteps; k++ {
		if r.MaxCount != nil && k >= *r.MaxCount {
			return
		}
		d := r.dateAt(k)
		if r.UntilOn != nil && d.After(*r.UntilOn) {
			return
		}
		y, m, day := d.Date()
		if !fn(Occurrence{Date: d, DueAt: time.Date(y, m, day, 0, 0, 0, 0, loc)}) {
			return
		}
	}
}

// Next returns up to n dates of r due at or after now (loc is the
// tenant's time zone): the dates whose day, in loc, is today or later.
func (r Rule) Next(now time.Time, loc *time.Location, n int) []Occurrence {
	today := civil(now.In(loc))
	var out []Occurrence
	r.walk(loc, func(o Occurrence) bool {
		if !o.Date.Before(today) {
			out = append(out, o)
		}
		return len(out) < n
	})
	return out
}

// tenantLocation returns the tenant's time zone (UTC if unreadable).
func tenantLocation(ctx context.Context, tx *store.Tx) (*time.Location, error) {
	org, err := tx.GetOrganizationSettings(ctx, tx.TenantID())
	if err != nil {
		return nil, err
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		return time.UTC, nil
	}
	return loc, nil
}

func validateRule(in RuleInput) error {
	f := fields{}
	if in.Frequency != FrequencyWeekly && in.Frequency != FrequencyMonthly {
		f["body.frequency"] = "weekly or monthly"
	}
	if in.Every < 1 || in.Every > MaxEvery {
		f["body.every"] = fmt.Sprintf("1 to %d", MaxEvery)
	}
	if in.StartsOn.IsZero() {
		f["body.starts_on"] = "a date"
	}
	if in.UntilOn != nil && in.UntilOn.Before(in.StartsOn) {
		f["body.until_on"] = "on or after starts_on"
	}
	if in.MaxCount != nil && (*in.MaxCount < 1 || *in.MaxCount > MaxCount) {
		f["body.count"] = fmt.Sprintf("1 to %d", MaxCount)
	}
	return f.err("invalid recurring rule")
}

// CreateRule attaches a recurring rule to a service request of the tenant
// (CodeNotFound if it is missing or another tenant's). The first date may
// not be before today in the tenant's time zone (CodeInvalid).
func (s *Service) CreateRule(ctx context.Context, in RuleInput) (_ Rule, err error) {
	defer errs.Wrap(&err, "requests: create recurring rule")
	scope, err := tenant.Require(ctx, tenant.RoleStaff)
	if err != nil {
		return Rule{}, err
	}
	in.StartsOn = civil(in.StartsOn)
	if in.UntilOn != nil {
		u := civil(*in.UntilOn)
		in.UntilOn = &u
	}
	if err := validateRule(in); err != nil {
		return Rule{}, err
	}
	var out Rule
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		loc, err := tenantLocation(ctx, tx)
		if err != nil {
			return err
		}
		if in.StartsOn.Before(civil(s.now().In(loc))) {
			return &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid recurring rule",
				Fields: map[string]string{"body.starts_on": "today or later, in the organization's time zone"}}
		}
		if _, err := load(ctx, tx, in.ServiceRequestID, nil); err != nil {
			return err
		}
		p := store.CreateRecurrenceRuleParams{
			TenantID: tx.TenantID(), ServiceRequestID: in.ServiceRequestID, Frequency: string(in.Frequency), Every: int32(in.Every),
			StartsOn: in.StartsOn, UntilOn: in.UntilOn, CreatedByMemberID: memberOf(scope), CreatedAt: s.now(),
		}
		if in.MaxCount != nil {
			n := int32(*in.MaxCount)
			p.MaxCount = &n
		}
		r, err := tx.CreateRecurrenceRule(ctx, p)
		if err != nil {
			return err
		}
		out = ruleOf(r)
		return audit(ctx, tx, "service_request.recurrence_created", in.ServiceRequestID, map[string]any{"rule_id": r.ID})
	})
	return out, err
}

// FindRuleByID returns a recurring rule of the tenant (CodeNotFound if
// it is missing or another tenant's).
func (s *Service) FindRuleByID(ctx context.Context, id uuid.UUID) (_ Rule, err error) {
	defer errs.Wrap(&err, "requests: find recurring rule %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Rule{}, err
	}
	var out Rule
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		r, err := tx.GetRecurrenceRule(ctx, store.GetRecurrenceRuleParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errRuleNotFound
		}
		if err != nil {
			return err
		}
		out = ruleOf(r)
		return nil
	})
	return out, err
}

// RuleUpdate is the new schedule of a Rule: every field is set, as in
// [RuleInput]; the request a rule repeats does not change.
type RuleUpdate struct {
	Frequency Frequency
	Every     int
	StartsOn  time.Time
	UntilOn   *time.Time
	MaxCount  *int
}

// UpdateRule changes the schedule of a recurring rule (CodeNotFound if it
// is missing or another tenant's). The dates a rule made are never made
// again, and an update never makes a date before today due: a changed
// frequency, interval or first date must start today or later (like a
// new rule), and a rule that keeps its past first date may not reach,
// through a later end, a past date its old end had cut off (CodeInvalid,
// with the field to change).
func (s *Service) UpdateRule(ctx context.Context, id uuid.UUID, u RuleUpdate) (_ Rule, err error) {
	defer errs.Wrap(&err, "requests: update recurring rule %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Rule{}, err
	}
	in := RuleInput{Frequency: u.Frequency, Every: u.Every, StartsOn: civil(u.StartsOn), MaxCount: u.MaxCount}
	if u.UntilOn != nil {
		d := civil(*u.UntilOn)
		in.UntilOn = &d
	}
	if err := validateRule(in); err != nil {
		return Rule{}, err
	}
	var out Rule
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		row, err := tx.GetRecurrenceRule(ctx, store.GetRecurrenceRuleParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errRuleNotFound
		}
		if err != nil {
			return err
		}
		loc, err := tenantLocation(ctx, tx)
		if err != nil {
			return err
		}
		old := ruleOf(row)
		next := Rule{ID: old.ID, ServiceRequestID: old.ServiceRequestID, Frequency: in.Frequency, Every: in.Every,
			StartsOn: in.StartsOn, UntilOn: in.UntilOn, MaxCount: in.MaxCount, CreatedAt: old.CreatedAt}
		today := civil(s.now().In(loc))
		if f := pastChange(old, next, today); f != nil {
			return &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid recurring rule", Fields: f}
		}
		p := store.UpdateRecurrenceRuleParams{TenantID: tx.TenantID(), ID: id, Frequency: string(in.Frequency), Every: int32(in.Every),
			StartsOn: in.StartsOn, UntilOn: in.UntilOn}
		if in.MaxCount != nil {
			n := int32(*in.MaxCount)
			p.MaxCount = &n
		}
		r, err := tx.UpdateRecurrenceRule(ctx, p)
		if err != nil {
			return err
		}
		out = ruleOf(r)
		return audit(ctx, tx, "service_request.recurrence_updated", old.ServiceRequestID, map[string]any{"rule_id": id})
	})
	return out, err
}

// pastChange returns the field errors of changing old into next on the
// day today, nil when next makes no date before today that old did not:
// a date before today would be made at once, late.
func pastChange(old, next Rule, today time.Time) map[string]string {
	if !next.StartsOn.Before(today) {
		return nil
	}
	if next.StartsOn != old.StartsOn || next.Frequency != old.Frequency || next.Every != old.Every {
		return map[string]string{"body.starts_on": "today or later, in the organization's time zone, when the schedule changes"}
	}
	if before(next, today) <= before(old, today) {
		return nil
	}
	f := map[string]string{}
	if !sameDate(next.UntilOn, old.UntilOn) {
		f["body.until_on"] = "an end that adds no date before today; to go on, start the rule again from today"
	}
	if !sameInt(next.MaxCount, old.MaxCount) || len(f) == 0 {
		f["body.count"] = "no more occurrences before today than it had; to go on, start the rule again from today"
	}
	return f
}

func sameDate(a, b *time.Time) bool {
	return a == nil && b == nil || a != nil && b != nil && a.Equal(*b)
}

func sameInt(a, b *int) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

// before counts the dates of r before today.
func before(r Rule, today time.Time) int {
	n := 0
	r.walk(time.UTC, func(o Occurrence) bool {
		if !o.Date.Before(today) {
			return false
		}
		n++
		return true
	})
	return n
}

// FindRules returns a page of the tenant's recurring rules, newest first.
func (s *Service) FindRules(ctx context.Context, p Page) (_ []Rule, _ *Key, err error) {
	defer errs.Wrap(&err, "requests: find recurring rules")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, nil, err
	}
	return readPage(ctx, s.store, p, nil, func(tx *store.Tx, n int32) ([]store.RecurrenceRule, error) {
		has, at, id := after(p)
		return tx.ListRecurrenceRules(ctx, store.ListRecurrenceRulesParams{
			TenantID: tx.TenantID(), HasAfter: has, AfterCreatedAt: at, AfterID: id, PageSize: n,
		})
	}, ruleOf, func(r Rule) Key { return Key{CreatedAt: r.CreatedAt, ID: r.ID} })
}

// DeleteRule deletes a recurring rule: no occurrence is made from then on;
// the requests it made stay. CodeNotFound if it is missing or another
// tenant's.
func (s *Service) DeleteRule(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "requests: delete recurring rule %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		r, err := tx.GetRecurrenceRule(ctx, store.GetRecurrenceRuleParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errRuleNotFound
		}
		if err != nil {
			return err
		}
		if _, err := tx.DeleteRecurrenceRule(ctx, store.DeleteRecurrenceRuleParams{TenantID: tx.TenantID(), ID: id}); err != nil {
			return err
		}
		return audit(ctx, tx, "service_request.recurrence_deleted", r.ServiceRequestID, map[string]any{"rule_id": id})
	})
}

// PreviewRule returns the next n (1 to [MaxPreview]) dates of a recurring
// rule, from the day from (its year, month and day; the zero time: today)
// in the tenant's time zone. CodeNotFound if the rule is missing or
// another tenant's.
func (s *Service) PreviewRule(ctx context.Context, id uuid.UUID, from time.Time, n int) (_ []Occurrence, err error) {
	defer errs.Wrap(&err, "requests: preview recurring rule %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, err
	}
	if n < 1 || n > MaxPreview {
		return nil, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid preview",
			Fields: map[string]string{"query.count": fmt.Sprintf("1 to %d", MaxPreview)}}
	}
	var out []Occurrence
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		r, err := tx.GetRecurrenceRule(ctx, store.GetRecurrenceRuleParams{TenantID: tx.TenantID(), ID: id})
		if store.IsNotFound(err) {
			return errRuleNotFound
		}
		if err != nil {
			return err
		}
		loc, err := tenantLocation(ctx, tx)
		if err != nil {
			return err
		}
		day := s.now()
		if !from.IsZero() {
			// Midday of that day in the tenant's zone: the day itself.
			day = time.Date(from.Year(), from.Month(), from.Day(), 12, 0, 0, 0, loc)
		}
		out = ruleOf(r).Next(day, loc, n)
		return nil
	})
	return out, err
}

// MakeDueOccurrences makes the due occurrences of every recurring rule of
// the scope's tenant (a job's scope): for each date due by now that no
// earlier run made, a copy of the rule's request due on that date. Each
// date is claimed in the transaction that makes its request, by the key
// (tenant, rule, date): a second run, even a concurrent one, finds the
// date made and makes nothing. It returns how many requests it made.
func (s *Service) MakeDueOccurrences(ctx context.Context) (_ int, err error) {
	defer errs.Wrap(&err, "requests: make due occurrences")
	now := s.now()
	made := 0
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		loc, err := tenantLocation(ctx, tx)
		if err != nil {
			return err
		}
		rules, err := tx.ListAllRecurrenceRules(ctx, tx.TenantID())
		if err != nil {
			return err
		}
		for _, row := range rules {
			n, err := s.makeDue(ctx, tx, ruleOf(row), now, loc)
			if err != nil {
				return fmt.Errorf("rule %s: %w", row.ID, err)
			}
			made += n
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	return made, nil
}

func (s *Service) makeDue(ctx context.Context, tx *store.Tx, r Rule, now time.Time, loc *time.Location) (int, error) {
	dates, err := tx.ListRecurrenceOccurrenceDates(ctx, store.ListRecurrenceOccurrenceDatesParams{TenantID: tx.TenantID(), RuleID: r.ID})
	if err != nil {
		return 0, err
	}
	done := make(map[time.Time]bool, len(dates))
	for _, d := range dates {
		done[civil(d)] = true
	}
	var due []Occurrence
	r.walk(loc, func(o Occurrence) bool {
		if now.Before(o.DueAt) {
			return false
		}
		if !done[o.Date] {
			due = append(due, o)
		}
		return true
	})
	if len(due) == 0 {
		return 0, nil
	}
	tpl, err := tx.GetServiceRequest(ctx, store.GetServiceRequestParams{TenantID: tx.TenantID(), ID: r.ServiceRequestID})
	if err != nil {
		return 0, err
	}
	made := 0
	for _, o := range due {
		n, err := tx.ClaimRecurrenceOccurrence(ctx, store.ClaimRecurrenceOccurrenceParams{
			TenantID: tx.TenantID(), RuleID: r.ID, OccurrenceDate: o.Date, CreatedAt: now,
		})
		if err != nil {
			return made, err
		}
		if n == 0 {
			continue // made by another run
		}
		date := o.Date
		q := tpl.ServiceRequest
		req, err := s.create(ctx, tx, store.CreateServiceRequestParams{
			ClientMemberID: q.ClientMemberID, ServiceID: q.ServiceID, Title: q.Title, Details: q.Details, Priority: q.Priority,
			DueOn: &date, Source: string(SourceStaff),
		}, "made by a recurring rule for "+date.Format(time.DateOnly))
		if err != nil {
			return made, err
		}
		if err := tx.SetRecurrenceOccurrenceRequest(ctx, store.SetRecurrenceOccurrenceRequestParams{
			TenantID: tx.TenantID(), RuleID: r.ID, OccurrenceDate: o.Date, ServiceRequestID: &req.ID,
		}); err != nil {
			return made, err
		}
		made++
	}
	return made, nil
}
