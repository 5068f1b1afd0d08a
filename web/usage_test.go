package web_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/pgtest"
)

type usageBody struct {
	Items []struct {
		Minute       time.Time `json:"minute"`
		Requests     int64     `json:"requests"`
		ClientErrors int64     `json:"client_errors"`
		ServerErrors int64     `json:"server_errors"`
		Refused      int64     `json:"refused"`
		P50Ms        float64   `json:"p50_ms"`
		P99Ms        float64   `json:"p99_ms"`
	} `json:"items"`
}

func (u usageBody) totals() (requests, clientErrors, refused int64) {
	for _, m := range u.Items {
		requests, clientErrors, refused = requests+m.Requests, clientErrors+m.ClientErrors, refused+m.Refused
	}
	return
}

// appRoleUsage sums the usage rows since a minute that the app role sees
// in tenantID's scope, with no tenant filter of its own: only row security
// keeps other tenants out.
func appRoleUsage(t *testing.T, db *pgtest.DB, tenantID string, since time.Time) (rows, tenants, requests int64) {
	t.Helper()
	conn := pgtest.Connect(t, db.AppURL)
	ctx := context.Background()
	err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SELECT set_config('app.current_tenant_id', $1, true)", tenantID); err != nil {
			return err
		}
		return tx.QueryRow(ctx, "SELECT count(*), count(DISTINCT tenant_id), coalesce(sum(requests), 0)::bigint FROM tenant_usage WHERE minute >= $1", since).
			Scan(&rows, &tenants, &requests)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, tenants, requests
}

// Each organization's owners read their own figures and no one else's;
// operators read every organization's; bad input is a 422 problem.
func TestUsagePerTenant(t *testing.T) {
	e := newEnv(t)
	start := e.now().Truncate(time.Minute)
	acme := e.login("acme", "owner@acme.test")
	globex := e.login("globex", "owner@globex.test")
	for range 5 {
		expectStatus(t, e.sessionOf("acme", acme), 200)
	}
	expectStatus(t, e.sessionOf("globex", globex), 200)
	expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/services/" + missingID, sess: globex}), 404)
	// acme's credentials on globex's host: a refused binding, globex's.
	expectStatus(t, e.sessionOf("globex", acme), 403)
	// acme: 1 sign-in + 5; globex: 1 sign-in + 1 + a 404 + a refusal.
	e.clock.Advance(2 * time.Minute)
	n, err := e.app.Usage.Flush(context.Background(), false)
	if err != nil || n != 2 {
		t.Fatalf("flush: %d rows, %v; want 2 (one minute of each tenant)", n, err)
	}

	t.Run("OwnersReadTheirOwn", func(t *testing.T) {
		for _, c := range []struct {
			host                      string
			s                         *session
			requests, errors, refused int64
		}{{"acme", acme, 6, 0, 0}, {"globex", globex, 4, 2, 1}} {
			r := e.do(req{method: "GET", host: c.host, path: "/api/usage", sess: c.s})
			expectStatus(t, r, 200)
			var u usageBody
			r.json(t, &u)
			if got, errs, refused := u.totals(); got != c.requests || errs != c.errors || refused != c.refused {
				t.Errorf("%s reads requests %d, 4xx %d, refused %d; want %d, %d, %d: %s", c.host, got, errs, refused, c.requests, c.errors, c.refused, r.Body)
			}
			if len(u.Items) != 1 || u.Items[0].P99Ms < u.Items[0].P50Ms || u.Items[0].P50Ms <= 0 {
				t.Errorf("%s minutes: %+v", c.host, u.Items)
			}
		}
	})
	t.Run("RowSecurityAlone", func(t *testing.T) {
		for slug, want := range map[string]int64{"acme": 6, "globex": 4} {
			rows, tenants, requests := appRoleUsage(t, e.db, e.seeded[slug].TenantID.String(), start)
			if rows != 1 || tenants != 1 || requests != want {
				t.Errorf("as the app role in %s's scope, unfiltered: %d rows of %d tenants, %d requests; want 1, 1, %d", slug, rows, tenants, requests, want)
			}
		}
	})
	t.Run("StaffCannotRead", func(t *testing.T) {
		staff := e.login("acme", "staff@acme.test")
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/usage", sess: staff}), 403)
	})
	t.Run("BadWindowIsAProblem", func(t *testing.T) {
		for _, q := range []string{
			"since=yesterday", "until=2026-13-01T00:00:00Z",
			"since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z",
			"since=2030-01-01T00:00:00Z&until=2030-01-03T00:00:00Z",
		} {
			for _, c := range []struct {
				host, path string
				s          *session
			}{{"acme", "/api/usage?", acme}} {
				r := e.do(req{method: "GET", host: c.host, path: c.path + q, sess: c.s})
				if r.Status != 422 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
					t.Errorf("%s%s: %d %s; want a 422 problem", c.path, q, r.Status, r.Body)
				}
			}
		}
	})
	t.Run("OperatorsReadEveryTenant", func(t *testing.T) {
		e.grantOperator("owner@globex.test")
		op := e.login("", "owner@globex.test")
		r := e.do(req{method: "GET", host: "", path: "/api/platform/usage", sess: op})
		expectStatus(t, r, 200)
		var top struct {
			Loudest, Failing []struct {
				Slug         string `json:"slug"`
				Requests     int64  `json:"requests"`
				ServerErrors int64  `json:"server_errors"`
				Refused      int64  `json:"refused"`
			}
		}
		r.json(t, &top)
		if len(top.Loudest) != 2 || top.Loudest[0].Slug != "acme" || top.Loudest[0].Requests != 6 || top.Loudest[1].Requests != 4 {
			t.Errorf("loudest: %+v", top.Loudest)
		}
		if len(top.Failing) != 1 || top.Failing[0].Slug != "globex" || top.Failing[0].Refused != 1 {
			t.Errorf("failing: %+v", top.Failing)
		}
		for _, q := range []string{"limit=0", "limit=101", "since=x", "since=2030-01-02T00:00:00Z&until=2030-01-01T00:00:00Z"} {
			r := e.do(req{method: "GET", host: "", path: "/api/platform/usage?" + q, sess: op})
			if r.Status != 422 || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/problem+json") {
				t.Errorf("platform usage ?%s: %d %s; want a 422 problem", q, r.Status, r.Body)
			}
		}
		plain := e.login("", demo.ConsultantEmail)
		expectStatus(t, e.do(req{method: "GET", host: "", path: "/api/platform/usage", sess: plain}), 403)
	})
}

