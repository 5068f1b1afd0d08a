package probe_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/probe"
)

// allowedSkips are the reasons a variant may not apply to an operation;
// any other skip fails the run.
var allowedSkips = []string{"no role below client", "no request body", "no resource id", "no cursor parameter", "has one page only",
	"no id is foreign to it"}

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

// The matrix with tenant A on a verified custom domain: sign-in, the
// binding and every operation hold there as on the subdomain.
func TestMatrixOnACustomDomain(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	// Two labels under the apex (localhost, which the probe's dialer
	// reaches) name no subdomain: the host resolver reads tenant_domains.
	// Stored as a verification leaves it (the API refuses *.localhost).
	const domain = "www.acme-firm.localhost"
	admin := pgtest.Connect(t, s.db.AdminURL)
	if _, err := admin.Exec(context.Background(), `WITH c AS (
		INSERT INTO domain_claims (tenant_id, domain, token, verified_at)
		SELECT id, $1, 'tenantkit-probe-custom-domain-token', now() FROM tenants WHERE slug = 'acme' RETURNING tenant_id, domain, token, verified_at)
		INSERT INTO tenant_domains (domain, tenant_id, verification_token, verified_at) SELECT domain, tenant_id, token, verified_at FROM c`, domain); err != nil {
		t.Fatal(err)
	}
	cfg := s.config()
	cfg.HostA = domain
	cfg.SkipEdges, cfg.SkipInjection = true, true
	rep, err := probe.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkReport(t, s, rep)
}
