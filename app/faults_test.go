package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/idempotency"
	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/password"
)

const base = "tenantkit.test"

// answer is one request's outcome, as its client saw it.
type answer struct {
	path       string
	start, end time.Time
	status     int
	header     http.Header
	body       []byte
	err        error
}

func (a answer) String() string {
	if a.err != nil {
		return fmt.Sprintf("%s: %v after %v", a.path, a.err, a.end.Sub(a.start))
	}
	return fmt.Sprintf("%s: %d %s after %v", a.path, a.status, bytes.TrimSpace(a.body), a.end.Sub(a.start))
}

// site is a running App over a database of the test's own cluster.
type site struct {
	t      *testing.T
	url    string
	port   string
	clock  *clocktest.Clock
	client *http.Client
}

func openSite(t *testing.T, db *pgtest.DB, cfg func(*app.Config)) *site {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	clock := clocktest.New(clocktest.Default)
	params := password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}
	c := app.Config{
		DatabaseURL: db.AppURL, PlatformDatabaseURL: db.PlatformURL, BaseDomain: base,
		SessionKeys: auth.GenerateKeySpec("k1", 32), TenantSigKeys: auth.GenerateKeySpec("s1", 32),
		TenantRate: -1, TenantInFlight: -1, PasswordHashRate: -1, AnonymousRate: -1, AnonymousInFlight: -1, DBMaxConns: 4,
	}
	if cfg != nil {
		cfg(&c)
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, c, app.WithClock(clock.Now), app.WithListener(ln), app.WithPasswordParams(params))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-served
		a.Close(context.Background())
	})
	if _, err := demo.Seed(ctx, a.Store, password.NewHasher(params, password.Offline), clock.Now()); err != nil {
		t.Fatal(err)
	}
	return &site{t: t, url: "http://" + ln.Addr().String(), port: port, clock: clock,
		client: &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
}

// credentials are a signed-in member's.
type credentials struct {
	Token     string `json:"token"`
	TenantSig string `json:"tenant_sig"`
}

