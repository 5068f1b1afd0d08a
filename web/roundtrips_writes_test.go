package web_test

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/app"
)

// statements is a roundTrips that also keeps the first line of every
// statement sent, a batch's under its marker, to show what a request
// sent when it sent too much.
type statements struct {
	roundTrips
	mu    sync.Mutex
	lines []string
	// notifies counts River's insert notifications: a NOTIFY that wakes
	// the workers after a job is inserted, at most once per queue per
	// 100 ms (River's fetch cooldown) whatever the load.
	notifies atomic.Int64
}

func (c *statements) add(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	c.lines = append(c.lines, s)
}

func (c *statements) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lines = nil
}

func (c *statements) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.Join(c.lines, "\n")
}

func (c *statements) TraceQueryStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceQueryStartData) context.Context {
	c.add("alone: " + d.SQL)
	if strings.Contains(d.SQL, "name: PGNotifyMany") {
		c.notifies.Add(1)
	}
	return c.roundTrips.TraceQueryStart(ctx, conn, d)
}

func (c *statements) TraceBatchStart(ctx context.Context, conn *pgx.Conn, d pgx.TraceBatchStartData) context.Context {
	c.add("batch:")
	return c.roundTrips.TraceBatchStart(ctx, conn, d)
}

func (c *statements) TraceBatchQuery(_ context.Context, _ *pgx.Conn, d pgx.TraceBatchQueryData) {
	c.add("    " + d.SQL)
}

