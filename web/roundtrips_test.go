package web_test

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/demo"
)

// roundTrips counts what the app pool sends the database, one per round
// trip: a batch (with everything queued in it), a statement sent on its
// own (COMMIT among them), a prepare.
type roundTrips struct{ n atomic.Int64 }

func (c *roundTrips) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}
func (c *roundTrips) TraceBatchStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceBatchStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TraceBatchQuery(context.Context, *pgx.Conn, pgx.TraceBatchQueryData) {}
func (c *roundTrips) TraceBatchEnd(context.Context, *pgx.Conn, pgx.TraceBatchEndData)     {}
func (c *roundTrips) TracePrepareStart(ctx context.Context, _ *pgx.Conn, _ pgx.TracePrepareStartData) context.Context {
	c.n.Add(1)
	return ctx
}
func (c *roundTrips) TracePrepareEnd(context.Context, *pgx.Conn, pgx.TracePrepareEndData) {}

// A read request over HTTP costs one database round trip, the session
// check included; a write two (the batch, then COMMIT with the
// statements held back for it). A session ended
// meanwhile is refused in that same one round trip, before any tenant
// row is read. A sign-in is two: the account's login row, then the
// session with COMMIT (the password is checked between); signing out one;
// a switch four (the session check with the target's lookup, the handoff
// and COMMIT, signing out) and finishing it on the target three (the
// handoff, the membership, the session with COMMIT). The pool's connection check (on in the other tests) is off: it
// is a round trip of its own on every acquire, a development setting.
func TestRoundTripsPerRequest(t *testing.T) {
	rt := &roundTrips{}
	e := newEnv(t, tracingQueries(rt), withApp(func(c *app.Config) { c.DBCheckConnections = false }))
	staff := e.login("acme", "staff@acme.test")
	var consultant *session
	var handoff string
	var created svc
	r := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: staff, body: newService("round-trips")})
	expectStatus(t, r, 201)
	r.json(t, &created)
	version, made := 1, 0
	kinds := []struct {
		name   string
		max    int64
		do     func() response
		want   int
		before func()
	}{
		{"read one", 1, func() response {
			return e.do(req{method: "GET", host: "acme", path: "/api/services/" + created.ID, sess: staff})
		}, 200, nil},
		{"read a page", 1, func() response {
			return e.do(req{method: "GET", host: "acme", path: "/api/services?limit=20", sess: staff})
		}, 200, nil},
		{"read the session", 1, func() response { return e.sessionOf("acme", staff) }, 200, nil},
		// A write's statements whose results it does not read (the
		// version record, the audit entry) go with COMMIT.
		{"create", 2, func() response {
			made++
			return e.do(req{method: "POST", host: "acme", path: "/api/services", sess: staff, body: newService("round-trips-" + strconv.Itoa(made))})
		}, 201, nil},
		// An update is one statement that also compares the version.
		{"update", 2, func() response {
			r := e.do(req{method: "PATCH", host: "acme", path: "/api/services/" + created.ID, sess: staff,
				header: map[string]string{"If-Match": `"v` + strconv.Itoa(version) + `"`}, body: map[string]any{"price_minor": 5000 + version}})
			if r.Status == 200 {
				version++
			}
			return r
		}, 200, nil},
		{"sign-in", 2, func() response {
			return e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "staff@acme.test", "password": demo.Password}})
		}, 200, nil},
		{"sign out", 1, func() response {
			return e.do(req{method: "POST", host: "acme", path: "/api/auth/logout", sess: consultant})
		}, 200, func() {
			consultant = e.login("acme", demo.ConsultantEmail)
			expectStatus(t, e.sessionOf("acme", consultant), 200)
		}},
		{"switch", 4, func() response {
			return e.do(req{method: "POST", host: "acme", path: "/api/auth/switch", sess: consultant, body: map[string]string{"tenant": "globex"}})
		}, 200, func() {
			// A switch ends the session it leaves: each takes a new
			// one, used once before (its full check).
			consultant = e.login("acme", demo.ConsultantEmail)
			expectStatus(t, e.sessionOf("acme", consultant), 200)
		}},
		{"finish a switch", 3, func() response {
			return e.do(req{method: "POST", host: "globex", path: "/api/auth/handoff", body: map[string]string{"token": handoff}})
		}, 200, func() {
			consultant = e.login("acme", demo.ConsultantEmail)
			r := e.do(req{method: "POST", host: "acme", path: "/api/auth/switch", sess: consultant, body: map[string]string{"tenant": "globex"}})
			expectStatus(t, r, 200)
			var out handoffAnswer
			r.json(t, &out)
			handoff = out.Token
		}},
	}
	for _, k := range kinds {
		// Warm the statement caches and the session's full check.
		for range 2 {
			if k.before != nil {
				k.before()
			}
			expectStatus(t, k.do(), k.want)
		}
		if k.before != nil {
			k.before()
		}
		before := rt.n.Load()
		expectStatus(t, k.do(), k.want)
		got := rt.n.Load() - before
		t.Logf("%-16s %d round trips", k.name, got)
		if got > k.max {
			t.Errorf("%s: %d round trips, want at most %d", k.name, got, k.max)
		}
	}

	// Signed out elsewhere: the next read is refused in one round trip.
	other := e.login("acme", "staff@acme.test")
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services?limit=20", sess: other}), 200)
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services?limit=20", sess: other}), 200)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/logout", sess: other}), 200)
	before := rt.n.Load()
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services?limit=20", sess: other}), 401)
	if got := rt.n.Load() - before; got != 1 {
		t.Errorf("read with an ended session: %d round trips, want 1", got)
	}

	// A page holds its answer back until the session is confirmed.
	page := e.login("acme", "staff@acme.test")
	for range 2 {
		r := e.do(req{method: "GET", host: "acme", path: "/app/services", sess: page})
		expectStatus(t, r, 200)
		if !strings.Contains(string(r.Body), created.Name) {
			t.Fatalf("the services page does not list %q", created.Name)
		}
	}
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/logout", sess: page}), 200)
	r = e.do(req{method: "GET", host: "acme", path: "/app/services", sess: page})
	if r.Status == 200 || strings.Contains(string(r.Body), created.Name) {
		t.Fatalf("the services page answered an ended session: %d", r.Status)
	}
}
