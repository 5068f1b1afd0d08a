package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/report"
)

type fakeTransport struct {
	mu     sync.Mutex
	events []*sentry.Event
}

func (f *fakeTransport) Configure(sentry.ClientOptions)        {}
func (f *fakeTransport) Flush(time.Duration) bool              { return true }
func (f *fakeTransport) FlushWithContext(context.Context) bool { return true }
func (f *fakeTransport) Close()                                {}
func (f *fakeTransport) SendEvent(e *sentry.Event) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
}

// A panic and a 5xx reach the reporter once each, tagged with the tenant,
// the account and the request id, and with no token, cookie or query
// string of the request.
func TestPanicsAndServerErrorsAreReported(t *testing.T) {
	ft := &fakeTransport{}
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
	ft.mu.Lock()
	defer ft.mu.Unlock()
	if len(ft.events) != 2 {
		t.Fatalf("%d events, want 2 (the panic once, the 503 once)", len(ft.events))
	}
	for _, e := range ft.events {
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
	if ft.events[0].Level != sentry.LevelFatal || ft.events[1].Tags["status"] != "503" {
		t.Errorf("events: %v %v", ft.events[0].Level, ft.events[1].Tags)
	}
}
