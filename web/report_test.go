package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getsentry/sentry-go"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/report"
	"github.com/tenantkit/tenantkit/internal/report/reporttest"
)

// A panic and a 5xx reach the reporter once each, tagged with the tenant,
// the account and the request id, and with no token, cookie or query
// string of the request.
func TestPanicsAndServerErrorsAreReported(t *testing.T) {
	ft := &reporttest.Transport{}
	rep, err := report.New(report.Config{DSN: "https://public@sentry.invalid/1", Transport: ft})
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{cfg: Config{Reporter: rep}, metrics: newMetrics()}
	tid, aid := uuid.New(), uuid.New()
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := accessFrom(r.Context())
		a.tenantID, a.accountID, a.route = tid, aid, "GET /api/things/{id}"
		if r.URL.Query().Get("fail") != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		panic("boom")
	})
	h := withRequestID(discard(), withAccessLog(discard(), s.observe, withRecover(discard(), rep, inner)))
	for _, q := range []string{"token=secret-reset", "fail=1&token=secret-reset"} {
		r := httptest.NewRequest("GET", "http://acme.example.test/api/things/1?"+q, nil)
		r.Header.Set("Authorization", "Bearer secret-bearer")
		r.AddCookie(&http.Cookie{Name: "__Host-tenant_sig", Value: "secret-sig"})
		h.ServeHTTP(httptest.NewRecorder(), r)
	}
	events := ft.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2 (the panic once, the 503 once)", len(events))
	}
	for _, e := range events {
		if e.Tags["tenant_id"] != tid.String() || e.Tags["account_id"] != aid.String() || len(e.Tags["request_id"]) != 24 ||
			e.Tags["route"] != "GET /api/things/{id}" {
			t.Errorf("tags %v", e.Tags)
		}
		flat := e.Message
		if e.Request != nil {
			flat += e.Request.URL + e.Request.QueryString + e.Request.Cookies + e.Request.Data
			for k, v := range e.Request.Headers {
				flat += k + v
			}
		}
		if strings.Contains(flat, "secret") {
			t.Errorf("a credential left in the event: %s", flat)
		}
	}
	if events[0].Level != sentry.LevelFatal || events[1].Tags["status"] != "503" {
		t.Errorf("events: %v %v", events[0].Level, events[1].Tags)
	}
}
