package scheduling_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// fixture is the demo tenants seeded at a fixed moment and a Scheduler
// whose clock the test sets.
type fixture struct {
	db     *pgtest.DB
	st     *store.Store
	seeded map[string]demo.Seeded
	sched  *scheduling.Scheduler
	now    time.Time
	ny     *time.Location
}

func setup(t *testing.T) *fixture {
	t.Helper()
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	// Monday 2030-01-07, 08:00 in New York. The demo seeds its bookings on
	// Wednesday and a day off two weeks on.
	f := &fixture{ny: ny, now: time.Date(2030, 1, 7, 8, 0, 0, 0, ny)}
	d := demotest.New(t, demotest.At(f.now))
	f.db, f.st, f.seeded = d.DB, d.Store, d.Seeded
	f.sched = scheduling.New(f.st, func() time.Time { return f.now })
	return f
}

// as returns a context scoped to the demo member key of acme.
func (f *fixture) as(key string) context.Context {
	s := f.seeded["acme"]
	m := s.Members[key]
	return tenant.WithScope(context.Background(), tenant.Scope{TenantID: s.TenantID, AccountID: m.AccountID, MemberID: m.ID, Role: tenant.Role(m.Role), RequestID: "test"})
}

func (f *fixture) id(key string) uuid.UUID { return f.seeded["acme"].Members[key].ID }

func (f *fixture) service(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	err := f.st.ReadTenant(f.as("owner"), func(tx *store.Tx) error {
		rows, err := tx.ListPublicServices(context.Background(), tx.TenantID())
		for _, r := range rows {
			if r.Slug == slug {
				id = r.ID
			}
		}
		return err
	})
	if err != nil || id == uuid.Nil {
		t.Fatalf("service %s: %v", slug, err)
	}
	return id
}

func (f *fixture) at(day, hour, minute int) time.Time {
	return time.Date(2030, 1, day, hour, minute, 0, 0, f.ny)
}

func code(err error) tenant.Code { return tenant.ErrorCode(err) }

func TestLeadTimeEdge(t *testing.T) {
	f := setup(t)
	svc := f.service(t, "tax-review")
	staff := f.id("staff")
	monday := scheduling.Date{Year: 2030, Month: 1, Day: 7}
	first := func() time.Time {
		t.Helper()
		p, err := f.sched.FindSlots(f.as("staff"), scheduling.SlotQuery{ServiceID: svc, StaffMemberID: &staff, From: monday, To: monday})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Slots) == 0 {
			t.Fatal("no slots")
		}
		return p.Slots[0].Start
	}
	// The demo's lead time is an hour: at 08:00 the 09:00 slot is open…
	if got := first(); !got.Equal(f.at(7, 9, 0)) {
		t.Fatalf("first slot %v", got)
	}
	// …a second later it is not.
	f.now = f.now.Add(time.Second)
	if got := first(); !got.Equal(f.at(7, 9, 30)) {
		t.Fatalf("first slot %v", got)
	}
	_, err := f.sched.CreateBooking(f.as("staff"), scheduling.BookingInput{ServiceID: svc, StaffMemberID: staff, ClientMemberID: f.id("client"), StartsAt: f.at(7, 9, 0)})
	if code(err) != tenant.CodeConflict {
		t.Fatalf("booking inside the lead time: %v", err)
	}
}

