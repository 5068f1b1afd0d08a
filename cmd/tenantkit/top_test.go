package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/demotest"
)

// `tenantkit tenant top` lists the loudest and the failing tenants of a
// window from the usage table, and refuses a bad window or limit.
func TestTenantTop(t *testing.T) {
	at := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	f := demotest.New(t, demotest.At(at))
	// The demo's usage: three minutes of every tenant, three hours before at.
	until := at.Add(-3 * time.Hour).Add(5 * time.Minute).Format(time.RFC3339)
	out := mustTenantCLI(t, f.DB, "top", "--until", until, "--json")
	var top struct {
		Loudest, Failing []struct {
			Slug                                          string
			Requests, ClientErrors, ServerErrors, Refused int64
		}
	}
	if err := json.Unmarshal([]byte(out), &top); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(top.Loudest) < 2 || top.Loudest[0].Requests <= top.Loudest[len(top.Loudest)-1].Requests || len(top.Failing) != len(top.Loudest) {
		t.Fatalf("top: %s", out)
	}
	text := mustTenantCLI(t, f.DB, "top", "--until", until)
	if !strings.Contains(text, "LOUDEST") || !strings.Contains(text, "FAILING") || !strings.Contains(text, "acme") {
		t.Fatalf("top:\n%s", text)
	}
	// An hour without traffic lists nobody.
	empty := mustTenantCLI(t, f.DB, "top", "--until", at.Format(time.RFC3339))
	if strings.Contains(empty, "acme") {
		t.Fatalf("an empty hour:\n%s", empty)
	}
	for _, bad := range [][]string{{"--limit", "0"}, {"--last", "48h"}, {"--until", "noon"}, {"--last", "-1h"}} {
		if _, err := tenantCLI(t, f.DB, append([]string{"top"}, bad...)...); err == nil {
			t.Errorf("top %v: no error", bad)
		}
	}
}
