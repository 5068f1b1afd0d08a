package probe_test

import (
	"context"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/probe"
)

// Input at the edges: every parser of every operation of both OpenAPI
// documents — the JSON body, the query string, each path parameter, each
// declared header — refuses input that is too long, malformed, of the
// wrong type or unknown with a 4xx problem document of the status its case
// names, and the whole database is unchanged. The table of what was tried
// is derived from the documents the server serves, as the matrix is.
func TestInputEdges(t *testing.T) {
	t.Parallel()
	s := newServer(t)
	cfg := s.config()
	admin := pgtest.Connect(t, s.db.AdminURL)
	cfg.Fingerprint = func(ctx context.Context) (string, error) { return pgtest.Fingerprint(ctx, admin) }
	rep, err := probe.Edges(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.Edges.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
	for _, f := range rep.Failures {
		t.Error(f)
	}
	if !rep.Edges.DatabaseChecked || len(rep.Edges.Rows) < 10 {
		t.Fatalf("edges: %d cases, database checked %v", len(rep.Edges.Rows), rep.Edges.DatabaseChecked)
	}
	tried := map[string]bool{}
	for _, r := range rep.Edges.Rows {
		tried[r.Parser] = true
		if r.Inputs == 0 {
			t.Errorf("%s / %s: tried on nothing", r.Parser, r.Case)
		}
	}
	for _, parser := range []string{"JSON body", "query string", "path parameter", "header"} {
		if !tried[parser] {
			t.Errorf("no case of the %s", parser)
		}
	}
}
