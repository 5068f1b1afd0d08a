package web_test

import (
	"context"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// sched is a running tenantkit with the demo tenants and a signed-in
// session for each demo member, plus a second acme client.
type sched struct {
	*env
	owner, staff, consultant, client, client2 *session
	gOwner, gStaff, gClient                   *session
	// Member ids.
	staffID, consultantID, clientID, client2ID, ownerID string
	gStaffID, gClientID                                 string
	// Service ids by slug.
	svc, gsvc map[string]string
	ny        *time.Location
}

func newSched(t *testing.T, opts ...envOption) *sched {
	t.Helper()
	e := newEnv(t, opts...)
	s := &sched{env: e, svc: map[string]string{}, gsvc: map[string]string{}}
	var err error
	if s.ny, err = time.LoadLocation("America/New_York"); err != nil {
		t.Fatal(err)
	}
	s.client2ID = e.addMember(t, "acme", "client2@acme.test", "client", "Acme Client Cleo").String()
	s.owner, s.staff, s.client = e.login("acme", "owner@acme.test"), e.login("acme", "staff@acme.test"), e.login("acme", "client@acme.test")
	s.consultant, s.client2 = e.login("acme", demo.ConsultantEmail), e.login("acme", "client2@acme.test")
	s.gOwner, s.gStaff, s.gClient = e.login("globex", "owner@globex.test"), e.login("globex", "staff@globex.test"), e.login("globex", "client@globex.test")
	am, gm := e.seeded["acme"].Members, e.seeded["globex"].Members
	s.staffID, s.consultantID, s.clientID, s.ownerID = am["staff"].ID.String(), am["consultant"].ID.String(), am["client"].ID.String(), am["owner"].ID.String()
	s.gStaffID, s.gClientID = gm["staff"].ID.String(), gm["client"].ID.String()
	for _, sv := range e.services("acme", s.owner, "").Items {
		s.svc[sv.Slug] = sv.ID
	}
	for _, sv := range e.services("globex", s.gOwner, "").Items {
		s.gsvc[sv.Slug] = sv.ID
	}
	return s
}

// daysAgoAt returns hour o'clock in New York, days days before the clock's
// date there.
func (s *sched) daysAgoAt(days, hour int) time.Time {
	d := s.now().In(s.ny).AddDate(0, 0, -days)
	return time.Date(d.Year(), d.Month(), d.Day(), hour, 0, 0, 0, s.ny)
}

// freshStaff adds a staff member to acme, with weekly hours 09:00–17:00
// on weekdays and no appointments, and returns its id.
func (s *sched) freshStaff(t testing.TB, email, name string) string {
	t.Helper()
	id := s.addMember(t, "acme", email, "staff", name).String()
	for wd := 1; wd <= 5; wd++ {
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.owner,
			body: map[string]any{"staff_member_id": id, "weekday": wd, "start_time": "09:00", "end_time": "17:00"}}), 201)
	}
	return id
}

// addMember adds an account with the demo password as a member of the
// demo tenant slug, on the platform path, and returns the member id.
func (e *env) addMember(t testing.TB, slug, email, role, name string) uuid.UUID {
	t.Helper()
	ctx := context.Background()
	hash, err := e.hasher.Hash(ctx, demo.Password)
	if err != nil {
		t.Fatal(err)
	}
	var id uuid.UUID
	tid := e.seeded[slug].TenantID
	err = e.store.InPlatform(ctx, store.PlatformOp{Actor: "system:test", Action: "test.add_member", Reason: "a second member for a test", TargetTenant: &tid},
		func(tx *store.PlatformTx) error {
			acct, err := tx.CreateAccount(ctx, store.PlatformCreateAccountParams{Email: email, PasswordHash: &hash})
			if err != nil {
				return err
			}
			m, err := tx.CreateMemberInTenant(ctx, store.PlatformCreateMemberInTenantParams{TenantID: tid, AccountID: acct.ID, Role: role, DisplayName: name})
			id = m.ID
			return err
		})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// inTenant runs fn as the owner of the demo tenant slug, as the app role.
func (e *env) inTenant(t testing.TB, slug string, fn func(context.Context, *store.Tx) error) {
	t.Helper()
	s := e.seeded[slug]
	o := s.Members["owner"]
	ctx := tenant.WithScope(context.Background(), tenant.Scope{TenantID: s.TenantID, AccountID: o.AccountID, MemberID: o.ID, Role: tenant.RoleOwner, RequestID: "test"})
	if err := e.store.InTenant(ctx, func(tx *store.Tx) error { return fn(ctx, tx) }); err != nil {
		t.Fatal(err)
	}
}

// queryAs reads one row as the app role in the demo tenant slug: row
// security alone scopes it.
func (e *env) queryAs(t testing.TB, slug string, dest []any, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn := pgtest.Connect(t, e.db.AppURL)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx)
	if _, err := tx.Exec(ctx, "SELECT set_config('app.current_tenant_id', $1, true)", e.seeded[slug].TenantID.String()); err != nil {
		t.Fatal(err)
	}
	if err := tx.QueryRow(ctx, sql, args...).Scan(dest...); err != nil {
		t.Fatal(err)
	}
}

func i32(v int32) *int32 { return &v }

// setBookingSettings replaces the booking settings of slug (nil: the
// platform default).
func (e *env) setBookingSettings(t testing.TB, slug string, p store.UpsertBookingSettingsParams) {
	t.Helper()
	e.inTenant(t, slug, func(ctx context.Context, tx *store.Tx) error {
		p.TenantID = tx.TenantID()
		_, err := tx.UpsertBookingSettings(ctx, p)
		return err
	})
}

// insertBooking stores a booking directly, bypassing availability: for
// bookings in the past or near now.
func (e *env) insertBooking(t testing.TB, slug, serviceID, staffID, clientID string, start time.Time, status string, cancelNotice, rescheduleNotice int32) string {
	t.Helper()
	var id string
	e.inTenant(t, slug, func(ctx context.Context, tx *store.Tx) error {
		b, err := tx.CreateBooking(ctx, store.CreateBookingParams{
			TenantID: tx.TenantID(), ServiceID: uuid.MustParse(serviceID), StaffMemberID: uuid.MustParse(staffID), ClientMemberID: uuid.MustParse(clientID),
			StartsAt: start, EndsAt: start.Add(time.Hour), Status: status, CancellationNoticeMinutes: cancelNotice,
			RescheduleNoticeMinutes: rescheduleNotice, PriceMinor: 100, Currency: "USD",
		})
		id = b.ID.String()
		return err
	})
	return id
}

type slotItem struct {
	StaffMemberID   string `json:"staff_member_id"`
	StaffName       string `json:"staff_name"`
	StartsAt        string `json:"starts_at"`
	EndsAt          string `json:"ends_at"`
	TimeZone        string `json:"time_zone"`
	LocalDate       string `json:"local_date"`
	LocalTime       string `json:"local_time"`
	ViewerTimeZone  string `json:"viewer_time_zone"`
	ViewerStartsAt  string `json:"viewer_starts_at"`
	ViewerLocalDate string `json:"viewer_local_date"`
	ViewerLocalTime string `json:"viewer_local_time"`
}

