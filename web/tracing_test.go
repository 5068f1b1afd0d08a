package web_test

import (
	"testing"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/tenantkit/tenantkit/internal/telemetry"
)

// Every span of a tenant's request — the request's own and each database
// statement's — carries that tenant's id, and a refused binding is marked
// on the request's span.
func TestEverySpanCarriesTheTenant(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := telemetry.NewProvider("tenantkit-test", "test", sdktrace.NewSimpleSpanProcessor(exp))
	t.Cleanup(func() { _ = tp.Shutdown(t.Context()) })
	e := newEnv(t, tracedBy(tp))
	owner := e.login("acme", "owner@acme.test")
	exp.Reset()
	expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/services", sess: owner}), 200)
	spans := exp.GetSpans()
	if len(spans) < 3 {
		t.Fatalf("only %d spans: the request and its statements were not traced", len(spans))
	}
	acme := e.seeded["acme"].TenantID.String()
	for _, s := range spans {
		found := ""
		for _, a := range s.Attributes {
			if a.Key == telemetry.TenantID {
				found = a.Value.AsString()
			}
		}
		if found != acme {
			t.Errorf("span %q has tenant.id %q, want acme's", s.Name, found)
		}
	}

	exp.Reset()
	expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/services", sess: owner}), 403)
	refused := false
	for _, s := range exp.GetSpans() {
		for _, a := range s.Attributes {
			if a.Key == "tenantkit.binding_refused" {
				refused = true
			}
		}
	}
	if !refused {
		t.Fatal("the refused binding is not marked on the request's span")
	}
}