// The writes of service requests take two round trips — what decides
// the write and the write itself in the transaction's first (a failed
// check rolls the write back), then what waits for COMMIT and the answer
// read back with it — and so do weekly hours and days off, and a client's
// cancellation from the portal. A request filed from the portal takes
// three (the insert, the job that mails staff, COMMIT); a booking four
// (the calendar and everything else it is decided on in one batch, the
// insert, River's jobs, COMMIT); a cancellation of a booking three. None
// counts River's NOTIFY that wakes its workers after a job is inserted (at
// most once per queue per 100 ms). A search for free slots is one round
// trip for one staff member, two for all (the staff, then their
// calendars).
func TestRoundTripsOfRequestsAndBookings(t *testing.T) {
	rt := &statements{}
	s := newSched(t, tracingQueries(rt), withApp(func(c *app.Config) { c.DBCheckConnections = false }))
	slots := apart(t, s.firstSlots(t, "tax-review", s.staffID))
	made, nextSlot, hours := 0, 0, 0
	var requestID, myRequestID, bookingID string
	newRequest := func() response {
		made++
		r := s.do(req{method: "POST", host: "acme", path: "/api/service-requests", sess: s.staff,
			body: map[string]any{"client_member_id": s.clientID, "title": "round trips " + strconv.Itoa(made)}})
		var v struct{ ID string }
		r.json(t, &v)
		requestID = v.ID
		return r
	}
	book := func() response {
		if nextSlot == len(slots) {
			t.Fatalf("only %d slots three hours apart", len(slots))
		}
		r := s.do(req{method: "POST", host: "acme", path: "/api/bookings", sess: s.staff, body: map[string]any{
			"service_id": s.svc["tax-review"], "staff_member_id": s.staffID, "client_member_id": s.clientID, "starts_at": slots[nextSlot].StartsAt,
		}})
		nextSlot++
		var v struct{ ID string }
		r.json(t, &v)
		bookingID = v.ID
		return r
	}
	kinds := []struct {
		name   string
		max    int64
		before func()
		do     func() response
		want   int
	}{
		{"slots of one", 1, nil, func() response {
			q := url.Values{"from": {s.weekAhead()}, "staff_member_id": {s.staffID}}
			return s.do(req{method: "GET", host: "acme", path: "/api/services/" + s.svc["tax-review"] + "/slots?" + q.Encode(), sess: s.staff})
		}, 200},
		{"slots of all", 2, nil, func() response {
			q := url.Values{"from": {s.weekAhead()}}
			return s.do(req{method: "GET", host: "acme", path: "/api/services/" + s.svc["tax-review"] + "/slots?" + q.Encode(), sess: s.staff})
		}, 200},
		{"create a request", 2, nil, newRequest, 201},
		{"change a request", 2, nil, func() response {
			made++
			return s.do(req{method: "PATCH", host: "acme", path: "/api/service-requests/" + requestID, sess: s.staff,
				body: map[string]any{"title": "changed " + strconv.Itoa(made), "priority": "high"}})
		}, 200},
		{"comment", 2, nil, func() response {
			return s.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + requestID + "/comments", sess: s.staff,
				body: map[string]any{"body": "noted", "visibility": "internal"}})
		}, 201},
		{"assign", 2, nil, func() response {
			return s.do(req{method: "PUT", host: "acme", path: "/api/service-requests/" + requestID + "/assignee", sess: s.staff,
				body: map[string]any{"member_id": s.staffID}})
		}, 200},
		{"move a request", 2, func() { expectStatus(t, newRequest(), 201) }, func() response {
			return s.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + requestID + "/transitions", sess: s.staff,
				body: map[string]any{"to": "in_review"}})
		}, 200},
		{"file my request", 3, nil, func() response {
			made++
			r := s.do(req{method: "POST", host: "acme", path: "/api/portal/service-requests", sess: s.client,
				body: map[string]any{"title": "mine " + strconv.Itoa(made)}})
			var v struct{ ID string }
			r.json(t, &v)
			myRequestID = v.ID
			return r
		}, 201},
		{"cancel my request", 2, func() {
			made++
			r := s.do(req{method: "POST", host: "acme", path: "/api/portal/service-requests", sess: s.client,
				body: map[string]any{"title": "mine " + strconv.Itoa(made)}})
			expectStatus(t, r, 201)
			var v struct{ ID string }
			r.json(t, &v)
			myRequestID = v.ID
		}, func() response {
			return s.do(req{method: "POST", host: "acme", path: "/api/portal/service-requests/" + myRequestID + "/cancel", sess: s.client,
				body: map[string]any{}})
		}, 200},
		{"add weekly hours", 2, nil, func() response {
			hours++
			return s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.owner,
				body: map[string]any{"staff_member_id": s.staffID, "weekday": 6, "start_time": fmt.Sprintf("%02d:00", 6+2*hours), "end_time": fmt.Sprintf("%02d:00", 7+2*hours)}})
		}, 201},
		{"add a day off", 2, nil, func() response {
			hours++
			return s.do(req{method: "POST", host: "acme", path: "/api/availability/exceptions", sess: s.owner,
				body: map[string]any{"staff_member_id": s.staffID, "date": s.now().AddDate(0, 2, hours).Format(time.DateOnly), "kind": "day_off"}})
		}, 201},
		{"book", 4, nil, book, 201},
		{"cancel a booking", 3, func() { expectStatus(t, book(), 201) }, func() response {
			return s.do(req{method: "POST", host: "acme", path: "/api/bookings/" + bookingID + "/cancel", sess: s.staff,
				body: map[string]any{"reason": "round trips"}})
		}, 200},
	}
	for _, k := range kinds {
		for i := range 3 { // two to warm the statement caches
			if k.before != nil {
				k.before()
			}
			rt.reset()
			before, notified := rt.n.Load(), rt.notifies.Load()
			r := k.do()
			// River's rate-limited NOTIFY is not counted.
			got := rt.n.Load() - before - (rt.notifies.Load() - notified)
			expectStatus(t, r, k.want)
			if i < 2 {
				continue
			}
			t.Logf("%-16s %d round trips", k.name, got)
			if got > k.max {
				t.Errorf("%s: %d round trips, want at most %d:\n%s", k.name, got, k.max, rt)
			}
		}
	}

	// Signed out elsewhere: the next write is refused in its first round
	// trip (the second is the ROLLBACK that ends the transaction it
	// began), and writes nothing.
	other := s.login("acme", "staff@acme.test")
	expectStatus(t, s.do(req{method: "GET", host: "acme", path: "/api/service-requests/" + requestID, sess: other}), 200)
	expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/auth/logout", sess: other}), 200)
	before := rt.n.Load()
	r := s.do(req{method: "POST", host: "acme", path: "/api/service-requests", sess: other,
		body: map[string]any{"client_member_id": s.clientID, "title": "after sign-out"}})
	expectStatus(t, r, 401)
	if got := rt.n.Load() - before; got != 2 {
		t.Errorf("write with an ended session: %d round trips, want 2", got)
	}
	var list struct{ Items []struct{ Title string } }
	s.get("acme", "/api/service-requests?limit=100", s.staff, &list)
	for _, it := range list.Items {
		if it.Title == "after sign-out" {
			t.Fatal("a write with an ended session was stored")
		}
	}
}

