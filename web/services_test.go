package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/internal/pgtest"
)

type svc struct {
	ID       string `json:"id"`
	Slug     string `json:"slug"`
	Name     string `json:"name"`
	Active   bool   `json:"active"`
	Version  int    `json:"version"`
	Archived any    `json:"archived_at"`
}

type svcPage struct {
	Items      []svc  `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (e *env) services(host string, s *session, query string) svcPage {
	e.t.Helper()
	r := e.do(req{method: "GET", host: host, path: "/api/services" + query, sess: s})
	expectStatus(e.t, r, 200)
	var p svcPage
	r.json(e.t, &p)
	return p
}

func newService(slug string) map[string]any {
	return map[string]any{"slug": slug, "name": "Acme " + slug, "duration_minutes": 30, "price_minor": 5000, "currency": "USD"}
}

func TestServicesLifecycle(t *testing.T) {
	e := newEnv(t)
	staff := e.login("acme", "staff@acme.test")
	r := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: staff, body: newService("intake-call")})
	expectStatus(t, r, 201)
	var created svc
	r.json(t, &created)
	if r.Header.Get("ETag") != `"v1"` || !created.Active || created.Version != 1 {
		t.Fatalf("created: %s %s", r.Header.Get("ETag"), r.Body)
	}
	path := "/api/services/" + created.ID

	t.Run("UpdateWithIfMatch", func(t *testing.T) {
		stale := e.do(req{method: "PATCH", host: "acme", path: path, sess: staff, header: map[string]string{"If-Match": `"v0"`}, body: map[string]any{"price_minor": 1}})
		expectStatus(t, stale, 412)
		ok := e.do(req{method: "PATCH", host: "acme", path: path, sess: staff, header: map[string]string{"If-Match": `"v1"`}, body: map[string]any{"price_minor": 7500, "name": "Acme Intake"}})
		expectStatus(t, ok, 200)
		if ok.Header.Get("ETag") != `"v2"` {
			t.Fatalf("etag after update: %s", ok.Header.Get("ETag"))
		}
		again := e.do(req{method: "PATCH", host: "acme", path: path, sess: staff, header: map[string]string{"If-Match": `"v1"`}, body: map[string]any{"price_minor": 1}})
		expectStatus(t, again, 412) // a lost update is refused
		var vs struct{ Items []struct{ Version int } }
		e.do(req{method: "GET", host: "acme", path: path + "/versions", sess: staff}).json(t, &vs)
		if len(vs.Items) != 2 || vs.Items[0].Version != 2 {
			t.Fatalf("versions: %+v", vs)
		}
	})
	t.Run("DuplicateSlugIsAConflictOnTheField", func(t *testing.T) {
		r := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: staff, body: newService("intake-call")})
		expectStatus(t, r, 409)
		if !strings.Contains(string(r.Body), `"location":"body.slug"`) {
			t.Fatalf("conflict body: %s", r.Body)
		}
		var free struct{ Available bool }
		e.do(req{method: "GET", host: "acme", path: "/api/slug-check/services/intake-call", sess: staff}).json(t, &free)
		if free.Available {
			t.Fatal("a taken slug reads as available")
		}
		g := e.login("globex", "owner@globex.test")
		e.do(req{method: "GET", host: "globex", path: "/api/slug-check/services/intake-call", sess: g}).json(t, &free)
		if !free.Available {
			t.Fatal("a slug of another tenant reads as taken: an existence oracle")
		}
	})
	t.Run("ArchiveCloneAndDelete", func(t *testing.T) {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: path + "/archive", sess: staff}), 200)
		for _, s := range e.services("acme", staff, "").Items {
			if s.ID == created.ID {
				t.Fatal("an archived service is listed by default")
			}
		}
		clone := e.do(req{method: "POST", host: "acme", path: path + "/clone", sess: staff, body: map[string]string{"slug": "intake-call-2", "name": "Acme Intake 2"}})
		expectStatus(t, clone, 201)
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: path, sess: staff}), 403) // staff cannot delete
		admin := e.login("acme", "owner@acme.test")
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: path, sess: admin}), 204)
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: path, sess: admin}), 404)
	})
	t.Run("ServiceWithBookingsCannotBeDeleted", func(t *testing.T) {
		admin := e.login("acme", "owner@acme.test")
		var withBooking string
		for _, s := range e.services("acme", admin, "").Items {
			if s.Slug == "tax-review" {
				withBooking = s.ID
			}
		}
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/services/" + withBooking, sess: admin}), 409)
	})
	t.Run("ClientsCannotManage", func(t *testing.T) {
		client := e.login("acme", "client@acme.test")
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services", sess: client}), 403)
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services", sess: client, body: newService("x")}), 403)
	})
}

// Another tenant's service id, on every service operation, reads like a
// missing id, and the service is unchanged when globex reads it back.
func TestServicesOfAnotherTenantAreNotFound(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	gOwner := e.login("globex", "owner@globex.test")
	globex := e.services("globex", gOwner, "").Items
	before := e.do(req{method: "GET", host: "globex", path: "/api/services/" + globex[0].ID, sess: gOwner})
	expectStatus(t, before, 200)
	for _, op := range []struct {
		method, suffix string
		body           any
	}{
		{"GET", "", nil},
		{"PATCH", "", map[string]any{"name": "Hijacked"}},
		{"POST", "/archive", nil},
		{"POST", "/unarchive", nil},
		{"POST", "/clone", map[string]string{"slug": "stolen", "name": "Stolen"}},
		{"GET", "/versions", nil},
		{"GET", "/stats", nil},
		{"DELETE", "", nil},
	} {
		t.Run(op.method+op.suffix, func(t *testing.T) {
			foreign := e.do(req{method: op.method, host: "acme", path: "/api/services/" + globex[0].ID + op.suffix, sess: owner, body: op.body})
			absent := e.do(req{method: op.method, host: "acme", path: "/api/services/" + missingID + op.suffix, sess: owner, body: op.body})
			expectStatus(t, foreign, 404)
			expectStatus(t, absent, 404)
			if !reflect.DeepEqual(foreign.problemBody(t), absent.problemBody(t)) {
				t.Fatalf("bodies differ:\n%s\n%s", foreign.Body, absent.Body)
			}
		})
	}
	for _, path := range []string{"/api/services/bulk/activate", "/api/services/bulk/deactivate", "/api/services/bulk/delete"} {
		t.Run("Bulk"+path, func(t *testing.T) {
			own := e.services("acme", owner, "").Items[0]
			r := e.do(req{method: "POST", host: "acme", path: path, sess: owner, body: map[string]any{"ids": []string{own.ID, globex[0].ID}}})
			expectStatus(t, r, 404)
			if strings.Contains(string(r.Body), globex[0].ID) {
				t.Fatal("the refusal names the foreign id")
			}
			after := e.do(req{method: "GET", host: "acme", path: "/api/services/" + own.ID, sess: owner})
			var s svc
			after.json(t, &s)
			if s.Version != own.Version || s.Active != own.Active {
				t.Fatalf("the batch was applied in part: %+v then %+v", own, s)
			}
		})
	}
	after := e.do(req{method: "GET", host: "globex", path: "/api/services/" + globex[0].ID, sess: gOwner})
	if string(after.Body) != string(before.Body) {
		t.Fatalf("globex's service changed:\n%s\n%s", before.Body, after.Body)
	}
}

func TestServicesBulkAllOrNothing(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	items := e.services("acme", owner, "").Items
	ids := []string{items[0].ID, items[1].ID}
	r := e.do(req{method: "POST", host: "acme", path: "/api/services/bulk/deactivate", sess: owner, body: map[string]any{"ids": ids}})
	expectStatus(t, r, 200)
	for _, s := range e.services("acme", owner, "?active=false").Items {
		if s.ID != ids[0] && s.ID != ids[1] {
			t.Fatalf("unexpected inactive service %s", s.Name)
		}
	}
	if n := len(e.services("acme", owner, "?active=false").Items); n != 2 {
		t.Fatalf("%d inactive", n)
	}
	staff := e.login("acme", "staff@acme.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services/bulk/delete", sess: staff, body: map[string]any{"ids": ids}}), 403)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services/bulk/delete", sess: owner, body: map[string]any{"ids": []string{"not-a-uuid"}}}), 404)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services/bulk/delete", sess: owner, body: map[string]any{"ids": []string{}}}), 422)
}

func TestServicesPagination(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	for i := range 7 {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, body: newService(fmt.Sprintf("page-%d", i))}), 201)
	}
	var all []svc
	cursor := ""
	for pages := 0; ; pages++ {
		q := "?limit=3"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		p := e.services("acme", owner, q)
		all = append(all, p.Items...)
		if p.NextCursor == "" {
			break
		}
		cursor = p.NextCursor
		if pages > 10 {
			t.Fatal("pagination does not end")
		}
	}
	if len(all) != 10 {
		t.Fatalf("%d services over the pages, want 10", len(all))
	}
	seen := map[string]bool{}
	for i, s := range all {
		if seen[s.ID] || (i > 0 && all[i-1].Name > s.Name) || !strings.HasPrefix(s.Name, "Acme") {
			t.Fatalf("page order broken at %d: %+v", i, all)
		}
		seen[s.ID] = true
	}
	t.Run("ForeignOrForgedCursorsAreRefused", func(t *testing.T) {
		first := e.services("acme", owner, "?limit=2")
		staff := e.login("acme", "staff@acme.test")
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services?cursor=" + first.NextCursor, sess: staff}), 422) // another account's
		g := e.login("globex", "owner@globex.test")
		expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/services?cursor=" + first.NextCursor, sess: g}), 422) // another tenant's
		forged := first.NextCursor[:len(first.NextCursor)-3] + "AAA"
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services?cursor=" + forged, sess: owner}), 422)
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services?limit=1000", sess: owner}), 422)
	})
	t.Run("SearchEscapesWildcards", func(t *testing.T) {
		if n := len(e.services("acme", owner, "?q=%25").Items); n != 0 {
			t.Fatalf("q=%% matched %d services", n)
		}
		if n := len(e.services("acme", owner, "?q=PAGE-1").Items); n != 1 {
			t.Fatalf("q=PAGE-1 matched %d services", n)
		}
	})
}

func TestCreateIsIdempotent(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	key := map[string]string{"Idempotency-Key": "create-1"}
	first := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: key, body: newService("idem")})
	expectStatus(t, first, 201)
	again := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: key, body: newService("idem")})
	expectStatus(t, again, 201)
	var a, b svc
	first.json(t, &a)
	again.json(t, &b)
	if a.ID != b.ID || string(first.Body) != string(again.Body) {
		t.Fatalf("the retry did not replay the original:\n%s\n%s", first.Body, again.Body)
	}
	other := newService("idem")
	other["price_minor"] = 1
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: key, body: other}), 422)
	if n := len(e.services("acme", owner, "?q=idem").Items); n != 1 {
		t.Fatalf("%d services created under one key", n)
	}
	t.Run("KeysAreScopedToTenantAndAccount", func(t *testing.T) {
		staff := e.login("acme", "staff@acme.test")
		r := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: staff, header: key, body: newService("idem-staff")})
		expectStatus(t, r, 201)
		g := e.login("globex", "owner@globex.test")
		gr := e.do(req{method: "POST", host: "globex", path: "/api/services", sess: g, header: key, body: newService("idem")})
		expectStatus(t, gr, 201)
		var gs svc
		gr.json(t, &gs)
		if gs.ID == a.ID {
			t.Fatal("globex was handed acme's stored response")
		}
	})
	t.Run("InFlightIsAConflict", func(t *testing.T) {
		// Hold the first request inside its transaction with a lock on the
		// table it writes, then send the duplicate.
		admin := pgtest.Connect(t, e.db.AdminURL)
		ctx := context.Background()
		tx, err := admin.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(ctx, "LOCK TABLE services IN EXCLUSIVE MODE"); err != nil {
			t.Fatal(err)
		}
		k := map[string]string{"Idempotency-Key": "held"}
		first := make(chan response)
		go func() {
			first <- e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: k, body: newService("held")})
		}()
		// Wait until the first request holds the key (and waits on the lock).
		for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			var n int
			if err := admin.QueryRow(ctx, "SELECT count(*) FROM idempotency_keys WHERE key = 'held'").Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n == 1 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the first request never claimed its key")
			}
		}
		dup := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: k, body: newService("held")})
		tx.Rollback(ctx)
		expectStatus(t, dup, 409)
		expectStatus(t, <-first, 201)
	})
	t.Run("ConcurrentDuplicatesCreateOne", func(t *testing.T) {
		var wg sync.WaitGroup
		statuses := make([]int, 8)
		for i := range statuses {
			wg.Go(func() {
				r := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: map[string]string{"Idempotency-Key": "race"}, body: newService("race")})
				statuses[i] = r.Status
			})
		}
		wg.Wait()
		if n := len(e.services("acme", owner, "?q=race").Items); n != 1 {
			t.Fatalf("%d services from concurrent duplicates (statuses %v)", n, statuses)
		}
		for _, s := range statuses {
			if s != 201 && s != 409 {
				t.Fatalf("statuses %v", statuses)
			}
		}
	})
	t.Run("FailedRequestReleasesTheKey", func(t *testing.T) {
		k := map[string]string{"Idempotency-Key": "retry-after-fix"}
		bad := newService("intake-dup")
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: k, body: newService("tax-review")}), 409)
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, header: k, body: bad}), 201)
	})
}

func TestMalformedServiceInput(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	count := func() int { return len(e.services("acme", owner, "?include_archived=true&limit=100").Items) }
	before := count()
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"MalformedJSON", `{"slug": "x",`, 400},
		{"WrongType", map[string]any{"slug": "x", "name": "X", "duration_minutes": "thirty", "price_minor": 1, "currency": "USD"}, 422},
		{"UnknownField", map[string]any{"slug": "x", "name": "X", "duration_minutes": 30, "price_minor": 1, "currency": "USD", "color": "red"}, 422},
		{"TenantIDRefused", map[string]any{"slug": "x", "name": "X", "duration_minutes": 30, "price_minor": 1, "currency": "USD", "tenant_id": e.seeded["globex"].TenantID}, 422},
		{"BadSlug", map[string]any{"slug": "Not A Slug", "name": "X", "duration_minutes": 30, "price_minor": 1, "currency": "USD"}, 422},
		{"NegativePrice", map[string]any{"slug": "x", "name": "X", "duration_minutes": 30, "price_minor": -1, "currency": "USD"}, 422},
		{"Oversize", map[string]any{"slug": "x", "name": "X", "duration_minutes": 30, "price_minor": 1, "currency": "USD", "description": strings.Repeat("x", 2<<20)}, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, body: tc.body})
			expectStatus(t, r, tc.want)
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services/not-a-uuid", sess: owner}), 422)
	if after := count(); after != before {
		t.Fatalf("bad input stored something: %d then %d services", before, after)
	}
}

func TestServicesExportAndPublicView(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services", sess: owner, body: map[string]any{
		"slug": "formula", "name": "=HYPERLINK(\"http://evil\")", "duration_minutes": 30, "price_minor": 1, "currency": "USD", "active": false}}), 201)
	r := e.do(req{method: "GET", host: "acme", path: "/api/services/export", sess: owner})
	expectStatus(t, r, 200)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("content type %q", r.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 5 || rows[0][0] != "id" {
		t.Fatalf("export rows: %v", rows)
	}
	for _, row := range rows[1:] {
		if strings.Contains(strings.Join(row, ","), "Globex") {
			t.Fatal("globex data in acme's export")
		}
		if strings.HasPrefix(row[2], "=") {
			t.Fatalf("formula not defused: %q", row[2])
		}
	}
	pub := e.do(req{method: "GET", host: "globex", path: "/api/public/services"})
	expectStatus(t, pub, 200)
	if strings.Contains(string(pub.Body), "Acme") || !strings.Contains(string(pub.Body), "Globex") || strings.Contains(string(pub.Body), `"id"`) {
		t.Fatalf("public services of globex: %s", pub.Body)
	}
	acmePub := e.do(req{method: "GET", host: "acme", path: "/api/public/services"})
	if strings.Contains(string(acmePub.Body), "formula") {
		t.Fatal("an inactive service is public")
	}
}

// One tenant's flood is refused with 429 and Retry-After while another
// tenant is served as usual.
func TestTenantRateLimitIsPerTenant(t *testing.T) {
	e := newEnv(t, withApp(func(c *app.Config) { c.AnonymousRate, c.AnonymousBurst = 1, 5 }))
	var last response
	for range 10 {
		if last = e.do(req{method: "GET", host: "acme", path: "/api/public/services"}); last.Status == 429 {
			break
		}
	}
	expectStatus(t, last, 429)
	if last.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/public/services"}), 200)
}

// A tenant's requests in flight are capped: while one is held, the next is
// refused, and other tenants are not affected.
func TestTenantInFlightCap(t *testing.T) {
	e := newEnv(t, withApp(func(c *app.Config) { c.TenantInFlight = 1 }))
	owner := e.login("acme", "owner@acme.test")
	admin := pgtest.Connect(t, e.db.AdminURL)
	ctx := context.Background()
	tx, err := admin.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE services IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	held := make(chan response)
	go func() { held <- e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner}) }()
	// Wait until the held request waits on the lock inside PostgreSQL.
	for deadline := time.Now().Add(3 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var waiting int
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first request never reached the lock")
		}
	}
	// This one does not touch the locked table: only the cap can refuse it.
	refused := e.do(req{method: "GET", host: "acme", path: "/api/auth/session", sess: owner})
	expectStatus(t, refused, 429)
	expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/healthz"}), 200)
	tx.Rollback(ctx)
	expectStatus(t, <-held, 200)
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/public/services"}), 200)
}