type slotPage struct {
	Items      []slotItem `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

type bookingEvent struct {
	Kind             string `json:"kind"`
	ActorMemberID    string `json:"actor_member_id"`
	PreviousStartsAt string `json:"previous_starts_at"`
	Note             string `json:"note"`
}

type bookingBody struct {
	ID                        string         `json:"id"`
	ServiceID                 string         `json:"service_id"`
	StaffMemberID             string         `json:"staff_member_id"`
	ClientMemberID            string         `json:"client_member_id"`
	ServiceRequestID          string         `json:"service_request_id"`
	StartsAt                  string         `json:"starts_at"`
	EndsAt                    string         `json:"ends_at"`
	Status                    string         `json:"status"`
	PriceMinor                int64          `json:"price_minor"`
	Currency                  string         `json:"currency"`
	BufferBeforeMinutes       int            `json:"buffer_before_minutes"`
	BufferAfterMinutes        int            `json:"buffer_after_minutes"`
	CancellationNoticeMinutes int            `json:"cancellation_notice_minutes"`
	RescheduleNoticeMinutes   int            `json:"reschedule_notice_minutes"`
	CancelledAt               string         `json:"cancelled_at"`
	Events                    []bookingEvent `json:"events"`
}

type bookingList struct {
	Items      []bookingBody `json:"items"`
	NextCursor string        `json:"next_cursor"`
}

// slots returns the free slots at path (staff or portal) with query.
func (s *sched) slots(t testing.TB, sess *session, path string, q url.Values) slotPage {
	t.Helper()
	r := s.do(req{method: "GET", host: "acme", path: path + "?" + q.Encode(), sess: sess})
	expectStatus(t, r, 200)
	var p slotPage
	r.json(t, &p)
	return p
}

// weekAhead returns the New York date a week from now, on a Monday.
func (s *sched) weekAhead() string {
	d := s.now().In(s.ny).AddDate(0, 0, 7)
	for d.Weekday() != time.Monday {
		d = d.AddDate(0, 0, 1)
	}
	return d.Format(time.DateOnly)
}

// firstSlots returns the free slots of the acme service slug for the staff
// member in the week from weekAhead.
func (s *sched) firstSlots(t testing.TB, slug, staffID string) []slotItem {
	t.Helper()
	q := url.Values{"from": {s.weekAhead()}, "staff_member_id": {staffID}, "limit": {"100"}}
	p := s.slots(t, s.staff, "/api/services/"+s.svc[slug]+"/slots", q)
	if len(p.Items) < 4 {
		t.Fatalf("only %d free slots", len(p.Items))
	}
	return p.Items
}

func (s *sched) book(t testing.TB, slug, staffID, start string) bookingBody {
	t.Helper()
	r := s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
		"service_id": s.svc[slug], "staff_member_id": staffID, "client_member_id": s.clientID, "starts_at": start,
	}})
	expectStatus(t, r, 201)
	var b bookingBody
	r.json(t, &b)
	return b
}

func (s *sched) getBooking(t testing.TB, sess *session, id string) bookingBody {
	t.Helper()
	r := s.do(req{method: "GET", host: "acme", path: "/api/bookings/" + id, sess: sess})
	expectStatus(t, r, 200)
	var b bookingBody
	r.json(t, &b)
	return b
}

// snapshot reads what scheduling holds of a tenant, as its staff and one
// of its clients see it: hours, exceptions, bookings, one booking with its
// timeline, the client's preferences.
func (s *sched) snapshot(t testing.TB, host string, staff, client *session, booking string) []string {
	t.Helper()
	var out []string
	for _, p := range []struct {
		path string
		sess *session
	}{
		{"/api/availability/rules?limit=100", staff},
		{"/api/availability/exceptions?limit=100", staff},
		{"/api/bookings?limit=100", staff},
		{"/api/bookings/" + booking, staff},
		{"/api/portal/booking-preferences", client},
	} {
		r := s.do(req{method: "GET", host: host, path: p.path, sess: p.sess})
		expectStatus(t, r, 200)
		out = append(out, string(r.Body))
	}
	return out
}

// apart returns the slots that start at least three hours after the one
// before: each can be booked without touching another.
func apart(t testing.TB, items []slotItem) []slotItem {
	t.Helper()
	var out []slotItem
	var last time.Time
	for _, it := range items {
		st, err := time.Parse(time.RFC3339, it.StartsAt)
		if err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 || st.Sub(last) >= 3*time.Hour {
			out = append(out, it)
			last = st
		}
	}
	return out
}

// clearExceptions deletes the staff member's date exceptions (the demo
// seeds a day off two weeks ahead).
func (s *sched) clearExceptions(t testing.TB, staffID string) {
	t.Helper()
	var exc struct{ Items []exceptionBody }
	s.do(req{method: "GET", host: "acme", path: "/api/availability/exceptions?staff_member_id=" + staffID, sess: s.owner}).json(t, &exc)
	for _, e := range exc.Items {
		expectStatus(t, s.do(req{method: "DELETE", host: "acme", path: "/api/availability/exceptions/" + e.ID, sess: s.owner}), 204)
	}
}

func hasSlot(items []slotItem, start string) bool {
	for _, it := range items {
		if it.StartsAt == start {
			return true
		}
	}
	return false
}

type ruleBody struct {
	ID            string `json:"id"`
	StaffMemberID string `json:"staff_member_id"`
	Weekday       int    `json:"weekday"`
	StartTime     string `json:"start_time"`
	EndTime       string `json:"end_time"`
}

type rulePage struct {
	Items      []ruleBody `json:"items"`
	NextCursor string     `json:"next_cursor"`
}

func (s *sched) rules(t testing.TB, host string, sess *session, query string) rulePage {
	t.Helper()
	r := s.do(req{method: "GET", host: host, path: "/api/availability/rules" + query, sess: sess})
	expectStatus(t, r, 200)
	var p rulePage
	r.json(t, &p)
	return p
}

func TestAvailabilityRules(t *testing.T) {
	s := newSched(t)
	mine := "?staff_member_id=" + s.staffID
	if n := len(s.rules(t, "acme", s.staff, mine).Items); n != 5 {
		t.Fatalf("seeded weekday hours: %d", n)
	}
	r := s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff,
		body: map[string]any{"weekday": 6, "start_time": "10:00", "end_time": "14:00"}})
	expectStatus(t, r, 201)
	var created ruleBody
	r.json(t, &created)
	if created.StaffMemberID != s.staffID || created.Weekday != 6 || created.StartTime != "10:00" || created.EndTime != "14:00" {
		t.Fatalf("created: %s", r.Body)
	}
	path := "/api/availability/rules/" + created.ID

	t.Run("GetAndList", func(t *testing.T) {
		var got ruleBody
		s.do(req{method: "GET", host: "acme", path: path, sess: s.consultant}).json(t, &got)
		if got != created {
			t.Fatalf("get: %+v", got)
		}
		if n := len(s.rules(t, "acme", s.staff, mine).Items); n != 6 {
			t.Fatalf("%d rules after create", n)
		}
	})
	t.Run("OverlapIsAConflictFromTheConstraint", func(t *testing.T) {
		r := s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff,
			body: map[string]any{"weekday": 6, "start_time": "13:00", "end_time": "15:00"}})
		expectStatus(t, r, 409)
		if !strings.Contains(string(r.Body), `"location":"body.start_time"`) {
			t.Fatalf("conflict body: %s", r.Body)
		}
		// Touching is not overlapping; the end of the day is 24:00.
		r = s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff,
			body: map[string]any{"weekday": 6, "start_time": "14:00", "end_time": "24:00"}})
		expectStatus(t, r, 201)
	})
	t.Run("Update", func(t *testing.T) {
		r := s.do(req{method: "PATCH", host: "acme", path: path, sess: s.staff, body: map[string]any{"start_time": "08:30"}})
		expectStatus(t, r, 200)
		var u ruleBody
		r.json(t, &u)
		if u.StartTime != "08:30" || u.EndTime != "14:00" || u.Weekday != 6 {
			t.Fatalf("updated: %s", r.Body)
		}
		expectStatus(t, s.do(req{method: "PATCH", host: "acme", path: path, sess: s.staff, body: map[string]any{"end_time": "08:00"}}), 422)
		expectStatus(t, s.do(req{method: "PATCH", host: "acme", path: path, sess: s.staff, body: map[string]any{"end_time": "15:00"}}), 409)
	})
	t.Run("StaffManageOnlyTheirOwnHours", func(t *testing.T) {
		before := s.rules(t, "acme", s.owner, "?staff_member_id="+s.staffID)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.consultant,
			body: map[string]any{"staff_member_id": s.staffID, "weekday": 7, "start_time": "10:00", "end_time": "11:00"}}), 403)
		expectStatus(t, s.do(req{method: "PATCH", host: "acme", path: path, sess: s.consultant, body: map[string]any{"weekday": 7}}), 403)
		expectStatus(t, s.do(req{method: "DELETE", host: "acme", path: path, sess: s.consultant}), 403)
		if after := s.rules(t, "acme", s.owner, "?staff_member_id="+s.staffID); !reflect.DeepEqual(before, after) {
			t.Fatalf("a refused change changed the hours:\n%+v\n%+v", before, after)
		}
		// An owner manages anyone's.
		r := s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.owner,
			body: map[string]any{"staff_member_id": s.consultantID, "weekday": 7, "start_time": "10:00", "end_time": "11:00"}})
		expectStatus(t, r, 201)
		// Clients neither read nor write hours.
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/availability/rules", sess: s.client}), 403)
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: path, sess: s.client}), 403)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.client,
			body: map[string]any{"weekday": 7, "start_time": "10:00", "end_time": "11:00"}}), 403)
	})
	t.Run("OnlyLiveStaffHaveHours", func(t *testing.T) {
		for _, id := range []string{s.clientID, missingID} {
			expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.owner,
				body: map[string]any{"staff_member_id": id, "weekday": 7, "start_time": "12:00", "end_time": "13:00"}}), 404)
		}
	})
	t.Run("Pagination", func(t *testing.T) {
		var all []ruleBody
		cursor := ""
		for range 20 {
			q := "?limit=3"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			p := s.rules(t, "acme", s.staff, q)
			all = append(all, p.Items...)
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		seen := map[string]bool{}
		for _, r := range all {
			if seen[r.ID] {
				t.Fatalf("rule %s twice", r.ID)
			}
			seen[r.ID] = true
		}
		if len(all) != 13 { // 5 + 5 seeded, 2 added for staff, 1 for the consultant
			t.Fatalf("%d rules over the pages", len(all))
		}
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/availability/rules?cursor=" + s.rules(t, "acme", s.staff, "?limit=1").NextCursor, sess: s.consultant}), 422)
	})
	t.Run("Delete", func(t *testing.T) {
		expectStatus(t, s.do(req{method: "DELETE", host: "acme", path: path, sess: s.staff}), 204)
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: path, sess: s.staff}), 404)
		expectStatus(t, s.do(req{method: "DELETE", host: "acme", path: path, sess: s.staff}), 404)
	})
}

func TestAvailabilityRulesMalformed(t *testing.T) {
	s := newSched(t)
	before := s.rules(t, "acme", s.owner, "?limit=100")
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"MalformedJSON", `{"weekday": 1,`, 400},
		{"TwelveHourClock", map[string]any{"weekday": 1, "start_time": "9:00", "end_time": "5:00"}, 422},
		{"PM", map[string]any{"weekday": 1, "start_time": "09:00 PM", "end_time": "10:00 PM"}, 422},
		{"EndBeforeStart", map[string]any{"weekday": 6, "start_time": "17:00", "end_time": "09:00"}, 422},
		{"StartAt2400", map[string]any{"weekday": 6, "start_time": "24:00", "end_time": "24:00"}, 422},
		{"Weekday0", map[string]any{"weekday": 0, "start_time": "09:00", "end_time": "10:00"}, 422},
		{"Weekday8", map[string]any{"weekday": 8, "start_time": "09:00", "end_time": "10:00"}, 422},
		{"UnknownField", map[string]any{"weekday": 6, "start_time": "09:00", "end_time": "10:00", "tenant_id": s.seeded["globex"].TenantID}, 422},
		{"MalformedMember", map[string]any{"staff_member_id": "not-a-uuid", "weekday": 6, "start_time": "09:00", "end_time": "10:00"}, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff, body: tc.body})
			expectStatus(t, r, tc.want)
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/availability/rules/not-a-uuid", sess: s.staff}), 422)
	expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/availability/rules?staff_member_id=nope", sess: s.staff}), 422)
	if after := s.rules(t, "acme", s.owner, "?limit=100"); !reflect.DeepEqual(before, after) {
		t.Fatal("malformed input stored hours")
	}
}

type exceptionBody struct {
	ID            string `json:"id"`
	StaffMemberID string `json:"staff_member_id"`
	Date          string `json:"date"`
	Kind          string `json:"kind"`
	StartTime     string `json:"start_time"`
	EndTime       string `json:"end_time"`
	Note          string `json:"note"`
}

func TestAvailabilityExceptions(t *testing.T) {
	s := newSched(t)
	day := s.weekAhead()
	list := func(q string) []exceptionBody {
		r := s.do(req{method: "GET", host: "acme", path: "/api/availability/exceptions" + q, sess: s.staff})
		expectStatus(t, r, 200)
		var p struct{ Items []exceptionBody }
		r.json(t, &p)
		return p.Items
	}
	slotsOn := func() []string {
		var out []string
		for _, it := range s.slots(t, s.staff, "/api/services/"+s.svc["tax-review"]+"/slots", url.Values{"from": {day}, "to": {day}, "staff_member_id": {s.staffID}}).Items {
			out = append(out, it.LocalTime)
		}
		return out
	}
	full := slotsOn()
	if len(full) != 15 || full[0] != "09:00" || full[14] != "16:00" {
		t.Fatalf("a 09:00–17:00 day: %v", full)
	}
	create := func(body map[string]any, want int) exceptionBody {
		t.Helper()
		r := s.do(req{method: "POST", host: "acme", path: "/api/availability/exceptions", sess: s.staff, body: body})
		expectStatus(t, r, want)
		var e exceptionBody
		if want == 201 {
			r.json(t, &e)
		}
		return e
	}
	partial := create(map[string]any{"date": day, "kind": "partial_off", "start_time": "12:00", "end_time": "14:00", "note": "Acme dentist"}, 201)
	if partial.Kind != "partial_off" || partial.StartTime != "12:00" || partial.StaffMemberID != s.staffID {
		t.Fatalf("partial: %+v", partial)
	}
	if got := strings.Join(slotsOn(), " "); strings.Contains(got, "11:30") || strings.Contains(got, "12:00") || strings.Contains(got, "13:30") || !strings.Contains(got, "14:00") || !strings.Contains(got, "11:00") {
		t.Fatalf("slots around 12:00–14:00 off: %s", got)
	}
	extra := create(map[string]any{"date": day, "kind": "extra_hours", "start_time": "18:00", "end_time": "20:00"}, 201)
	if got := slotsOn(); got[len(got)-1] != "19:00" {
		t.Fatalf("extra hours 18:00–20:00 on top: %v", got)
	}

	t.Run("Validation", func(t *testing.T) {
		n := len(list(""))
		create(map[string]any{"date": day, "kind": "day_off", "start_time": "09:00", "end_time": "10:00"}, 422)
		create(map[string]any{"date": day, "kind": "partial_off"}, 422)
		create(map[string]any{"date": day, "kind": "extra_hours", "start_time": "10:00", "end_time": "09:00"}, 422)
		create(map[string]any{"date": "2026-02-30", "kind": "day_off"}, 422)
		create(map[string]any{"date": day, "kind": "holiday"}, 422)
		create(map[string]any{"date": day, "kind": "day_off", "note": strings.Repeat("x", 501)}, 422)
		if len(list("")) != n {
			t.Fatal("invalid exceptions were stored")
		}
	})
	t.Run("DayOffEmptiesTheDay", func(t *testing.T) {
		off := create(map[string]any{"date": day, "kind": "day_off"}, 201)
		if got := slotsOn(); len(got) != 0 {
			t.Fatalf("slots on a day off: %v", got)
		}
		expectStatus(t, s.do(req{method: "DELETE", host: "acme", path: "/api/availability/exceptions/" + off.ID, sess: s.staff}), 204)
	})
	t.Run("UpdateToDayOffDropsTheTimes", func(t *testing.T) {
		r := s.do(req{method: "PATCH", host: "acme", path: "/api/availability/exceptions/" + extra.ID, sess: s.staff, body: map[string]any{"kind": "day_off"}})
		expectStatus(t, r, 200)
		var u exceptionBody
		r.json(t, &u)
		if u.Kind != "day_off" || u.StartTime != "" {
			t.Fatalf("updated: %s", r.Body)
		}
		expectStatus(t, s.do(req{method: "PATCH", host: "acme", path: "/api/availability/exceptions/" + extra.ID, sess: s.staff, body: map[string]any{"kind": "extra_hours"}}), 422)
		r = s.do(req{method: "PATCH", host: "acme", path: "/api/availability/exceptions/" + extra.ID, sess: s.staff,
			body: map[string]any{"kind": "extra_hours", "start_time": "18:00", "end_time": "19:00", "note": "Acme late"}})
		expectStatus(t, r, 200)
	})
	t.Run("ListFilters", func(t *testing.T) {
		if got := list("?from=" + day + "&to=" + day + "&staff_member_id=" + s.staffID); len(got) != 2 {
			t.Fatalf("exceptions on %s: %+v", day, got)
		}
		if got := list("?staff_member_id=" + s.consultantID); len(got) != 0 {
			t.Fatalf("the consultant's exceptions: %+v", got)
		}
		var p struct {
			NextCursor string `json:"next_cursor"`
		}
		s.do(req{method: "GET", host: "acme", path: "/api/availability/exceptions?limit=1", sess: s.staff}).json(t, &p)
		if p.NextCursor == "" {
			t.Fatal("no next page")
		}
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/availability/exceptions?limit=1&cursor=" + p.NextCursor, sess: s.staff}), 200)
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/availability/exceptions?from=yesterday", sess: s.staff}), 422)
	})
	t.Run("Permissions", func(t *testing.T) {
		p := "/api/availability/exceptions/" + partial.ID
		expectStatus(t, s.do(req{method: "PATCH", host: "acme", path: p, sess: s.consultant, body: map[string]any{"note": "x"}}), 403)
		expectStatus(t, s.do(req{method: "DELETE", host: "acme", path: p, sess: s.consultant}), 403)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/exceptions", sess: s.consultant,
			body: map[string]any{"staff_member_id": s.staffID, "date": day, "kind": "day_off"}}), 403)
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/availability/exceptions", sess: s.client}), 403)
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: p, sess: s.client}), 403)
		var got exceptionBody
		s.do(req{method: "GET", host: "acme", path: p, sess: s.consultant}).json(t, &got)
		if got != partial {
			t.Fatalf("changed by a refused request: %+v", got)
		}
		expectStatus(t, s.do(req{method: "DELETE", host: "acme", path: p, sess: s.owner}), 204)
	})
}

// Another tenant's id, in a path, a query or a body, on every scheduling
// operation, reads exactly like a missing id, and nothing of the other
// tenant changes.
func TestSchedulingOtherTenantIsNotFound(t *testing.T) {
	s := newSched(t)
	day := s.weekAhead()
	// globex's own rows.
	var gRule, gExc string
	gRules := s.rules(t, "globex", s.gStaff, "?staff_member_id="+s.gStaffID)
	gRule = gRules.Items[0].ID
	r := s.do(req{method: "GET", host: "globex", path: "/api/availability/exceptions", sess: s.gStaff})
	var ge struct{ Items []exceptionBody }
	r.json(t, &ge)
	gExc = ge.Items[0].ID
	var gb bookingList
	s.do(req{method: "GET", host: "globex", path: "/api/bookings", sess: s.gStaff}).json(t, &gb)
	var gBooking, gRequest string
	for _, b := range gb.Items {
		if b.ServiceRequestID != "" {
			gBooking, gRequest = b.ID, b.ServiceRequestID
			break
		}
	}
	if gRequest == "" {
		t.Fatal("the seeded globex booking has no request")
	}
	snapshot := func() []string { return s.snapshot(t, "globex", s.gStaff, s.gClient, gBooking) }
	before := snapshot()

	slot := s.firstSlots(t, "tax-review", s.staffID)[0]
	booking := func(field, value string) map[string]any {
		b := map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "client_member_id": s.clientID, "starts_at": slot.StartsAt}
		b[field] = value
		return b
	}
	portalBooking := func(field, value string) map[string]any {
		b := map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": slot.StartsAt}
		b[field] = value
		return b
	}
	rule := func(v string) map[string]any {
		return map[string]any{"staff_member_id": v, "weekday": 7, "start_time": "09:00", "end_time": "10:00"}
	}
	exc := func(v string) map[string]any {
		return map[string]any{"staff_member_id": v, "date": day, "kind": "day_off"}
	}
	prefs := func(v string) map[string]any {
		return map[string]any{"preferred_staff_member_id": v, "contact_channel": "email"}
	}
	type op struct {
		name, method  string
		sess          *session
		path          func(id string) string
		body          func(id string) any
		foreign, miss string
	}
	p := func(prefix string) func(string) string { return func(id string) string { return prefix + id } }
	pp := func(prefix, suffix string) func(string) string {
		return func(id string) string { return prefix + id + suffix }
	}
	fixed := func(path string) func(string) string { return func(string) string { return path } }
	slotsQ := "/slots?from=" + day
	ops := []op{
		{"GetRule", "GET", s.owner, p("/api/availability/rules/"), nil, gRule, missingID},
		{"PatchRule", "PATCH", s.owner, p("/api/availability/rules/"), func(string) any { return map[string]any{"weekday": 7} }, gRule, missingID},
		{"DeleteRule", "DELETE", s.owner, p("/api/availability/rules/"), nil, gRule, missingID},
		{"ListRulesOfStaff", "GET", s.owner, p("/api/availability/rules?staff_member_id="), nil, s.gStaffID, missingID},
		{"CreateRuleForStaff", "POST", s.owner, fixed("/api/availability/rules"), func(id string) any { return rule(id) }, s.gStaffID, missingID},
		{"GetException", "GET", s.owner, p("/api/availability/exceptions/"), nil, gExc, missingID},
		{"PatchException", "PATCH", s.owner, p("/api/availability/exceptions/"), func(string) any { return map[string]any{"note": "x"} }, gExc, missingID},
		{"DeleteException", "DELETE", s.owner, p("/api/availability/exceptions/"), nil, gExc, missingID},
		{"ListExceptionsOfStaff", "GET", s.owner, p("/api/availability/exceptions?staff_member_id="), nil, s.gStaffID, missingID},
		{"CreateExceptionForStaff", "POST", s.owner, fixed("/api/availability/exceptions"), func(id string) any { return exc(id) }, s.gStaffID, missingID},
		{"SlotsOfService", "GET", s.staff, pp("/api/services/", slotsQ), nil, s.gsvc["tax-review"], missingID},
		{"SlotsOfStaff", "GET", s.staff, p("/api/services/" + s.svc["tax-review"] + slotsQ + "&staff_member_id="), nil, s.gStaffID, missingID},
		{"ListBookingsOfStaff", "GET", s.staff, p("/api/bookings?staff_member_id="), nil, s.gStaffID, missingID},
		{"BookService", "POST", s.staff, fixed("/api/bookings"), func(id string) any { return booking("service_id", id) }, s.gsvc["tax-review"], missingID},
		{"BookStaff", "POST", s.staff, fixed("/api/bookings"), func(id string) any { return booking("staff_member_id", id) }, s.gStaffID, missingID},
		{"BookClient", "POST", s.staff, fixed("/api/bookings"), func(id string) any { return booking("client_member_id", id) }, s.gClientID, missingID},
		{"BookRequest", "POST", s.staff, fixed("/api/bookings"), func(id string) any { return booking("service_request_id", id) }, gRequest, missingID},
		{"GetBooking", "GET", s.staff, p("/api/bookings/"), nil, gBooking, missingID},
		{"ConfirmBooking", "POST", s.staff, pp("/api/bookings/", "/confirm"), nil, gBooking, missingID},
		{"RescheduleBooking", "POST", s.staff, pp("/api/bookings/", "/reschedule"), func(string) any { return map[string]any{"starts_at": slot.StartsAt} }, gBooking, missingID},
		{"CancelBooking", "POST", s.staff, pp("/api/bookings/", "/cancel"), nil, gBooking, missingID},
		{"CompleteBooking", "POST", s.staff, pp("/api/bookings/", "/complete"), nil, gBooking, missingID},
		{"NoShowBooking", "POST", s.staff, pp("/api/bookings/", "/no-show"), nil, gBooking, missingID},
		{"PortalSlots", "GET", s.client, pp("/api/portal/services/", slotsQ), nil, s.gsvc["tax-review"], missingID},
		{"PortalSlotsOfStaff", "GET", s.client, p("/api/portal/services/" + s.svc["tax-review"] + slotsQ + "&staff_member_id="), nil, s.gStaffID, missingID},
		{"PortalBookService", "POST", s.client, fixed("/api/portal/bookings"), func(id string) any { return portalBooking("service_id", id) }, s.gsvc["tax-review"], missingID},
		{"PortalBookStaff", "POST", s.client, fixed("/api/portal/bookings"), func(id string) any { return portalBooking("staff_member_id", id) }, s.gStaffID, missingID},
		{"PortalBookRequest", "POST", s.client, fixed("/api/portal/bookings"), func(id string) any { return portalBooking("service_request_id", id) }, gRequest, missingID},
		{"PortalGetBooking", "GET", s.client, p("/api/portal/bookings/"), nil, gBooking, missingID},
		{"PortalReschedule", "POST", s.client, pp("/api/portal/bookings/", "/reschedule"), func(string) any { return map[string]any{"starts_at": slot.StartsAt} }, gBooking, missingID},
		{"PortalCancel", "POST", s.client, pp("/api/portal/bookings/", "/cancel"), nil, gBooking, missingID},
		{"PortalPreferredStaff", "PUT", s.client, fixed("/api/portal/booking-preferences"), func(id string) any { return prefs(id) }, s.gStaffID, missingID},
	}
	for _, o := range ops {
		t.Run(o.name, func(t *testing.T) {
			var fb, mb any
			if o.body != nil {
				fb, mb = o.body(o.foreign), o.body(o.miss)
			}
			foreign := s.do(req{method: o.method, host: "acme", path: o.path(o.foreign), sess: o.sess, body: fb})
			absent := s.do(req{method: o.method, host: "acme", path: o.path(o.miss), sess: o.sess, body: mb})
			expectStatus(t, foreign, 404)
			expectStatus(t, absent, 404)
			if !reflect.DeepEqual(foreign.problemBody(t), absent.problemBody(t)) {
				t.Fatalf("bodies differ:\n%s\n%s", foreign.Body, absent.Body)
			}
		})
	}
	if after := snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("globex changed:\n%v\n%v", before, after)
	}
	// Nothing was booked in acme either.
	var ab bookingList
	s.do(req{method: "GET", host: "acme", path: "/api/bookings?from=" + day, sess: s.staff}).json(t, &ab)
	if len(ab.Items) != 0 {
		t.Fatalf("refused bookings were stored: %+v", ab.Items)
	}
}

func TestBookingLifecycle(t *testing.T) { testBookingLifecycle(t, newSched(t)) }

func testBookingLifecycle(t *testing.T, s *sched) {
	slots := s.firstSlots(t, "tax-review", s.staffID)
	first := slots[0]
	b := s.book(t, "tax-review", s.staffID, first.StartsAt)
	if b.Status != "confirmed" || b.PriceMinor != 15000 || b.Currency != "USD" || b.BufferAfterMinutes != 15 || b.BufferBeforeMinutes != 0 ||
		b.CancellationNoticeMinutes != 1440 || b.RescheduleNoticeMinutes != 1440 || b.StartsAt != first.StartsAt || b.EndsAt != first.EndsAt {
		t.Fatalf("booked: %+v", b)
	}

	t.Run("TheSlotAndItsBufferAreTaken", func(t *testing.T) {
		after := s.firstSlots(t, "tax-review", s.staffID)
		if hasSlot(after, first.StartsAt) {
			t.Fatal("the booked slot is still offered")
		}
		// 60 minutes plus a 15-minute buffer: the next slot 60 minutes on
		// would start inside the buffer.
		start, _ := time.Parse(time.RFC3339, first.StartsAt)
		if hasSlot(after, start.Add(time.Hour).In(s.ny).Format(time.RFC3339)) {
			t.Fatal("a slot inside the buffer is offered")
		}
		if !hasSlot(after, start.Add(90*time.Minute).In(s.ny).Format(time.RFC3339)) {
			t.Fatal("the slot after the buffer is not offered")
		}
		r := s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
			"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "client_member_id": s.clientID, "starts_at": first.StartsAt}})
		expectStatus(t, r, 409)
		// The consultant is free then.
		s.book(t, "tax-review", s.consultantID, first.StartsAt)
	})
	t.Run("OnlyFreeSlots", func(t *testing.T) {
		start, _ := time.Parse(time.RFC3339, slots[3].StartsAt)
		// Off the grid, in the past, inside the lead time (60 minutes),
		// outside the working hours.
		for _, at := range []time.Time{start.Add(10 * time.Minute), start.Add(-30 * 24 * time.Hour), s.now().Add(time.Hour).Truncate(30 * time.Minute),
			time.Date(start.Year(), start.Month(), start.Day(), 3, 0, 0, 0, s.ny)} {
			r := s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
				"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "client_member_id": s.clientID, "starts_at": at.Format(time.RFC3339)}})
			expectStatus(t, r, 409)
		}
		// A booking's client must be a client; its staff member staff.
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
			"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "client_member_id": s.consultantID, "starts_at": slots[3].StartsAt}}), 404)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
			"service_id": s.svc["tax-review"], "staff_member_id": s.clientID, "client_member_id": s.clientID, "starts_at": slots[3].StartsAt}}), 404)
	})
	t.Run("ConfirmationWhenTheServiceRequiresIt", func(t *testing.T) {
		sl := s.firstSlots(t, "bookkeeping-setup", s.consultantID)
		p := s.book(t, "bookkeeping-setup", s.consultantID, sl[len(sl)-1].StartsAt)
		if p.Status != "pending" || p.PriceMinor != 24000 {
			t.Fatalf("booked: %+v", p)
		}
		// Pending bookings hold their time too.
		if hasSlot(s.firstSlots(t, "bookkeeping-setup", s.consultantID), p.StartsAt) {
			t.Fatal("a pending booking's slot is offered")
		}
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + p.ID + "/confirm", sess: s.client}), 403)
		r := s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + p.ID + "/confirm", sess: s.staff})
		expectStatus(t, r, 200)
		if s.getBooking(t, s.staff, p.ID).Status != "confirmed" {
			t.Fatal("not confirmed")
		}
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + p.ID + "/confirm", sess: s.staff}), 409)
	})
	t.Run("Reschedule", func(t *testing.T) {
		to := slots[len(slots)-1].StartsAt
		r := s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/reschedule", sess: s.staff, body: map[string]any{"starts_at": to, "note": "Acme moved"}})
		expectStatus(t, r, 200)
		got := s.getBooking(t, s.staff, b.ID)
		if got.StartsAt != to || got.Status != "confirmed" || len(got.Events) != 2 || got.Events[1].Kind != "rescheduled" ||
			got.Events[1].PreviousStartsAt != first.StartsAt || got.Events[1].Note != "Acme moved" || got.Events[0].Kind != "created" || got.Events[1].ActorMemberID != s.staffID {
			t.Fatalf("after reschedule: %+v", got)
		}
		if !hasSlot(s.firstSlots(t, "tax-review", s.staffID), first.StartsAt) {
			t.Fatal("the old slot is not free again")
		}
		// To a time that is not free: refused, and the booking stays.
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/reschedule", sess: s.staff,
			body: map[string]any{"starts_at": s.now().Add(-time.Hour).Format(time.RFC3339)}}), 409)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/reschedule", sess: s.client,
			body: map[string]any{"starts_at": first.StartsAt}}), 403)
		if s.getBooking(t, s.staff, b.ID).StartsAt != to {
			t.Fatal("a refused reschedule moved the booking")
		}
		// Its own slot, a little later: the booking does not block itself.
		start, _ := time.Parse(time.RFC3339, to)
		r = s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/reschedule", sess: s.staff,
			body: map[string]any{"starts_at": start.Add(-30 * time.Minute).In(s.ny).Format(time.RFC3339)}})
		expectStatus(t, r, 200)
	})
	t.Run("Cancel", func(t *testing.T) {
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/cancel", sess: s.client}), 403)
		r := s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/cancel", sess: s.staff, body: map[string]any{"reason": "Acme client ill"}})
		expectStatus(t, r, 200)
		got := s.getBooking(t, s.staff, b.ID)
		if got.Status != "cancelled" || got.CancelledAt == "" || got.Events[len(got.Events)-1].Kind != "cancelled" || got.Events[len(got.Events)-1].Note != "Acme client ill" {
			t.Fatalf("after cancel: %+v", got)
		}
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/cancel", sess: s.staff}), 409)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/reschedule", sess: s.staff, body: map[string]any{"starts_at": first.StartsAt}}), 409)
		// A cancelled booking frees its slot: it can be booked again.
		s.book(t, "tax-review", s.staffID, got.StartsAt)
	})
	t.Run("CompleteAndNoShow", func(t *testing.T) {
		future := s.book(t, "strategy-session", s.staffID, s.firstSlots(t, "strategy-session", s.staffID)[2].StartsAt)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + future.ID + "/complete", sess: s.staff}), 409)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + future.ID + "/no-show", sess: s.staff}), 409)
		// At 07:00 two, three and four days ago: before the demo's past
		// appointments of those days (11:00), whatever today is.
		past := s.insertBooking(t, "acme", s.svc["tax-review"], s.staffID, s.clientID, s.daysAgoAt(2, 7), "confirmed", 1440, 1440)
		past2 := s.insertBooking(t, "acme", s.svc["tax-review"], s.staffID, s.clientID, s.daysAgoAt(3, 7), "confirmed", 1440, 1440)
		pending := s.insertBooking(t, "acme", s.svc["tax-review"], s.staffID, s.clientID, s.daysAgoAt(4, 7), "pending", 1440, 1440)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + past + "/complete", sess: s.client}), 403)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + past + "/complete", sess: s.staff}), 200)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + past2 + "/no-show", sess: s.staff}), 200)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + pending + "/complete", sess: s.staff}), 409)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + past + "/no-show", sess: s.staff}), 409)
		if g := s.getBooking(t, s.staff, past); g.Status != "completed" || g.Events[len(g.Events)-1].Kind != "completed" {
			t.Fatalf("completed: %+v", g)
		}
		if g := s.getBooking(t, s.staff, past2); g.Status != "no_show" {
			t.Fatalf("no-show: %+v", g)
		}
	})
	t.Run("ListByRangeAndStaff", func(t *testing.T) {
		var all []bookingBody
		cursor := ""
		for range 10 {
			q := "?limit=2&from=" + s.weekAhead() + "&staff_member_id=" + s.staffID
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			var p bookingList
			r := s.do(req{method: "GET", host: "acme", path: "/api/bookings" + q, sess: s.staff})
			expectStatus(t, r, 200)
			r.json(t, &p)
			all = append(all, p.Items...)
			if cursor = p.NextCursor; cursor == "" {
				break
			}
		}
		if len(all) != 3 { // the cancelled one, its rebooking, the strategy session
			t.Fatalf("%d bookings: %+v", len(all), all)
		}
		for i, x := range all {
			if x.StaffMemberID != s.staffID || i > 0 && all[i-1].StartsAt > x.StartsAt {
				t.Fatalf("list order or filter broken: %+v", all)
			}
		}
		var p bookingList
		s.do(req{method: "GET", host: "acme", path: "/api/bookings?status=cancelled", sess: s.staff}).json(t, &p)
		if len(p.Items) != 1 || p.Items[0].ID != b.ID {
			t.Fatalf("cancelled: %+v", p.Items)
		}
		s.do(req{method: "GET", host: "acme", path: "/api/bookings?to=" + s.now().In(s.ny).AddDate(0, 0, -1).Format(time.DateOnly), sess: s.staff}).json(t, &p)
		if len(p.Items) != 3+demo.PastBookings {
			t.Fatalf("bookings up to yesterday: %+v", p.Items)
		}
		for _, q := range []string{"?from=2026-13-01", "?from=2026-03-10&to=2026-03-01", "?status=lost", "?limit=0", "?staff_member_id=x"} {
			expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/bookings" + q, sess: s.staff}), 422)
		}
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/bookings", sess: s.client}), 403)
	})
}

func TestBookingLinksTheServiceRequest(t *testing.T) {
	s := newSched(t)
	requestIn := func(status string, client string) string {
		var id string
		s.inTenant(t, "acme", func(ctx context.Context, tx *store.Tx) error {
			r, err := tx.CreateServiceRequest(ctx, store.CreateServiceRequestParams{TenantID: tx.TenantID(), ClientMemberID: uuid.MustParse(client),
				Title: "Acme request", Priority: "normal", Source: "staff", CreatedAt: s.clock.Now()})
			if err != nil {
				return err
			}
			if status != "submitted" {
				if _, err := tx.SetServiceRequestStatus(ctx, store.SetServiceRequestStatusParams{TenantID: tx.TenantID(), ID: r.ID, Status: status}); err != nil {
					return err
				}
			}
			id = r.ID.String()
			return nil
		})
		return id
	}
	statusOf := func(id string) (string, int) {
		var st string
		var events int
		s.queryAs(t, "acme", []any{&st, &events},
			"SELECT r.status, (SELECT count(*) FROM service_request_events e WHERE e.service_request_id = r.id) FROM service_requests r WHERE r.id = $1", id)
		return st, events
	}
	slots := apart(t, s.firstSlots(t, "tax-review", s.staffID))
	approved := requestIn("approved", s.clientID)
	r := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, body: map[string]any{
		"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": slots[0].StartsAt, "service_request_id": approved}})
	expectStatus(t, r, 201)
	var b bookingBody
	r.json(t, &b)
	if st, n := statusOf(approved); st != "scheduled" || n != 1 || b.ServiceRequestID != approved {
		t.Fatalf("request after booking: %s, %d events; booking %+v", st, n, b)
	}
	// A second booking of a scheduled request leaves it as it is.
	r = s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
		"service_id": s.svc["tax-review"], "staff_member_id": s.consultantID, "client_member_id": s.clientID, "starts_at": slots[0].StartsAt, "service_request_id": approved}})
	expectStatus(t, r, 201)
	var b2 bookingBody
	r.json(t, &b2)
	if st, n := statusOf(approved); st != "scheduled" || n != 1 {
		t.Fatalf("request after a second booking: %s, %d", st, n)
	}
	// Cancelling one keeps it scheduled; cancelling the last moves it back.
	expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b2.ID + "/cancel", sess: s.staff}), 200)
	if st, _ := statusOf(approved); st != "scheduled" {
		t.Fatalf("after cancelling one of two: %s", st)
	}
	expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + b.ID + "/cancel", sess: s.staff}), 200)
	if st, n := statusOf(approved); st != "approved" || n != 2 {
		t.Fatalf("after cancelling the last: %s, %d events", st, n)
	}
	t.Run("NotApprovedYet", func(t *testing.T) {
		submitted := requestIn("submitted", s.clientID)
		r := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, body: map[string]any{
			"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": slots[1].StartsAt, "service_request_id": submitted}})
		expectStatus(t, r, 409)
		if st, n := statusOf(submitted); st != "submitted" || n != 0 {
			t.Fatalf("a refused booking changed the request: %s %d", st, n)
		}
	})
	t.Run("AnotherClientsRequestIsNotFound", func(t *testing.T) {
		theirs := requestIn("approved", s.client2ID)
		mk := func(id string) map[string]any {
			return map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": slots[1].StartsAt, "service_request_id": id}
		}
		foreign := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, body: mk(theirs)})
		absent := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, body: mk(missingID)})
		expectStatus(t, foreign, 404)
		expectStatus(t, absent, 404)
		if !reflect.DeepEqual(foreign.problemBody(t), absent.problemBody(t)) {
			t.Fatalf("bodies differ:\n%s\n%s", foreign.Body, absent.Body)
		}
		// Staff booking for the client with the other client's request: the
		// same.
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
			"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "client_member_id": s.clientID, "starts_at": slots[1].StartsAt, "service_request_id": theirs}}), 404)
		if st, n := statusOf(theirs); st != "approved" || n != 0 {
			t.Fatalf("the other client's request changed: %s %d", st, n)
		}
	})
}

// Many simultaneous bookings of one slot: exactly one succeeds.
func TestBookingConcurrency(t *testing.T) {
	s := newSched(t)
	slots := apart(t, s.firstSlots(t, "tax-review", s.staffID))
	countAt := func(start string) int {
		var p bookingList
		s.do(req{method: "GET", host: "acme", path: "/api/bookings?status=confirmed&staff_member_id=" + s.staffID + "&from=" + s.weekAhead(), sess: s.staff}).json(t, &p)
		n := 0
		for _, b := range p.Items {
			if b.StartsAt == start {
				n++
			}
		}
		return n
	}
	body := func(start string, staff bool) map[string]any {
		b := map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": start}
		if staff {
			b["client_member_id"] = s.clientID
		}
		return b
	}
	t.Run("ExactlyOneOfMany", func(t *testing.T) {
		const n = 16
		statuses := make([]int, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				r := req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: body(slots[0].StartsAt, true)}
				if i%2 == 1 { // clients and staff race for it together
					r = req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, body: body(slots[0].StartsAt, false)}
				}
				statuses[i] = s.do(r).Status
			})
		}
		wg.Wait()
		won := 0
		for _, st := range statuses {
			switch st {
			case 201:
				won++
			case 409:
			default:
				t.Fatalf("statuses %v", statuses)
			}
		}
		if won != 1 || countAt(slots[0].StartsAt) != 1 {
			t.Fatalf("%d succeeded (statuses %v), %d stored", won, statuses, countAt(slots[0].StartsAt))
		}
	})
	// Every request passes the availability check before any writes: the
	// writes are held back by a lock until all are waiting. The database's
	// exclusion constraint alone decides, and the losers learn the slot was
	// just taken.
	t.Run("TheConstraintDecides", func(t *testing.T) {
		const n = 4 // the pool's size
		admin := pgtest.Connect(t, s.db.AdminURL)
		ctx := context.Background()
		tx, err := admin.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer tx.Rollback(ctx)
		if _, err := tx.Exec(ctx, "LOCK TABLE bookings IN SHARE ROW EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		results := make([]response, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				results[i] = s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: body(slots[1].StartsAt, true)})
			})
		}
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			var waiting int
			if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_locks WHERE relation = 'bookings'::regclass AND NOT granted").Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting == n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d writes waiting", waiting, n)
			}
		}
		if err := tx.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		wg.Wait()
		won := 0
		for _, r := range results {
			switch r.Status {
			case 201:
				won++
			case 409:
				if !strings.Contains(string(r.Body), "just taken") {
					t.Fatalf("a loser was refused by the application, not the constraint: %s", r.Body)
				}
			default:
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
		if won != 1 || countAt(slots[1].StartsAt) != 1 {
			t.Fatalf("%d succeeded, %d stored", won, countAt(slots[1].StartsAt))
		}
	})
	t.Run("Idempotent", func(t *testing.T) {
		key := map[string]string{"Idempotency-Key": "book-once"}
		first := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, header: key, body: body(slots[2].StartsAt, false)})
		expectStatus(t, first, 201)
		again := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, header: key, body: body(slots[2].StartsAt, false)})
		expectStatus(t, again, 201)
		if string(first.Body) != string(again.Body) {
			t.Fatalf("the retry did not replay:\n%s\n%s", first.Body, again.Body)
		}
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, header: key, body: body(slots[3].StartsAt, false)}), 422)
		if countAt(slots[2].StartsAt) != 1 || countAt(slots[3].StartsAt) != 0 {
			t.Fatal("a replay booked again")
		}
		// Another account's key is its own: client2's booking of the same
		// slot is a new attempt, refused as taken.
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client2, header: key, body: body(slots[2].StartsAt, false)}), 409)
		sk := map[string]string{"Idempotency-Key": "rule-once"}
		rb := map[string]any{"weekday": 7, "start_time": "09:00", "end_time": "10:00"}
		r1 := s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff, header: sk, body: rb})
		r2 := s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff, header: sk, body: rb})
		expectStatus(t, r1, 201)
		if string(r1.Body) != string(r2.Body) {
			t.Fatal("rule creation did not replay")
		}
		ek := map[string]string{"Idempotency-Key": "exception-once"}
		eb := map[string]any{"date": "2030-01-02", "kind": "day_off"}
		e1 := s.do(req{method: "POST", host: "acme", path: "/api/availability/exceptions", sess: s.staff, header: ek, body: eb})
		e2 := s.do(req{method: "POST", host: "acme", path: "/api/availability/exceptions", sess: s.staff, header: ek, body: eb})
		expectStatus(t, e1, 201)
		if string(e1.Body) != string(e2.Body) {
			t.Fatal("exception creation did not replay")
		}
	})
}

// nextChanges returns the local dates of the next spring-forward and
// fall-back in loc that are at least a week away.
func nextChanges(t testing.TB, now time.Time, loc *time.Location) (spring, fall time.Time) {
	t.Helper()
	soon := now.AddDate(0, 0, 8)
	at := now.In(loc)
	for range 8 {
		_, end := at.ZoneBounds()
		if end.IsZero() {
			t.Fatalf("%s has no daylight-saving changes", loc)
		}
		_, before := end.Add(-time.Minute).Zone()
		_, after := end.Zone()
		day := end.In(loc)
		if day.After(soon) {
			if after > before && spring.IsZero() {
				spring = day
			}
			if after < before && fall.IsZero() {
				fall = day
			}
		}
		at = end
	}
	if spring.IsZero() || fall.IsZero() {
		t.Fatal("no daylight-saving change found")
	}
	return spring, fall
}

// Slots for acme (America/New_York) around both daylight-saving changes:
// 9:00–17:00 and 18:00–21:00 stay so on the wall clock, the instants move
// with the offset, morning, afternoon and evening starts read right (no
// 12/24-hour slip), and a staff member whose own zone is London sees the
// same instants on London's clock.
func TestSlotsAcrossDaylightSaving(t *testing.T) {
	s := newSched(t)
	s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{LeadTimeMinutes: i32(0), BufferMinutes: i32(15), SlotIntervalMinutes: i32(30), MaxAdvanceDays: i32(730)})
	// Sam works every day, 09:00–17:00 and 18:00–21:00, without exceptions.
	for _, wd := range []int{6, 7} {
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff, body: map[string]any{"weekday": wd, "start_time": "09:00", "end_time": "17:00"}}), 201)
	}
	for wd := 1; wd <= 7; wd++ {
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.staff, body: map[string]any{"weekday": wd, "start_time": "18:00", "end_time": "21:00"}}), 201)
	}
	s.clearExceptions(t, s.staffID)
	admin := pgtest.Connect(t, s.db.AdminURL)
	if _, err := admin.Exec(context.Background(), "UPDATE members SET time_zone = 'Europe/London' WHERE id = $1", s.consultantID); err != nil {
		t.Fatal(err)
	}
	spring, fall := nextChanges(t, s.now(), s.ny)
	wantLocal := []string{"09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "18:00", "18:30", "19:00", "19:30", "20:00"}
	for _, tc := range []struct {
		name   string
		change time.Time
		// UTC offsets of the day before, the day, the day after.
		offsets [3]string
	}{
		{"SpringForward", spring, [3]string{"-05:00", "-04:00", "-04:00"}},
		{"FallBack", fall, [3]string{"-04:00", "-05:00", "-05:00"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := tc.change.AddDate(0, 0, -1).Format(time.DateOnly)
			to := tc.change.AddDate(0, 0, 1).Format(time.DateOnly)
			q := url.Values{"from": {from}, "to": {to}, "staff_member_id": {s.staffID}, "limit": {"100"}}
			path := "/api/services/" + s.svc["tax-review"] + "/slots"
			got := s.slots(t, s.staff, path, q)
			if len(got.Items) != 3*len(wantLocal) {
				t.Fatalf("%d slots over three days, want %d", len(got.Items), 3*len(wantLocal))
			}
			for d := range 3 {
				day := tc.change.AddDate(0, 0, d-1).Format(time.DateOnly)
				for i, want := range wantLocal {
					it := got.Items[d*len(wantLocal)+i]
					wantStart := day + "T" + want + ":00" + tc.offsets[d]
					if it.StartsAt != wantStart || it.LocalDate != day || it.LocalTime != want || it.TimeZone != "America/New_York" {
						t.Fatalf("slot %d of %s: %+v, want %s", i, day, it, wantStart)
					}
					st, err := time.Parse(time.RFC3339, it.StartsAt)
					if err != nil {
						t.Fatal(err)
					}
					// The instant itself: local + the offset's hours.
					h := map[string]int{"-05:00": 5, "-04:00": 4}[tc.offsets[d]]
					wantUTC := fmt.Sprintf("%02d:%s", (atoi(want[:2])+h)%24, want[3:])
					if st.UTC().Format("15:04") != wantUTC {
						t.Fatalf("%s %s local is %s UTC, want %s", day, want, st.UTC().Format("15:04"), wantUTC)
					}
				}
			}
			// Booked across the change, a slot keeps its wall time.
			evening := got.Items[len(wantLocal)+17] // the change day, 19:00
			b := s.book(t, "tax-review", s.staffID, evening.StartsAt)
			if b.StartsAt != tc.change.Format(time.DateOnly)+"T19:00:00"+tc.offsets[1] || b.EndsAt != tc.change.Format(time.DateOnly)+"T20:00:00"+tc.offsets[1] {
				t.Fatalf("booked %s–%s", b.StartsAt, b.EndsAt)
			}
			// The consultant, in London, sees the same instants on London's
			// clock (GMT on these dates: the UK changes on other Sundays).
			london := s.slots(t, s.consultant, path, q)
			now := s.slots(t, s.staff, path, q)
			if len(london.Items) != len(now.Items) || len(now.Items) != len(got.Items)-5 {
				t.Fatalf("the consultant sees %d slots, staff %d (%d before booking an hour and its buffer)", len(london.Items), len(now.Items), len(got.Items))
			}
			for i, it := range london.Items {
				if it.StartsAt != now.Items[i].StartsAt || it.LocalTime != now.Items[i].LocalTime {
					t.Fatalf("the consultant's slot %d is %+v, staff's %+v", i, it, now.Items[i])
				}
				st, _ := time.Parse(time.RFC3339, it.StartsAt)
				if it.ViewerTimeZone != "Europe/London" || it.ViewerLocalTime != st.UTC().Format("15:04") || it.ViewerLocalDate != st.UTC().Format(time.DateOnly) ||
					!strings.HasSuffix(it.ViewerStartsAt, "Z") || it.TimeZone != "America/New_York" || it.LocalTime == it.ViewerLocalTime {
					t.Fatalf("the London view of %s: %+v", it.StartsAt, it)
				}
			}
			// Sam, without a zone of his own, sees New York's clock.
			if it := got.Items[0]; it.ViewerTimeZone != "America/New_York" || it.ViewerLocalTime != it.LocalTime {
				t.Fatalf("the staff view: %+v", it)
			}
		})
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestSlotsInput(t *testing.T) { testSlotsInput(t, newSched(t)) }

func testSlotsInput(t *testing.T, s *sched) {
	path := "/api/services/" + s.svc["tax-review"] + "/slots"
	day := s.weekAhead()
	for _, q := range []string{"", "?from=tomorrow", "?from=" + day + "&to=2020-01-01", "?from=2030-01-01&to=2030-02-01",
		"?from=" + day + "&staff_member_id=nope", "?from=" + day + "&limit=101", "?from=" + day + "&cursor=forged"} {
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: path + q, sess: s.staff}), 422)
	}
	expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/services/not-a-uuid/slots?from=" + day, sess: s.staff}), 422)
	expectStatus(t, s.do(req{method: "GET", host: "acme", path: path + "?from=" + day, sess: s.client}), 403)
	// 30 days is the widest range.
	expectStatus(t, s.do(req{method: "GET", host: "acme", path: path + "?from=2030-01-01&to=2030-01-31", sess: s.staff}), 200)
	t.Run("Pages", func(t *testing.T) {
		s.clearExceptions(t, s.staffID)
		var all []slotItem
		q := url.Values{"from": {day}, "limit": {"7"}}
		for range 100 {
			p := s.slots(t, s.staff, path, q)
			all = append(all, p.Items...)
			if p.NextCursor == "" {
				break
			}
			q.Set("cursor", p.NextCursor)
		}
		// Two staff members with 15 hourly slots on each of five weekdays.
		if len(all) != 2*5*15 {
			t.Fatalf("%d slots over the pages", len(all))
		}
		for i := 1; i < len(all); i++ {
			if all[i-1].StartsAt > all[i].StartsAt || all[i-1] == all[i] {
				t.Fatalf("page order broken at %d: %+v %+v", i, all[i-1], all[i])
			}
		}
	})
	t.Run("LeadTimeAndMaximumAdvance", func(t *testing.T) {
		s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{LeadTimeMinutes: i32(0), SlotIntervalMinutes: i32(60), MaxAdvanceDays: i32(1)})
		if p := s.slots(t, s.staff, path, url.Values{"from": {day}}); len(p.Items) != 0 {
			t.Fatalf("slots beyond the maximum advance: %d", len(p.Items))
		}
		s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{LeadTimeMinutes: i32(60 * 24 * 30), SlotIntervalMinutes: i32(60)})
		if p := s.slots(t, s.staff, path, url.Values{"from": {day}}); len(p.Items) != 0 {
			t.Fatalf("slots inside the lead time: %d", len(p.Items))
		}
		s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{SlotIntervalMinutes: i32(60)})
		if p := s.slots(t, s.staff, path, url.Values{"from": {day}, "to": {day}, "staff_member_id": {s.staffID}}); len(p.Items) != 8 {
			t.Fatalf("hourly slots of a 09:00–17:00 day: %d", len(p.Items))
		}
	})
	t.Run("InactiveService", func(t *testing.T) {
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/services/" + s.svc["strategy-session"] + "/archive", sess: s.staff}), 200)
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/services/" + s.svc["strategy-session"] + "/slots?from=" + day, sess: s.staff}), 409)
		// To a client an inactive service is not there at all.
		foreign := s.do(req{method: "GET", host: "acme", path: "/api/portal/services/" + s.svc["strategy-session"] + "/slots?from=" + day, sess: s.client})
		absent := s.do(req{method: "GET", host: "acme", path: "/api/portal/services/" + missingID + "/slots?from=" + day, sess: s.client})
		expectStatus(t, foreign, 404)
		if !reflect.DeepEqual(foreign.problemBody(t), absent.problemBody(t)) {
			t.Fatal("an inactive service reads differently from a missing one")
		}
	})
}

// Clients may cancel or reschedule only outside the notice copied onto
// their booking; a later change of the settings does not change it.
func TestNoticeWindows(t *testing.T) { testNoticeWindows(t, newSched(t)) }

func testNoticeWindows(t *testing.T, s *sched) {
	cancel := func(sess *session, id string) response {
		return s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + id + "/cancel", sess: sess, body: map[string]any{"reason": "Acme cannot come"}})
	}
	portalBook := func(t *testing.T) bookingBody {
		t.Helper()
		q := url.Values{"from": {s.now().In(s.ny).Format(time.DateOnly)}, "to": {s.now().In(s.ny).AddDate(0, 0, 9).Format(time.DateOnly)}, "staff_member_id": {s.staffID}}
		p := s.slots(t, s.client, "/api/portal/services/"+s.svc["tax-review"]+"/slots", q)
		if len(p.Items) == 0 {
			t.Fatal("no free slot in the next ten days")
		}
		r := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, body: map[string]any{
			"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": p.Items[0].StartsAt}})
		expectStatus(t, r, 201)
		var b bookingBody
		r.json(t, &b)
		return b
	}
	t.Run("TermsAreCopiedAtBooking", func(t *testing.T) {
		// Booked under no notice; the notice then grows to 30 days: the
		// client may still cancel.
		s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{LeadTimeMinutes: i32(0), CancellationNoticeMinutes: i32(0), RescheduleNoticeMinutes: i32(0)})
		lenient := portalBook(t)
		if lenient.CancellationNoticeMinutes != 0 {
			t.Fatalf("booked: %+v", lenient)
		}
		s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{LeadTimeMinutes: i32(0), CancellationNoticeMinutes: i32(43200), RescheduleNoticeMinutes: i32(43200)})
		strict := portalBook(t)
		if strict.CancellationNoticeMinutes != 43200 || strict.RescheduleNoticeMinutes != 43200 {
			t.Fatalf("booked: %+v", strict)
		}
		expectStatus(t, cancel(s.client, lenient.ID), 200)
		// Booked under 30 days' notice; the notice then drops to nothing:
		// the client still may not.
		s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{LeadTimeMinutes: i32(0), CancellationNoticeMinutes: i32(0), RescheduleNoticeMinutes: i32(0)})
		r := cancel(s.client, strict.ID)
		expectStatus(t, r, 409)
		if !strings.Contains(string(r.Body), "43200 minutes") {
			t.Fatalf("refusal: %s", r.Body)
		}
		other := s.firstSlots(t, "tax-review", s.staffID)[5].StartsAt
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + strict.ID + "/reschedule", sess: s.client, body: map[string]any{"starts_at": other}}), 409)
		var got bookingBody
		s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings/" + strict.ID, sess: s.client}).json(t, &got)
		if got.Status != "confirmed" || got.StartsAt != strict.StartsAt {
			t.Fatalf("a refused change changed the booking: %+v", got)
		}
		// Staff are not bound by the notice.
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + strict.ID + "/cancel", sess: s.staff}), 200)
	})
	t.Run("TheWindowsEdges", func(t *testing.T) {
		svc := s.svc["tax-review"]
		// A staff member with no appointments yet: the bookings around now
		// below meet none of the demo's, whatever the hour.
		edge := s.freshStaff(t, "edge@acme.test", "Acme Staff Edie")
		// Notice of two hours: three hours ahead is fine, ninety minutes is
		// too late; each kind of notice counts on its own.
		early := s.insertBooking(t, "acme", svc, edge, s.clientID, s.now().Add(3*time.Hour), "confirmed", 120, 120)
		late := s.insertBooking(t, "acme", svc, edge, s.clientID, s.now().Add(90*time.Minute), "confirmed", 120, 60)
		expectStatus(t, cancel(s.client, late), 409)
		expectStatus(t, cancel(s.client, early), 200)
		// late may still be rescheduled (60 minutes' notice), to a free slot.
		s.setBookingSettings(t, "acme", store.UpsertBookingSettingsParams{LeadTimeMinutes: i32(0)})
		to := s.firstSlots(t, "tax-review", edge)[0].StartsAt
		r := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + late + "/reschedule", sess: s.client, body: map[string]any{"starts_at": to}})
		expectStatus(t, r, 200)
		var b bookingBody
		r.json(t, &b)
		if b.StartsAt != to || b.CancellationNoticeMinutes != 120 || b.RescheduleNoticeMinutes != 60 {
			t.Fatalf("rescheduled: %+v", b)
		}
		tooLate := s.insertBooking(t, "acme", svc, edge, s.clientID, s.now().Add(30*time.Minute), "pending", 0, 60)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + tooLate + "/reschedule", sess: s.client, body: map[string]any{"starts_at": to}}), 409)
		// A booking in the past cannot be cancelled by its client.
		past := s.insertBooking(t, "acme", svc, edge, s.clientID, s.now().Add(-time.Hour), "confirmed", 0, 0)
		expectStatus(t, cancel(s.client, past), 409)
	})
}

func TestPortal(t *testing.T) {
	s := newSched(t)
	t.Run("Services", func(t *testing.T) {
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/services/bulk/deactivate", sess: s.staff, body: map[string]any{"ids": []string{s.svc["strategy-session"]}}}), 200)
		r := s.do(req{method: "GET", host: "acme", path: "/api/portal/services", sess: s.client})
		expectStatus(t, r, 200)
		var p struct {
			Items []struct{ ID, Slug, Name string }
		}
		r.json(t, &p)
		if len(p.Items) != 2 || strings.Contains(string(r.Body), "strategy-session") || strings.Contains(string(r.Body), "Globex") || p.Items[0].ID == "" {
			t.Fatalf("portal services: %s", r.Body)
		}
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/services/bulk/activate", sess: s.staff, body: map[string]any{"ids": []string{s.svc["strategy-session"]}}}), 200)
	})
	slotsPath := "/api/portal/services/" + s.svc["bookkeeping-setup"] + "/slots"
	q := url.Values{"from": {s.weekAhead()}, "staff_member_id": {s.staffID}}
	all := s.slots(t, s.client, slotsPath, q).Items
	staffView := s.slots(t, s.staff, "/api/services/"+s.svc["bookkeeping-setup"]+"/slots", q).Items
	if !reflect.DeepEqual(all, staffView) {
		t.Fatal("a client sees other slots than staff")
	}
	slots := apart(t, all)
	book := func(sess *session, start string) response {
		return s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: sess, body: map[string]any{
			"service_id": s.svc["bookkeeping-setup"], "staff_member_id": s.staffID, "starts_at": start, "notes": "Acme portal notes"}})
	}
	r := book(s.client, slots[0].StartsAt)
	expectStatus(t, r, 201)
	var mine bookingBody
	r.json(t, &mine)
	if mine.Status != "pending" || strings.Contains(string(r.Body), "client_member_id") || strings.Contains(string(r.Body), "buffer") {
		t.Fatalf("portal booking: %s", r.Body)
	}
	r = book(s.client2, slots[2].StartsAt)
	expectStatus(t, r, 201)
	var theirs bookingBody
	r.json(t, &theirs)

	t.Run("MyBookings", func(t *testing.T) {
		var p bookingList
		r := s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings", sess: s.client})
		expectStatus(t, r, 200)
		r.json(t, &p)
		if len(p.Items) != 3+demo.PastBookings { // two seeded ahead, the past ones, one new
			t.Fatalf("my bookings: %s", r.Body)
		}
		for _, b := range p.Items {
			if b.ID == theirs.ID {
				t.Fatal("another client's booking is listed")
			}
		}
		s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings", sess: s.client2}).json(t, &p)
		if len(p.Items) != 1 || p.Items[0].ID != theirs.ID {
			t.Fatalf("client2's bookings: %+v", p.Items)
		}
		s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings?status=pending&from=" + s.weekAhead(), sess: s.client}).json(t, &p)
		if len(p.Items) != 1 || p.Items[0].ID != mine.ID {
			t.Fatalf("filtered: %+v", p.Items)
		}
		r = s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings/" + mine.ID, sess: s.client})
		expectStatus(t, r, 200)
		var got bookingBody
		r.json(t, &got)
		if len(got.Events) != 1 || got.Events[0].Kind != "created" || strings.Contains(string(r.Body), "actor") {
			t.Fatalf("my booking: %s", r.Body)
		}
	})
	t.Run("AnotherClientsBookingIsNotFound", func(t *testing.T) {
		before := s.getBooking(t, s.staff, theirs.ID)
		other := slots[4].StartsAt
		for _, op := range []struct {
			method, suffix string
			body           any
		}{
			{"GET", "", nil},
			{"POST", "/cancel", nil},
			{"POST", "/reschedule", map[string]any{"starts_at": other}},
		} {
			foreign := s.do(req{method: op.method, host: "acme", path: "/api/portal/bookings/" + theirs.ID + op.suffix, sess: s.client, body: op.body})
			absent := s.do(req{method: op.method, host: "acme", path: "/api/portal/bookings/" + missingID + op.suffix, sess: s.client, body: op.body})
			expectStatus(t, foreign, 404)
			if !reflect.DeepEqual(foreign.problemBody(t), absent.problemBody(t)) {
				t.Fatalf("%s%s: bodies differ:\n%s\n%s", op.method, op.suffix, foreign.Body, absent.Body)
			}
		}
		if after := s.getBooking(t, s.staff, theirs.ID); !reflect.DeepEqual(before, after) {
			t.Fatalf("client2's booking changed:\n%+v\n%+v", before, after)
		}
	})
	t.Run("RescheduleAndCancel", func(t *testing.T) {
		r := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + mine.ID + "/reschedule", sess: s.client, body: map[string]any{"starts_at": slots[2].StartsAt}})
		expectStatus(t, r, 409) // client2 holds it
		r = s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + mine.ID + "/reschedule", sess: s.client, body: map[string]any{"starts_at": slots[6].StartsAt, "note": "Acme later"}})
		expectStatus(t, r, 200)
		var got bookingBody
		r.json(t, &got)
		if got.StartsAt != slots[6].StartsAt || got.Status != "pending" {
			t.Fatalf("rescheduled: %+v", got)
		}
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + mine.ID + "/cancel", sess: s.client}), 200)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + mine.ID + "/cancel", sess: s.client}), 409)
	})
	t.Run("Malformed", func(t *testing.T) {
		var before bookingList
		s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings", sess: s.client}).json(t, &before)
		for _, tc := range []struct {
			name string
			body any
		}{
			{"NoStart", map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID}},
			{"NotATime", map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": "next tuesday"}},
			{"NoZone", map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": "2030-01-07T09:00:00"}},
			{"ClientIDRefused", map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": slots[8].StartsAt, "client_member_id": s.client2ID}},
			{"BadServiceID", map[string]any{"service_id": "x", "staff_member_id": s.staffID, "starts_at": slots[8].StartsAt}},
			{"LongNotes", map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": slots[8].StartsAt, "notes": strings.Repeat("x", 2001)}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: s.client, body: tc.body})
				expectStatus(t, r, 422)
			})
		}
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + theirs.ID + "/reschedule", sess: s.client, body: map[string]any{}}), 422)
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings/not-a-uuid", sess: s.client}), 422)
		var after bookingList
		s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings", sess: s.client}).json(t, &after)
		if len(after.Items) != len(before.Items) {
			t.Fatal("malformed input stored a booking")
		}
	})
	t.Run("RolesAndThePortal", func(t *testing.T) {
		// The portal's own records are clients'; staff have none.
		for _, p := range []string{"/api/portal/bookings", "/api/portal/bookings/" + mine.ID, "/api/portal/booking-preferences"} {
			expectStatus(t, s.do(req{method: "GET", host: "acme", path: p, sess: s.staff}), 403)
		}
		expectStatus(t, book(s.staff, slots[8].StartsAt), 403)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + mine.ID + "/cancel", sess: s.staff}), 403)
		expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/portal/bookings/" + mine.ID + "/reschedule", sess: s.staff, body: map[string]any{"starts_at": slots[8].StartsAt}}), 403)
		expectStatus(t, s.do(req{method: "PUT", host: "acme", path: "/api/portal/booking-preferences", sess: s.staff, body: map[string]any{"contact_channel": "email"}}), 403)
		// Clients reach none of the staff operations.
		for _, op := range []struct{ method, path string }{
			{"GET", "/api/bookings"}, {"POST", "/api/bookings"}, {"GET", "/api/bookings/" + mine.ID},
			{"POST", "/api/bookings/" + mine.ID + "/confirm"}, {"POST", "/api/bookings/" + mine.ID + "/reschedule"},
			{"POST", "/api/bookings/" + mine.ID + "/cancel"}, {"POST", "/api/bookings/" + mine.ID + "/complete"},
			{"POST", "/api/bookings/" + mine.ID + "/no-show"}, {"GET", "/api/services/" + s.svc["tax-review"] + "/slots?from=" + s.weekAhead()},
			{"GET", "/api/availability/rules"}, {"POST", "/api/availability/rules"}, {"GET", "/api/availability/exceptions"}, {"POST", "/api/availability/exceptions"},
			{"PATCH", "/api/availability/rules/" + missingID}, {"DELETE", "/api/availability/rules/" + missingID},
			{"PATCH", "/api/availability/exceptions/" + missingID}, {"DELETE", "/api/availability/exceptions/" + missingID},
		} {
			expectStatus(t, s.do(req{method: op.method, host: "acme", path: op.path, sess: s.client, body: map[string]any{}}), 403)
		}
		// Anonymous: 401.
		expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/portal/bookings"}), 401)
	})
}

type prefsBody struct {
	PreferredStaffMemberID *string `json:"preferred_staff_member_id"`
	PreferredStaffName     string  `json:"preferred_staff_name"`
	ReminderMinutesBefore  *int    `json:"reminder_minutes_before"`
	ContactChannel         string  `json:"contact_channel"`
	Phone                  string  `json:"phone"`
	Notes                  string  `json:"notes"`
}

func TestBookingPreferences(t *testing.T) {
	s := newSched(t)
	get := func(sess *session) prefsBody {
		r := s.do(req{method: "GET", host: "acme", path: "/api/portal/booking-preferences", sess: sess})
		expectStatus(t, r, 200)
		var p prefsBody
		r.json(t, &p)
		return p
	}
	put := func(sess *session, body any) response {
		return s.do(req{method: "PUT", host: "acme", path: "/api/portal/booking-preferences", sess: sess, body: body})
	}
	seeded := get(s.client)
	if seeded.PreferredStaffMemberID == nil || *seeded.PreferredStaffMemberID != s.staffID || seeded.PreferredStaffName != "Acme Staff Sam" {
		t.Fatalf("seeded preferences: %+v", seeded)
	}
	if fresh := get(s.client2); fresh.ContactChannel != "email" || fresh.PreferredStaffMemberID != nil {
		t.Fatalf("defaults: %+v", fresh)
	}
	r := put(s.client2, map[string]any{"preferred_staff_member_id": s.consultantID, "reminder_minutes_before": 60, "contact_channel": "phone", "phone": "+1 555 0100", "notes": "Acme mornings"})
	expectStatus(t, r, 200)
	p := get(s.client2)
	if *p.PreferredStaffMemberID != s.consultantID || *p.ReminderMinutesBefore != 60 || p.ContactChannel != "phone" || p.PreferredStaffName != "Acme Consultant Chris" {
		t.Fatalf("saved: %+v", p)
	}
	// PUT replaces: absent fields are cleared.
	expectStatus(t, put(s.client2, map[string]any{"contact_channel": "none"}), 200)
	if p := get(s.client2); p.PreferredStaffMemberID != nil || p.ReminderMinutesBefore != nil || p.Phone != "" {
		t.Fatalf("replaced: %+v", p)
	}
	before := get(s.client2)
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"AClientIsNotStaff", map[string]any{"preferred_staff_member_id": s.clientID, "contact_channel": "email"}, 404},
		{"Missing", map[string]any{"preferred_staff_member_id": missingID, "contact_channel": "email"}, 404},
		{"BadChannel", map[string]any{"contact_channel": "pigeon"}, 422},
		{"PhoneWithoutNumber", map[string]any{"contact_channel": "phone"}, 422},
		{"ReminderTooLong", map[string]any{"contact_channel": "email", "reminder_minutes_before": 10081}, 422},
		{"BadID", map[string]any{"preferred_staff_member_id": "sam", "contact_channel": "email"}, 422},
		{"UnknownField", map[string]any{"contact_channel": "email", "member_id": s.clientID}, 422},
		{"NoBody", nil, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectStatus(t, put(s.client2, tc.body), tc.want)
		})
	}
	if after := get(s.client2); !reflect.DeepEqual(before, after) {
		t.Fatalf("refused input changed the preferences: %+v", after)
	}
	// One client's preferences are not another's.
	if again := get(s.client); !reflect.DeepEqual(again, seeded) {
		t.Fatalf("client's preferences changed: %+v", again)
	}
	// A removed staff member cannot be preferred.
	admin := pgtest.Connect(t, s.db.AdminURL)
	if _, err := admin.Exec(context.Background(), "UPDATE members SET removed_at = now() WHERE id = $1", s.consultantID); err != nil {
		t.Fatal(err)
	}
	expectStatus(t, put(s.client2, map[string]any{"preferred_staff_member_id": s.consultantID, "contact_channel": "email"}), 404)
}

// Malformed input on every scheduling operation is a 4xx problem, and
// nothing is stored or changed.
func TestSchedulingMalformedInput(t *testing.T) {
	s := newSched(t)
	var rp rulePage
	s.do(req{method: "GET", host: "acme", path: "/api/availability/rules?limit=1", sess: s.staff}).json(t, &rp)
	rule := rp.Items[0].ID
	var bl bookingList
	s.do(req{method: "GET", host: "acme", path: "/api/bookings?limit=1", sess: s.staff}).json(t, &bl)
	booking := bl.Items[0].ID
	slot := s.firstSlots(t, "tax-review", s.staffID)[0].StartsAt
	snapshot := func() []string { return s.snapshot(t, "acme", s.staff, s.client, booking) }
	before := snapshot()
	bad := "/not-a-uuid"
	for _, op := range []struct {
		method, path string
		sess         *session
		body         any
	}{
		{"GET", "/api/availability/rules?limit=-1", s.staff, nil},
		{"POST", "/api/availability/rules", s.staff, map[string]any{"weekday": "monday", "start_time": "09:00", "end_time": "10:00"}},
		{"GET", "/api/availability/rules" + bad, s.staff, nil},
		{"PATCH", "/api/availability/rules" + bad, s.staff, map[string]any{"weekday": 2}},
		{"PATCH", "/api/availability/rules/" + rule, s.staff, map[string]any{"start_time": "25:00"}},
		{"PATCH", "/api/availability/rules/" + rule, s.staff, map[string]any{"weekday": 2, "owner": "me"}},
		{"DELETE", "/api/availability/rules" + bad, s.staff, nil},
		{"GET", "/api/availability/exceptions?to=soon", s.staff, nil},
		{"POST", "/api/availability/exceptions", s.staff, map[string]any{"date": "07/01/2030", "kind": "day_off"}},
		{"GET", "/api/availability/exceptions" + bad, s.staff, nil},
		{"PATCH", "/api/availability/exceptions" + bad, s.staff, map[string]any{"note": "x"}},
		{"DELETE", "/api/availability/exceptions" + bad, s.staff, nil},
		{"GET", "/api/services/" + s.svc["tax-review"] + "/slots?from=2030-01-01&to=2029-12-31", s.staff, nil},
		{"GET", "/api/bookings?to=2030-02-30", s.staff, nil},
		{"POST", "/api/bookings", s.staff, map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "client_member_id": s.clientID, "starts_at": 1700000000}},
		{"POST", "/api/bookings", s.staff, map[string]any{"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "starts_at": slot}},
		{"GET", "/api/bookings" + bad, s.staff, nil},
		{"POST", "/api/bookings" + bad + "/confirm", s.staff, nil},
		{"POST", "/api/bookings/" + booking + "/reschedule", s.staff, map[string]any{"starts_at": "tomorrow"}},
		{"POST", "/api/bookings/" + booking + "/cancel", s.staff, map[string]any{"reason": 42}},
		{"POST", "/api/bookings" + bad + "/complete", s.staff, nil},
		{"POST", "/api/bookings" + bad + "/no-show", s.staff, nil},
		{"GET", "/api/portal/services?limit=1000", s.client, nil},
		{"GET", "/api/portal/services" + bad + "/slots?from=2030-01-01", s.client, nil},
		{"GET", "/api/portal/bookings?status=done", s.client, nil},
		{"POST", "/api/portal/bookings", s.client, `{"service_id": "` + s.svc["tax-review"] + `",`},
		{"GET", "/api/portal/bookings" + bad, s.client, nil},
		{"POST", "/api/portal/bookings/" + booking + "/reschedule", s.client, map[string]any{"starts_at": slot, "client_member_id": s.client2ID}},
		{"POST", "/api/portal/bookings/" + booking + "/cancel", s.client, map[string]any{"reason": strings.Repeat("x", 2001)}},
		{"PUT", "/api/portal/booking-preferences", s.client, map[string]any{"contact_channel": "email", "reminder_minutes_before": -1}},
	} {
		t.Run(op.method+" "+op.path, func(t *testing.T) {
			r := s.do(req{method: op.method, host: "acme", path: op.path, sess: op.sess, body: op.body})
			if r.Status < 400 || r.Status >= 500 || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Fatalf("status %d (%s): %s", r.Status, r.Header.Get("Content-Type"), r.Body)
			}
		})
	}
	if after := snapshot(); !reflect.DeepEqual(before, after) {
		t.Fatalf("malformed input changed something:\n%v\n%v", before, after)
	}
}
