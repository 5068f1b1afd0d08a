package report_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/report"
	"github.com/tenantkit/tenantkit/internal/report/reporttest"
	"github.com/tenantkit/tenantkit/tenant"
)

const dsn = "https://public@sentry.invalid/1"

func TestServerErrorIsTagged(t *testing.T) {
	ft := &reporttest.Transport{}
	r, err := report.New(report.Config{DSN: dsn, Transport: ft})
	if err != nil {
		t.Fatal(err)
	}
	tid, aid := uuid.New(), uuid.New()
	ctx := tenant.WithRequestID(context.Background(), "req-1")
	r.ServerError(ctx, report.Request{Method: "POST", Route: "POST /api/services", Status: 503, TenantID: tid, AccountID: aid})
	r.Panic(ctx, report.Request{Method: "GET", Route: "GET /api/services/{id}", Status: 500, TenantID: tid}, "boom token=abc123")
	events := ft.Events()
	if len(events) != 2 {
		t.Fatalf("%d events, want 2", len(events))
	}
	e := events[0]
	for k, want := range map[string]string{"tenant_id": tid.String(), "account_id": aid.String(), "request_id": "req-1", "route": "POST /api/services", "status": "503"} {
		if e.Tags[k] != want {
			t.Errorf("tag %s = %q, want %q", k, e.Tags[k], want)
		}
	}
	p := events[1]
	if p.Level != sentry.LevelFatal || len(p.Exception) != 1 || strings.Contains(p.Message+p.Exception[0].Value, "abc123") {
		t.Errorf("panic event: level %s, message %q, exception %+v", p.Level, p.Message, p.Exception)
	}
	if p.Tags["account_id"] != "" {
		t.Errorf("an account tag without an account: %q", p.Tags["account_id"])
	}
}

// BeforeSend leaves no credential, cookie, query string or body in an
// event, however it was built.
func TestScrub(t *testing.T) {
	jwt := "eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
	ev := &sentry.Event{
		Message: "failed with Authorization: Bearer " + jwt + " and tenant_sig=secretsig",
		Request: &sentry.Request{
			Method: "POST", URL: "https://acme.example.test/api/auth/login?token=reset-secret", QueryString: "token=reset-secret",
			Cookies: "__Host-session=s3cr3t", Data: `{"password":"hunter2"}`,
			Headers: map[string]string{"Authorization": "Bearer " + jwt, "Cookie": "__Host-session=s3cr3t"},
			Env:     map[string]string{"REMOTE_ADDR": "10.0.0.1"},
		},
		Tags:        map[string]string{"tenant_id": "t", "session_token": "s3cr3t"},
		Exception:   []sentry.Exception{{Value: "password=hunter2 rejected"}},
		User:        sentry.User{ID: "a", Email: "x@example.test", IPAddress: "10.0.0.1"},
		Breadcrumbs: []*sentry.Breadcrumb{{Message: "Cookie: __Host-session=s3cr3t"}},
	}
	out := report.Scrub(ev, nil)
	flat := out.Message + out.Exception[0].Value + out.Request.URL + out.Request.QueryString + out.Request.Cookies + out.Request.Data +
		out.User.Email + out.User.IPAddress
	for k, v := range out.Request.Headers {
		flat += k + v
	}
	for k, v := range out.Tags {
		flat += k + v
	}
	for _, leak := range []string{jwt, "secretsig", "reset-secret", "s3cr3t", "hunter2", "x@example.test", "10.0.0.1"} {
		if strings.Contains(flat, leak) {
			t.Errorf("%q left in the event: %s", leak, flat)
		}
	}
	if len(out.Breadcrumbs) != 0 || out.Tags["tenant_id"] != "t" || out.User.ID != "a" || out.Request.URL != "https://acme.example.test/api/auth/login" {
		t.Errorf("scrubbed too much or too little: %+v", out)
	}
}

// Without a DSN nothing is sent (and a nil reporter is safe).
func TestWithoutDSN(t *testing.T) {
	r, err := report.New(report.Config{})
	if err != nil || r.Enabled() {
		t.Fatalf("enabled without a DSN: %v", err)
	}
	r.ServerError(context.Background(), report.Request{Status: 500})
	var none *report.Reporter
	none.Panic(context.Background(), report.Request{}, "x")
	none.Flush(time.Millisecond)
}
