// Package report sends server errors and panics to Sentry (the official Go
// SDK) when a DSN is configured, and only logs them otherwise.
//
// Every event is tagged with the tenant, the account and the request id
// of the request that failed, and carries its method, route pattern and
// status — never the raw path's query string, headers, cookies, tokens or
// bodies. BeforeSend scrubs each event again before it leaves, so an
// event built by the SDK itself (or a future caller) cannot carry them
// either.
package report

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
)

// Config configures a Reporter.
type Config struct {
	// DSN is the Sentry project's DSN (SENTRY_DSN). Empty: errors are
	// logged only.
	DSN string
	// Environment and Release tag every event.
	Environment, Release string
	// Transport replaces the SDK's HTTP transport (tests).
	Transport sentry.Transport
}

// Reporter reports failed requests. A nil *Reporter reports nothing.
type Reporter struct {
	client *sentry.Client
}

// New returns a Reporter; with an empty DSN it only logs.
func New(cfg Config) (*Reporter, error) {
	r := &Reporter{}
	if cfg.DSN == "" {
		return r, nil
	}
	client, err := sentry.NewClient(sentry.ClientOptions{
		Dsn: cfg.DSN, Environment: cfg.Environment, Release: cfg.Release, Transport: cfg.Transport,
		SendDefaultPII: false, AttachStacktrace: true, BeforeSend: Scrub,
		// Breadcrumbs would collect what other code logs through the
		// SDK; nothing here needs them.
		MaxBreadcrumbs: -1,
	})
	if err != nil {
		return nil, fmt.Errorf("report: sentry client: %w", err)
	}
	r.client = client
	return r, nil
}

// Enabled reports whether events go to Sentry.
func (r *Reporter) Enabled() bool { return r != nil && r.client != nil }

// Request is what an event says about the request that failed.
type Request struct {
	Method string
	// Route is the matched pattern ("GET /api/services/{id}"), never the
	// raw path.
	Route     string
	Status    int
	TenantID  uuid.UUID
	AccountID uuid.UUID
}

// ServerError reports a request answered with a 5xx.
func (r *Reporter) ServerError(ctx context.Context, req Request) {
	if r == nil {
		return
	}
	if r.client == nil {
		return // the access log and the problem writer have logged it
	}
	msg := fmt.Sprintf("%s answered %d", orUnmatched(req.Route), req.Status)
	r.send(ctx, req, &sentry.Event{Level: sentry.LevelError, Message: msg})
}

// Panic reports a recovered panic with its value and stack.
func (r *Reporter) Panic(ctx context.Context, req Request, v any) {
	if r == nil || r.client == nil {
		return
	}
	ev := &sentry.Event{Level: sentry.LevelFatal, Message: "panic in handler: " + fmt.Sprint(v)}
	ev.Exception = []sentry.Exception{{
		Type: "panic", Value: fmt.Sprint(v), Stacktrace: sentry.NewStacktrace(),
	}}
	r.send(ctx, req, ev)
}

func (r *Reporter) send(ctx context.Context, req Request, ev *sentry.Event) {
	scope := sentry.NewScope()
	if req.TenantID != uuid.Nil {
		scope.SetTag("tenant_id", req.TenantID.String())
	}
	if req.AccountID != uuid.Nil {
		scope.SetTag("account_id", req.AccountID.String())
		scope.SetUser(sentry.User{ID: req.AccountID.String()})
	}
	if id := tenant.RequestIDFrom(ctx); id != "" {
		scope.SetTag("request_id", id)
	}
	scope.SetTag("route", orUnmatched(req.Route))
	scope.SetTag("method", req.Method)
	scope.SetTag("status", fmt.Sprint(req.Status))
	r.client.CaptureEvent(ev, nil, scope)
}

// Flush waits up to timeout for queued events to leave.
func (r *Reporter) Flush(timeout time.Duration) {
	if r.Enabled() {
		r.client.Flush(timeout)
	}
}

func orUnmatched(route string) string {
	if route == "" {
		return "unmatched"
	}
	return route
}

// secret matches what must never leave in an event's text: bearer tokens,
// JWTs, session-like cookies and key=value pairs of sensitive names.
var secret = regexp.MustCompile(`(?i)(bearer\s+[A-Za-z0-9._~+/=-]+)|(eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)|` +
	`((?:token|password|secret|cookie|authorization|session|tenant_sig|api[_-]?key)\s*[=:]\s*[^\s&;,"']+)`)

// sensitive reports whether a header, tag or extra named name may hold a
// credential.
func sensitive(name string) bool {
	n := strings.ToLower(name)
	for _, s := range []string{"token", "password", "secret", "cookie", "authorization", "session", "tenant_sig", "api-key", "api_key", "csrf"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

func scrubText(s string) string { return secret.ReplaceAllString(s, "[scrubbed]") }

// Scrub is the client's BeforeSend: it drops the request's body, query
// string, cookies and headers, every sensitive tag or context, the
// breadcrumbs, and any token-like text left in messages and exceptions.
func Scrub(ev *sentry.Event, _ *sentry.EventHint) *sentry.Event {
	if ev.Request != nil {
		url := ev.Request.URL
		if i := strings.IndexAny(url, "?#"); i >= 0 {
			url = url[:i]
		}
		ev.Request = &sentry.Request{Method: ev.Request.Method, URL: url}
	}
	ev.Breadcrumbs = nil
	ev.Message = scrubText(ev.Message)
	for i := range ev.Exception {
		ev.Exception[i].Value = scrubText(ev.Exception[i].Value)
		if st := ev.Exception[i].Stacktrace; st != nil {
			for j := range st.Frames {
				st.Frames[j].Vars = nil
			}
		}
	}
	for k := range ev.Tags {
		if sensitive(k) {
			delete(ev.Tags, k)
		}
	}
	for k := range ev.Contexts {
		if sensitive(k) {
			delete(ev.Contexts, k)
		}
	}
	ev.User = sentry.User{ID: ev.User.ID}
	return ev
}