func (s *site) do(method, slug, path string, who *credentials, header map[string]string, body any) answer {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	r, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	r.Host = slug + "." + base + ":" + s.port
	if body != nil {
		r.Header.Set("Content-Type", "application/json")
	}
	if who != nil {
		r.Header.Set("Authorization", "Bearer "+who.Token)
		r.AddCookie(&http.Cookie{Name: "__Host-tenant_sig", Value: who.TenantSig})
	}
	for k, v := range header {
		r.Header.Set(k, v)
	}
	a := answer{path: method + " " + slug + path, start: time.Now()}
	resp, err := s.client.Do(r)
	if err == nil {
		a.status, a.header = resp.StatusCode, resp.Header
		a.body, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	a.err, a.end = err, time.Now()
	return a
}

func (s *site) login(slug, email string) *credentials {
	s.t.Helper()
	a := s.do("POST", slug, "/api/auth/login", nil, nil, map[string]string{"email": email, "password": demo.Password})
	var c credentials
	if a.status != 200 || json.Unmarshal(a.body, &c) != nil {
		s.t.Fatalf("login %s: %s", email, a)
	}
	return &c
}

// driverWords are words of the driver's and the server's own messages.
var driverWords = []string{"SQLSTATE", "pgx", "pgconn", "dial ", "connect:", "terminating connection", "shutting down", "starting up"}

// checkUnavailable returns what is wrong with a 503: it must be a problem
// with Retry-After and nothing of the driver's text.
func checkUnavailable(a answer) string {
	if ra, err := strconv.Atoi(a.header.Get("Retry-After")); err != nil || ra < 1 {
		return "503 without Retry-After: " + a.String()
	}
	if a.header.Get("Content-Type") != "application/problem+json" {
		return "503 that is not a problem: " + a.String()
	}
	for _, w := range driverWords {
		if bytes.Contains(a.body, []byte(w)) {
			return fmt.Sprintf("503 with the driver's word %q: %s", w, a)
		}
	}
	return ""
}

// write is one idempotent creation a client wants done exactly once.
type write struct {
	key, slug string
	// id is the created service's, from a 201 (or its replay); landed
	// says the server reported the work done (201, or the key committed
	// without a recorded response).
	id       string
	landed   bool
	attempts int
}

// PostgreSQL restarted under a mixed load of reads and idempotent writes
// from two tenants (F-03, F-01, F-02): while it is down every request is
// answered within 2 s with 503, Retry-After and no text of the driver's,
// never a 500 or a hang; service is back within 10 s of the database
// accepting connections; and every write, retried with its key until it
// lands, is applied exactly once, whole (the service, its first version
// and its audit row).
func TestPostgresRestartUnderLoad(t *testing.T) {
	cl := pgtest.NewCluster(t)
	s := openSite(t, cl.DB, nil)
	staff, globex := s.login("acme", "staff@acme.test"), s.login("globex", "owner@globex.test")

	var mu sync.Mutex
	var answers []answer
	record := func(a answer) {
		mu.Lock()
		answers = append(answers, a)
		mu.Unlock()
	}
	ctx, stopLoad := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Go(func() {
			for ctx.Err() == nil {
				if i%2 == 0 {
					record(s.do("GET", "acme", "/api/services", staff, nil, nil))
				} else {
					record(s.do("GET", "globex", "/api/services?limit=5", globex, nil, nil))
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
	// attempt sends w once; it reports whether w is settled.
	attempt := func(w *write) bool {
		a := s.do("POST", "acme", "/api/services", staff, map[string]string{"Idempotency-Key": w.key},
			map[string]any{"slug": w.slug, "name": "Acme " + w.slug, "duration_minutes": 30, "price_minor": 5000, "currency": "USD"})
		record(a)
		w.attempts++
		switch {
		case a.status == 201:
			var out struct{ ID string }
			if err := json.Unmarshal(a.body, &out); err != nil || out.ID == "" {
				t.Errorf("201 without an id: %s", a)
			}
			w.id, w.landed = out.ID, true
			return true
		case a.status == 409 && bytes.Contains(a.body, []byte("not recorded")):
			w.landed = true
			return true
		}
		return false
	}
	var writesMu sync.Mutex
	var writes []*write
	for n := range 2 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				w := &write{key: fmt.Sprintf("restart-%d-%d", n, i), slug: fmt.Sprintf("restart-%d-%d", n, i)}
				writesMu.Lock()
				writes = append(writes, w)
				writesMu.Unlock()
				for ctx.Err() == nil && !attempt(w) {
					time.Sleep(50 * time.Millisecond)
				}
				time.Sleep(30 * time.Millisecond)
			}
		})
	}

	time.Sleep(time.Second)
	down := time.Now()
	if err := cl.Stop(); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	time.Sleep(2 * time.Second)
	if err := cl.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	time.Sleep(5 * time.Second)
	stopLoad()
	wg.Wait()

	// A claim whose work never committed holds its key for the lease; a
	// client retries past it.
	pending := 0
	for _, w := range writes {
		if !w.landed {
			pending++
		}
	}
	s.clock.Advance(idempotency.Lease + time.Second)
	for _, w := range writes {
		for i := 0; !w.landed; i++ {
			if i == 50 {
				t.Fatalf("write %s never landed", w.key)
			}
			if !attempt(w) {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}

	var failures []string
	var during, unavailable int
	var slowest time.Duration
	var lastFailure, firstSuccess time.Time
	for _, a := range answers {
		if a.status/100 == 2 && a.start.After(back) && (firstSuccess.IsZero() || a.end.Before(firstSuccess)) {
			firstSuccess = a.end
		}
		overlaps := a.end.After(down) && a.start.Before(back)
		if overlaps {
			during++
			slowest = max(slowest, a.end.Sub(a.start))
		}
		switch {
		case a.err != nil:
			failures = append(failures, "no answer: "+a.String())
		case a.status == 503:
			unavailable++
			if msg := checkUnavailable(a); msg != "" {
				failures = append(failures, msg)
			}
			if a.end.After(lastFailure) {
				lastFailure = a.end
			}
		case a.status == 409 && bytes.Contains(a.body, []byte("still in progress")):
			// A key whose holder died with the database, until its lease ends.
		case a.status/100 != 2 && !(a.status == 409 && bytes.Contains(a.body, []byte("not recorded"))):
			failures = append(failures, "unexpected answer: "+a.String())
		}
		if a.end.Sub(a.start) > 2*time.Second {
			failures = append(failures, "slower than 2 s: "+a.String())
		}
	}
	for _, f := range failures[:min(len(failures), 10)] {
		t.Error(f)
	}
	if unavailable == 0 {
		t.Fatalf("no request met the outage (%d during it): the test proves nothing", during)
	}
	resumed := max(lastFailure.Sub(back), 0)
	if resumed > 10*time.Second || time.Since(lastFailure) < time.Second {
		t.Errorf("the last failure came %v after the database accepted connections again", resumed)
	}

	admin, err := pgx.Connect(context.Background(), cl.AdminURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(context.Background())
	for _, w := range writes {
		var ids []string
		rows, err := admin.Query(context.Background(), "SELECT id::text FROM services WHERE slug = $1", w.slug)
		if err == nil {
			ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(ids) != 1 || w.id != "" && !slices.Contains(ids, w.id) {
			t.Errorf("write %s: services %v, answered %q", w.key, ids, w.id)
			continue
		}
		var versions, audits int
		if err := admin.QueryRow(context.Background(),
			"SELECT (SELECT count(*) FROM service_versions WHERE service_id = $1), (SELECT count(*) FROM audit_log WHERE action = 'service.created' AND target_id = $1)",
			ids[0]).Scan(&versions, &audits); err != nil {
			t.Fatal(err)
		}
		if versions != 1 || audits != 1 {
			t.Errorf("write %s half-applied: %d versions, %d audit rows", w.key, versions, audits)
		}
	}
	retried := 0
	for _, w := range writes {
		if w.attempts > 1 {
			retried++
		}
	}
	t.Logf("%d requests, %d during the outage (stop took %v, down %v): %d answered 503, the slowest in %v; "+
		"first success %v and last failure %v after the database accepted connections; "+
		"%d idempotent writes, %d retried with their key (%d after their claim's lease), each applied once and whole",
		len(answers), during, stopped.Sub(down).Round(time.Millisecond), back.Sub(down).Round(time.Millisecond),
		unavailable, slowest.Round(time.Millisecond), firstSuccess.Sub(back).Round(time.Millisecond), resumed.Round(time.Millisecond),
		len(writes), retried, pending)
	if len(failures) > 0 {
		t.Fatalf("%d failures", len(failures))
	}
}
