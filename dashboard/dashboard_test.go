package dashboard_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/dashboard"
	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// The dashboard shows the tenant's own week, exactly as the calendar has
// it, and nothing of another tenant's.
func TestOverviewIsTheTenantsWeek(t *testing.T) {
	f := demotest.New(t, demotest.At(clocktest.Default))
	clock := clocktest.New(clocktest.Default)
	d, sched := dashboard.New(f.Store, clock.Now), scheduling.New(f.Store, clock.Now)
	ctx := t.Context()
	acme, globex := f.As(ctx, "acme", "owner"), f.As(ctx, "globex", "owner")
	o, err := d.Overview(acme, time.UTC, 1)
	if err != nil {
		t.Fatal(err)
	}
	if o.WeekStart.Weekday() != time.Monday || o.Day.Before(o.WeekStart) || !o.Day.Before(o.WeekStart.AddDate(0, 0, 7)) {
		t.Fatalf("week from %v for day %v", o.WeekStart, o.Day)
	}
	first, last := scheduling.DateOf(o.WeekStart), scheduling.DateOf(o.WeekStart.AddDate(0, 0, 6))
	calendar := ids(t, func(p keyset.Page[scheduling.BookingKey]) ([]scheduling.Booking, *scheduling.BookingKey, error) {
		return sched.FindBookings(acme, scheduling.BookingFilter{From: &first, To: &last, Page: p})
	}, true)
	var week []uuid.UUID
	for _, b := range o.Week {
		week = append(week, b.ID)
	}
	slices.SortFunc(week, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	if o.WeekTotal != int64(len(calendar)) || !slices.Equal(week, calendar) {
		t.Fatalf("the dashboard's week (%d: %v) is not the calendar's (%d: %v)", o.WeekTotal, week, len(calendar), calendar)
	}
	if len(calendar) == 0 {
		t.Fatal("the demo has no booking this week: the comparison proves nothing")
	}
	theirs := ids(t, func(p keyset.Page[scheduling.BookingKey]) ([]scheduling.Booking, *scheduling.BookingKey, error) {
		return sched.FindBookings(globex, scheduling.BookingFilter{Page: p})
	}, false)
	for _, b := range append(o.Week, o.Today...) {
		if _, found := slices.BinarySearchFunc(theirs, b.ID, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) }); found {
			t.Fatalf("acme's dashboard shows globex's booking %s", b.ID)
		}
	}
	if _, err := d.Overview(f.As(ctx, "acme", "client"), time.UTC, 1); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("a client read the dashboard: %v", err)
	}
}

// ids reads every page of a booking list, sorted by id; without
// cancelled ones when active.
func ids(t *testing.T, find func(keyset.Page[scheduling.BookingKey]) ([]scheduling.Booking, *scheduling.BookingKey, error), active bool) []uuid.UUID {
	t.Helper()
	var out []uuid.UUID
	p := keyset.Page[scheduling.BookingKey]{Limit: keyset.MaxLimit}
	for {
		items, next, err := find(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, b := range items {
			if !active || b.Status != scheduling.StatusCancelled {
				out = append(out, b.ID)
			}
		}
		if next == nil {
			break
		}
		p.After = next
	}
	slices.SortFunc(out, func(a, b uuid.UUID) int { return slices.Compare(a[:], b[:]) })
	return out
}

// A request waits for the firm's reply while it is new and unanswered, or
// when the client wrote last; a client-visible reply ends the wait, an
// internal note does not.
func TestWaitingForAReply(t *testing.T) {
	f := demotest.New(t, demotest.At(clocktest.Default))
	clock := clocktest.New(clocktest.Default)
	d := dashboard.New(f.Store, clock.Now)
	rs := requests.New(f.Store, requests.Config{Now: clock.Now, Mailer: mailer.NewOutbox(10, clock.Now), Link: func(string, string) string { return "" }})
	ctx := t.Context()
	owner, client := f.As(ctx, "acme", "owner"), f.As(ctx, "acme", "client")
	waiting := func() bool {
		t.Helper()
		o, err := d.Overview(owner, time.UTC, 1)
		if err != nil {
			t.Fatal(err)
		}
		for _, w := range o.Waiting {
			if w.Title == "Leaking tap" {
				return true
			}
		}
		return false
	}
	r, err := rs.CreateMyRequest(client, requests.ClientInput{Title: "Leaking tap"})
	if err != nil {
		t.Fatal(err)
	}
	if !waiting() {
		t.Fatal("a new request is not waiting")
	}
	if _, err := rs.AddComment(owner, r.ID, "checking our stock", requests.VisibilityInternal); err != nil {
		t.Fatal(err)
	}
	if !waiting() {
		t.Fatal("an internal note ended the wait")
	}
	if _, err := rs.AddComment(owner, r.ID, "we come on Monday", requests.VisibilityClient); err != nil {
		t.Fatal(err)
	}
	if waiting() {
		t.Fatal("still waiting after the reply")
	}
	if _, err := rs.AddMyComment(client, r.ID, "Monday is fine"); err != nil {
		t.Fatal(err)
	}
	if !waiting() {
		t.Fatal("the client's answer is not waiting")
	}
}
