package probe_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/probe"
)

// allowedSkips are the reasons a variant may not apply to an operation;
// any other skip fails the run.
var allowedSkips = []string{"no role below client", "no request body", "no resource id", "no cursor parameter", "has one page only"}

// checkReport fails t for every failed check, for any documented route the
// probe did not cover, and for any variant skipped for a reason other than
// not applying.
func checkReport(t *testing.T, s *server, rep *probe.Report) {
	t.Helper()
	var b strings.Builder
	if err := rep.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + b.String())
	for _, f := range rep.Failures {
		t.Error(f)
	}
	// The probe found every route the server documents: its coverage is
	// measured against the route table, not only the OpenAPI documents.
	seen := map[string]bool{}
	for _, o := range rep.Operations {
		seen[o.Host+" "+o.Method+" "+o.Path] = true
	}
	n := 0
	for _, r := range s.web.Routes() {
		if !r.OpenAPI {
			continue
		}
		n++
		if !seen[r.Host+" "+r.Method+" "+r.Path] {
			t.Errorf("route %s %s on the %s host was not probed", r.Method, r.Path, r.Host)
		}
	}
	covered, total := rep.Coverage()
	if total != n || covered != total {
		t.Errorf("coverage: %d of %d operations, %d documented routes", covered, total, n)
	}
	for _, o := range rep.Operations {
		for _, v := range o.Variants {
			if v.Skipped == "" || strings.Contains(v.Skipped, "no role below client") && o.MinRole == "client" {
				continue
			}
			ok := false
			for _, why := range allowedSkips {
				ok = ok || strings.Contains(v.Skipped, why)
			}
			if !ok {
				t.Errorf("%s %s: %s skipped: %s", o.Method, o.Path, v.Name, v.Skipped)
			}
		}
	}
	if rep.Injection != nil {
		for _, n := range rep.Injection.NotExercised {
			t.Errorf("injection: not exercised: %s", n)
		}
	}
	run, passed, _ := rep.Counts()
	if run == 0 || passed != run {
		t.Errorf("%d of %d variants passed", passed, run)
	}
}

// The matrix over every operation of both OpenAPI documents, against a
// real server over real PostgreSQL: every variant as expected, no answer
// holding anything of tenant B's, B's data unchanged when B reads it back.
func TestMatrix(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := s.config()
	cfg.SkipEdges = true // TestInputEdges
	rep, err := probe.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, s, rep)
}
