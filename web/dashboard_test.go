package web_test

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/demo"
)

// exported returns the names of the metric families the server exports
// (from its own registry, over its metrics handler).
func exported(t *testing.T, e *env) map[string]bool {
	t.Helper()
	rec := httptest.NewRecorder()
	e.web.MetricsHandler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	names := map[string]bool{}
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "#" && f[1] == "TYPE" {
			names[f[2]] = true
		}
	}
	return names
}

var metricName = regexp.MustCompile(`\b(tenantkit_[a-z0-9_]+)`)

// Every metric the Grafana dashboard queries is one the binary exports,
// once the server has served sign-ins, a switch, a refusal, mail and jobs.
func TestDashboardQueriesExportedMetrics(t *testing.T) {
	raw, err := os.ReadFile("../deploy/grafana/tenantkit.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	queried := map[string][]string{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			for _, m := range metricName.FindAllString(tg.Expr, -1) {
				queried[m] = append(queried[m], p.Title)
			}
		}
	}
	if len(queried) < 10 {
		t.Fatalf("the dashboard queries only %d metrics", len(queried))
	}

	e := newEnv(t, workingJobs())
	consultant := e.login("acme", demo.ConsultantEmail)
	r := e.do(req{method: "POST", host: "acme", path: "/api/auth/switch", sess: consultant, body: map[string]string{"tenant": "globex"}})
	expectStatus(t, r, 200)
	var ho struct{ Token string }
	r.json(t, &ho)
	// Whatever its answer, the handoff is timed.
	e.do(req{method: "POST", host: "globex", path: "/api/auth/handoff", body: map[string]string{"token": ho.Token}})
	expectStatus(t, e.sessionOf("globex", e.login("acme", "owner@acme.test")), 403)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset", body: map[string]string{"email": "owner@acme.test"}}), 202)

	var missing []string
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		have := exported(t, e)
		missing = missing[:0]
		for m := range queried {
			base := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(m, "_bucket"), "_count"), "_sum")
			if !have[m] && !have[base] {
				missing = append(missing, m)
			}
		}
		if len(missing) == 0 || time.Now().After(deadline) {
			break
		}
	}
	sort.Strings(missing)
	for _, m := range missing {
		t.Errorf("the dashboard queries %s (%s), which the binary does not export", m, strings.Join(queried[m], "; "))
	}
}
