package web_test

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/internal/pgtest"
)

// trickle opens n connections that each send a POST to the public form of
// host with Content-Length 1000 and then one byte of the body every
// interval, as a slow client (or an attacker) does. The returned func
// closes them.
func (e *env) trickle(t testing.TB, n int, host, path string, interval time.Duration) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range n {
		conn, err := net.Dial("tcp", e.url[len("http://"):])
		if err != nil {
			t.Fatal(err)
		}
		head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: %s:%s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{", path, e.hostName(host), e.port)
		if _, err := conn.Write([]byte(head)); err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			defer conn.Close()
			tick := time.NewTicker(interval)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
					if _, err := conn.Write([]byte(" ")); err != nil {
						return
					}
				}
			}
		})
	}
	return func() { cancel(); wg.Wait() }
}

// Slow clients hold no capacity: 32 connections trickling a public form's
// body to acme (more than acme's anonymous in-flight cap, as many as its
// members') take no slot until their body has arrived, so acme's signed-in
// staff, and other anonymous visitors, are served as usual (F-21).
func TestSlowClientsHoldNoSlots(t *testing.T) {
	e := newEnv(t, withApp(func(c *app.Config) {
		// The production limits (0: the defaults).
		c.TenantRate, c.TenantBurst, c.TenantInFlight = 0, 0, 0
		c.AnonymousRate, c.AnonymousBurst, c.AnonymousInFlight = 0, 0, 0
	}))
	staff := e.login("acme", "staff@acme.test")
	stop := e.trickle(t, 32, "acme", "/api/public/service-requests", 100*time.Millisecond)
	defer stop()
	// Let every slow request reach its handler.
	time.Sleep(300 * time.Millisecond)
	for i := range 20 {
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services", sess: staff}), 200)
		if i%5 == 0 {
			expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services", sess: staff, body: newService(fmt.Sprintf("while-slow-%d", i))}), 201)
			expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/public/services"}), 200)
		}
	}
}

// Anonymous requests of a tenant host have a budget of their own, for the
// rate and for requests in progress: once a flood (or slow anonymous
// work) has used it up, the tenant's signed-in members are served as
// usual. Credentials that do not verify for the tenant count as anonymous,
// so a forged token buys no share of the members' budget (F-21).
func TestAnonymousTrafficHasItsOwnBudget(t *testing.T) {
	t.Run("Rate", func(t *testing.T) {
		e := newEnv(t, withApp(func(c *app.Config) {
			c.TenantRate, c.TenantBurst = 0, 0
			c.AnonymousRate, c.AnonymousBurst = 1, 5
		}))
		staff := e.login("acme", "staff@acme.test")
		limited := 0
		for range 10 {
			if r := e.do(req{method: "GET", host: "acme", path: "/api/public/services"}); r.Status == 429 {
				limited++
			}
		}
		if limited == 0 {
			t.Fatal("10 anonymous requests at once: none refused")
		}
		forged := &session{Token: "eyJhbGciOiJFZERTQSJ9.e30.c2lnbmF0dXJl", TenantSig: staff.TenantSig}
		r := e.do(req{method: "GET", host: "acme", path: "/api/public/services", sess: forged})
		expectStatus(t, r, 429)
		if r.Header.Get("Retry-After") == "" {
			t.Fatal("429 without Retry-After")
		}
		for range 20 {
			expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services", sess: staff}), 200)
		}
	})
	t.Run("InFlight", func(t *testing.T) {
		e := newEnv(t, withApp(func(c *app.Config) {
			c.AnonymousInFlight, c.LockTimeout = 1, 20*time.Second
		}))
		owner := e.login("acme", "owner@acme.test")
		admin := e.admin()
		ctx := context.Background()
		lock := pgtest.LockTable(t, admin, "services")
		held := make(chan response)
		go func() { held <- e.do(req{method: "GET", host: "acme", path: "/api/public/services"}) }()
		pgtest.WaitForLockWaiters(t, admin, 1, 5*time.Second)
		// Neither request touches the locked table: only the caps decide.
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset", body: map[string]string{"email": "nobody@example.test"}}), 429)
		expectStatus(t, e.sessionOf("acme", owner), 200)
		if err := lock.Rollback(ctx); err != nil {
			t.Fatal(err)
		}
		expectStatus(t, <-held, 200)
	})
}