func TestNoticeEdge(t *testing.T) {
	f := setup(t)
	svc := f.service(t, "tax-review")
	in := scheduling.BookingInput{ServiceID: svc, StaffMemberID: f.id("staff"), ClientMemberID: f.id("client")}
	in.StartsAt = f.at(8, 10, 0)
	early, err := f.sched.CreateBooking(f.as("staff"), in)
	if err != nil {
		t.Fatal(err)
	}
	in.StartsAt = f.at(8, 13, 0)
	late, err := f.sched.CreateBooking(f.as("staff"), in)
	if err != nil {
		t.Fatal(err)
	}
	if late.CancellationNoticeMinutes != 1440 || !late.CancellableUntil().Equal(f.at(7, 13, 0)) {
		t.Fatalf("terms: %+v", late)
	}
	// Exactly at the end of the window: still allowed.
	f.now = f.at(7, 10, 0)
	if _, err := f.sched.CancelMyBooking(f.as("client"), early.ID, ""); err != nil {
		t.Fatalf("cancel at the edge: %v", err)
	}
	// A second after: refused, for cancelling and rescheduling alike.
	f.now = f.at(7, 13, 0).Add(time.Second)
	if _, err := f.sched.CancelMyBooking(f.as("client"), late.ID, ""); code(err) != tenant.CodeConflict {
		t.Fatalf("cancel after the window: %v", err)
	}
	if _, err := f.sched.RescheduleMyBooking(f.as("client"), late.ID, f.at(10, 9, 0), ""); code(err) != tenant.CodeConflict {
		t.Fatalf("reschedule after the window: %v", err)
	}
	// Staff are not bound.
	if _, err := f.sched.RescheduleBooking(f.as("staff"), late.ID, f.at(10, 9, 0), "moved by staff"); err != nil {
		t.Fatalf("staff reschedule: %v", err)
	}
	d, err := f.sched.FindMyBooking(f.as("client"), late.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.StartsAt.Equal(f.at(10, 9, 0)) || len(d.Events) != 2 || !d.Events[1].PreviousStartsAt.Equal(f.at(8, 13, 0)) {
		t.Fatalf("after the staff reschedule: %+v", d)
	}
}

func TestCompleteOnlyOnceStarted(t *testing.T) {
	f := setup(t)
	svc := f.service(t, "tax-review")
	b, err := f.sched.CreateBooking(f.as("staff"), scheduling.BookingInput{ServiceID: svc, StaffMemberID: f.id("staff"), ClientMemberID: f.id("client"), StartsAt: f.at(8, 10, 0)})
	if err != nil {
		t.Fatal(err)
	}
	f.now = f.at(8, 9, 59)
	if _, err := f.sched.CompleteBooking(f.as("staff"), b.ID); code(err) != tenant.CodeConflict {
		t.Fatalf("complete before the start: %v", err)
	}
	f.now = f.at(8, 10, 0)
	if got, err := f.sched.CompleteBooking(f.as("staff"), b.ID); err != nil || got.Status != scheduling.StatusCompleted {
		t.Fatalf("complete at the start: %+v %v", got, err)
	}
}

// The domain refuses the wrong caller on its own, whatever route calls it.
func TestScopeChecks(t *testing.T) {
	f := setup(t)
	staff := f.id("staff")
	if _, _, err := f.sched.FindBookings(context.Background(), scheduling.BookingFilter{}); code(err) != tenant.CodeInternal {
		t.Fatalf("no scope: %v", err)
	}
	if _, err := f.sched.CreateRule(f.as("client"), scheduling.RuleInput{MemberID: f.id("client"), Weekday: 1, Start: 60, End: 120}); code(err) != tenant.CodeForbidden {
		t.Fatalf("a client adding hours: %v", err)
	}
	if _, err := f.sched.CreateRule(f.as("consultant"), scheduling.RuleInput{MemberID: staff, Weekday: 6, Start: 60, End: 120}); code(err) != tenant.CodeForbidden {
		t.Fatalf("staff adding someone else's hours: %v", err)
	}
	if _, err := f.sched.CreateRule(f.as("owner"), scheduling.RuleInput{MemberID: staff, Weekday: 6, Start: 60, End: 120}); err != nil {
		t.Fatalf("an owner adding staff hours: %v", err)
	}
	if _, _, err := f.sched.FindMyBookings(f.as("staff"), scheduling.BookingFilter{}); code(err) != tenant.CodeForbidden {
		t.Fatalf("staff reading the portal: %v", err)
	}
	if _, _, err := f.sched.FindBookings(f.as("client"), scheduling.BookingFilter{}); code(err) != tenant.CodeForbidden {
		t.Fatalf("a client reading all bookings: %v", err)
	}
	if _, err := f.sched.SetMyPreferences(f.as("staff"), scheduling.Preferences{ContactChannel: "email"}); code(err) != tenant.CodeForbidden {
		t.Fatalf("staff setting client preferences: %v", err)
	}
}

// A confirmed booking queues its confirmation and reminder in its own
// transaction; a reschedule queues its mail and the reminder of the new
// start; a cancellation its mail; a change that fails queues nothing.
func TestBookingMailJobsFollowTheBooking(t *testing.T) {
	f := setup(t)
	admin := pgtest.Connect(t, f.db.AdminURL)
	in := scheduling.BookingInput{ServiceID: f.service(t, "tax-review"), StaffMemberID: f.id("staff"), ClientMemberID: f.id("client"), StartsAt: f.at(8, 10, 0)}
	b, err := f.sched.CreateBooking(f.as("staff"), in)
	if err != nil {
		t.Fatal(err)
	}
	if b.Status != scheduling.StatusConfirmed {
		t.Fatalf("tax-review booked as %s", b.Status)
	}
	if _, err := f.sched.RescheduleBooking(f.as("staff"), b.ID, f.at(7, 8, 30), ""); code(err) != tenant.CodeConflict {
		t.Fatalf("reschedule inside the lead time: %v", err)
	}
	if _, err := f.sched.RescheduleBooking(f.as("staff"), b.ID, f.at(10, 9, 0), ""); err != nil {
		t.Fatal(err)
	}
	if _, err := f.sched.CancelBooking(f.as("staff"), b.ID, "client asked"); err != nil {
		t.Fatal(err)
	}
	type job struct {
		kind             string
		starts, remindAt *time.Time
		tenant           string
	}
	rows, err := admin.Query(context.Background(), `SELECT kind || coalesce(' ' || (args->>'change'), ''), (args->>'starts_at')::timestamptz, (args->>'remind_at')::timestamptz, args->>'tenant_id'
		FROM river.river_job WHERE args->>'booking_id' = $1 ORDER BY id`, b.ID.String())
	if err != nil {
		t.Fatal(err)
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		return j, r.Scan(&j.kind, &j.starts, &j.remindAt, &j.tenant)
	})
	if err != nil {
		t.Fatal(err)
	}
	// The demo client asks to be reminded 1,440 minutes before.
	day := 24 * time.Hour
	want := []struct {
		kind             string
		starts, remindAt time.Time
	}{
		{"booking_confirmation_mail", time.Time{}, time.Time{}},
		{"booking_reminder_mail", f.at(8, 10, 0), f.at(8, 10, 0).Add(-day)},
		{"booking_change_mail rescheduled", time.Time{}, time.Time{}},
		{"booking_reminder_mail", f.at(10, 9, 0), f.at(10, 9, 0).Add(-day)},
		{"booking_change_mail cancelled", time.Time{}, time.Time{}},
	}
	if len(jobs) != len(want) {
		t.Fatalf("%d jobs, want %d: %+v", len(jobs), len(want), jobs)
	}
	for i, w := range want {
		j := jobs[i]
		if j.kind != w.kind || j.tenant != f.seeded["acme"].TenantID.String() ||
			!w.starts.IsZero() && (!j.starts.Equal(w.starts) || !j.remindAt.Equal(w.remindAt)) {
			t.Errorf("job %d: %s %v %v %s, want %s %v %v", i, j.kind, j.starts, j.remindAt, j.tenant, w.kind, w.starts, w.remindAt)
		}
	}
}