// series counts the metric series the server exports.
func series(t *testing.T, e *env) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	e.web.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var n int
	var names []string
	sc := bufio.NewScanner(bytes.NewReader(rec.Body.Bytes()))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "go_") || strings.HasPrefix(line, "process_") {
			continue // the runtime's series depend on the runtime, not on tenants
		}
		n++
		names = append(names, line[:strings.IndexAny(line, " ")])
	}
	return n, strings.Join(names, "\n")
}

// The tenant is never a metric label: serving 30 tenants exports as many
// series as serving 3.
func TestMetricSeriesDoNotGrowWithTenants(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var slugs []string
	for i := range 30 {
		slug := fmt.Sprintf("load-%02d", i)
		if _, err := e.app.Tenants.Create(ctx, cliOperator, slug, "Load "+slug); err != nil {
			t.Fatal(err)
		}
		slugs = append(slugs, slug)
	}
	drive := func(slugs []string) {
		for _, s := range slugs {
			expectStatus(t, e.do(req{method: "GET", host: s, path: "/api/auth/session"}), 401)
			expectStatus(t, e.do(req{method: "GET", host: s, path: "/healthz"}), 200)
		}
	}
	drive(slugs[:3])
	three, before := series(t, e)
	drive(slugs[3:])
	thirty, after := series(t, e)
	if three != thirty {
		t.Fatalf("%d series after 3 tenants, %d after 30:\n%s\n---\n%s", three, thirty, before, after)
	}
	t.Logf("%d series for 3 tenants and for 30", three)
}

// /readyz reports whether the database's schema is the binary's.
func TestReadyReportsMigrations(t *testing.T) {
	e := newEnv(t)
	r := e.do(req{method: "GET", host: "", path: "/readyz"})
	expectStatus(t, r, 200)
	var body map[string]string
	r.json(t, &body)
	if body["migrations"] != "current" {
		t.Fatalf("ready: %s", r.Body)
	}
	owner := pgtest.Connect(t, e.db.OwnerURL)
	if _, err := owner.Exec(context.Background(),
		"DELETE FROM goose_db_version WHERE version_id = (SELECT max(version_id) FROM goose_db_version)"); err != nil {
		t.Fatal(err)
	}
	r = e.do(req{method: "GET", host: "", path: "/readyz"})
	expectStatus(t, r, 503)
	var p map[string]any
	r.json(t, &p)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") || p["reason"] != "migrations_not_current" {
		t.Fatalf("not current: %s %s", ct, r.Body)
	}
}