// A write sent in one batch with the checks that guard it is rolled back
// when a check fails: the answer is the check's, as before, and nothing
// is stored — in the acting tenant or the one whose ids it named.
func TestWritesSentWithTheirChecksRollBack(t *testing.T) {
	s := newSched(t)
	type view struct {
		ID, Title, Status string
		Assigned          *string `json:"assigned_member_id"`
	}
	titles := func(host string, sess *session) map[string]bool {
		var page struct{ Items []view }
		s.get(host, "/api/service-requests?limit=100", sess, &page)
		out := map[string]bool{}
		for _, it := range page.Items {
			out[it.Title] = true
		}
		return out
	}
	var own, foreign view
	s.do(req{method: "POST", host: "acme", path: "/api/service-requests", sess: s.staff,
		body: map[string]any{"client_member_id": s.clientID, "title": "guarded"}}).json(t, &own)
	s.do(req{method: "POST", host: "globex", path: "/api/service-requests", sess: s.gStaff,
		body: map[string]any{"client_member_id": s.gClientID, "title": "globex's"}}).json(t, &foreign)
	if own.ID == "" || foreign.ID == "" {
		t.Fatal("setup: requests not created")
	}
	globexBefore := titles("globex", s.gStaff)
	var globexComments struct{ Items []struct{ ID string } }
	s.get("globex", "/api/service-requests/"+foreign.ID+"/comments", s.gStaff, &globexComments)

	for _, c := range []struct {
		name, client string
		want         int
	}{
		{"a staff member as the client", s.staffID, 404},
		{"another tenant's client", s.gClientID, 404},
	} {
		r := s.do(req{method: "POST", host: "acme", path: "/api/service-requests", sess: s.staff,
			body: map[string]any{"client_member_id": c.client, "title": "refused: " + c.name}})
		expectStatus(t, r, c.want)
		if titles("acme", s.staff)["refused: "+c.name] {
			t.Errorf("%s: the request was stored", c.name)
		}
	}
	expectStatus(t, s.do(req{method: "PUT", host: "acme", path: "/api/service-requests/" + own.ID + "/assignee", sess: s.staff,
		body: map[string]any{"member_id": s.clientID}}), 422)
	expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + own.ID + "/transitions", sess: s.staff,
		body: map[string]any{"to": "completed"}}), 409)
	expectStatus(t, s.do(req{method: "PATCH", host: "acme", path: "/api/service-requests/" + own.ID, sess: s.staff,
		body: map[string]any{"title": "changed with a foreign service", "service_id": s.gsvc[firstKey(s.gsvc)]}}), 404)
	var after view
	s.get("acme", "/api/service-requests/"+own.ID, s.staff, &after)
	if after.Title != "guarded" || after.Status != "submitted" || after.Assigned != nil {
		t.Errorf("after refused writes the request reads %+v", after)
	}
	expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + foreign.ID + "/comments", sess: s.staff,
		body: map[string]any{"body": "across", "visibility": "client"}}), 404)
	var comments struct{ Items []struct{ ID string } }
	s.get("globex", "/api/service-requests/"+foreign.ID+"/comments", s.gStaff, &comments)
	if len(comments.Items) != len(globexComments.Items) {
		t.Errorf("globex's request has %d comments, had %d", len(comments.Items), len(globexComments.Items))
	}
	if got := titles("globex", s.gStaff); len(got) != len(globexBefore) {
		t.Errorf("globex has %d requests, had %d", len(got), len(globexBefore))
	}
	expectStatus(t, s.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: s.owner,
		body: map[string]any{"staff_member_id": s.clientID, "weekday": 6, "start_time": "08:00", "end_time": "09:00"}}), 404)
	var rules struct {
		Items []struct {
			StaffMemberID string `json:"staff_member_id"`
		}
	}
	s.get("acme", "/api/availability/rules?limit=100", s.owner, &rules)
	for _, r := range rules.Items {
		if r.StaffMemberID == s.clientID {
			t.Error("a client has weekly hours")
		}
	}
}

func firstKey(m map[string]string) string {
	for k := range m {
		return k
	}
	return ""
}
