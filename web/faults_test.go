package web_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/internal/pgtest"
)

// driverWords are words of the driver's and the server's own messages: a
// problem that holds one leaks the database's text to the client.
var driverWords = []string{"SQLSTATE", "pgx", "pgconn", "dial ", "connect:", "transaction", "relation", "statement timeout", "canceling"}

// expectUnavailable fails unless r is a 503 problem with a Retry-After of
// whole seconds and a message that says what holds (want), without any of
// the driver's words.
func expectUnavailable(t testing.TB, r response, want string) {
	t.Helper()
	expectStatus(t, r, 503)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("503 as %q: %s", ct, r.Body)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("503 with Retry-After %q", r.Header.Get("Retry-After"))
	}
	var p struct{ Detail string }
	r.json(t, &p)
	if !strings.Contains(p.Detail, want) {
		t.Fatalf("503 detail %q, want it to say %q", p.Detail, want)
	}
	for _, w := range driverWords {
		if strings.Contains(string(r.Body), w) {
			t.Fatalf("the problem holds the driver's word %q: %s", w, r.Body)
		}
	}
}

// A request whose statement waits on a lock held elsewhere (a migration,
// an operator's LOCK TABLE) gets a 503 problem with Retry-After at the
// configured lock timeout, and its connection serves the next request
// (F-07).
func TestLockWaitAnswers503AtTheLockTimeout(t *testing.T) {
	const limit = 400 * time.Millisecond
	// One connection: the statement is prepared on it by the first list,
	// as every statement is after its first use.
	e := newEnv(t, withApp(func(c *app.Config) { c.LockTimeout, c.DBMaxConns = limit, 1 }))
	owner := e.login("acme", "owner@acme.test")
	e.services("acme", owner, "")
	ctx := context.Background()
	lock := pgtest.LockTable(t, e.admin(), "services")
	t0 := time.Now()
	r := e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner})
	took := time.Since(t0)
	expectUnavailable(t, r, "locked")
	if took < limit || took > limit+2*time.Second {
		t.Fatalf("answered after %v; the lock timeout is %v", took, limit)
	}
	t.Logf("503 after %v under a lock timeout of %v", took.Round(time.Millisecond), limit)
	// The connection is free: a request that needs no lock on services is
	// served while the lock is still held.
	expectStatus(t, e.sessionOf("acme", owner), 200)
	if err := lock.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	e.services("acme", owner, "")
}

// A database that accepts no writes (set read-only by an operator whose
// disk is filling, or a standby) refuses every change with a 503 problem
// that says so, while signed-in members keep reading their tenant's data;
// nothing is half-written, and writes work again once the database does.
func TestReadOnlyDatabaseKeepsReading(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	admin := e.admin()
	ctx := context.Background()
	before := count(t, admin, "SELECT count(*) FROM services") + count(t, admin, "SELECT count(*) FROM sessions") +
		count(t, admin, "SELECT count(*) FROM idempotency_keys") + count(t, admin, "SELECT count(*) FROM public_submissions")
	setReadOnly := func(on bool) {
		t.Helper()
		stmt := "ALTER DATABASE " + e.db.Name + " SET default_transaction_read_only = on"
		if !on {
			stmt = "ALTER DATABASE " + e.db.Name + " RESET default_transaction_read_only"
		}
		if _, err := admin.Exec(ctx, stmt); err != nil {
			t.Fatal(err)
		}
		// The setting applies to new sessions: end the app's.
		if _, err := admin.Exec(ctx, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND usename <> current_user"); err != nil {
			t.Fatal(err)
		}
		// The pool notices its dead connections at their next use: a
		// request may fail once per connection, as unavailable.
		for i, ok := 0, 0; ok < 8; i++ {
			if i == 24 {
				t.Fatal("the pool did not reconnect")
			}
			path := []string{"/api/services", "/api/service-requests"}[i%2]
			r := e.do(req{method: "GET", host: "acme", path: path, sess: owner})
			if r.Status == 200 {
				ok++
				continue
			}
			expectStatus(t, r, 503)
			ok = 0
		}
	}
	setReadOnly(true)
	for _, path := range []string{"/api/services", "/api/service-requests", "/api/bookings", "/api/members", "/api/settings/organization", "/api/public/services"} {
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: path, sess: owner}), 200)
	}
	// The session's page lists the account's memberships through the
	// audited platform path, whose audit row is a write: refused like one
	// (once the platform pool has met its ended connections).
	r := e.sessionOf("acme", owner)
	for i := 0; i < 8 && strings.Contains(string(r.Body), "the database is unavailable"); i++ {
		r = e.sessionOf("acme", owner)
	}
	expectUnavailable(t, r, "accepts no changes")
	for _, w := range []req{
		{method: "POST", host: "acme", path: "/api/services", sess: owner, body: newService("read-only")},
		{method: "POST", host: "acme", path: "/api/services", sess: owner, body: newService("read-only-keyed"), header: map[string]string{"Idempotency-Key": "ro-1"}},
		{method: "POST", host: "acme", path: "/api/public/service-requests", body: publicForm("someone@example.test", "Acme while read-only")},
		{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "staff@acme.test", "password": "tenantkit-demo"}},
	} {
		expectUnavailable(t, e.do(w), "accepts no changes")
	}
	after := count(t, admin, "SELECT count(*) FROM services") + count(t, admin, "SELECT count(*) FROM sessions") +
		count(t, admin, "SELECT count(*) FROM idempotency_keys") + count(t, admin, "SELECT count(*) FROM public_submissions")
	if after != before {
		t.Fatalf("rows while read-only: %d before, %d after", before, after)
	}
	setReadOnly(false)
	r = e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, body: newService("read-only-keyed"), header: map[string]string{"Idempotency-Key": "ro-1"}})
	expectStatus(t, r, 201)
}
