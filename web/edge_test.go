package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

type fakeDB struct{ err error }

func (f fakeDB) Ping(context.Context) error { return f.err }

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

func TestStripTenantHeaders(t *testing.T) {
	var seen http.Header
	h := withStrippedHeaders(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { seen = r.Header.Clone() }))
	r := httptest.NewRequest("GET", "/", nil)
	for _, name := range []string{"X-Tenant-Id", "x-tenant-slug", "X-TENANT-ID", "X-Tenantkit-Scope", "X-Tenant-", "x-tenant_id", "X-TenantId"} {
		r.Header[name] = []string{"b"}
	}
	r.Header.Set("X-Request-Id", "keep")
	h.ServeHTTP(httptest.NewRecorder(), r)
	for name := range seen {
		if strings.HasPrefix(strings.ToLower(name), "x-tenant") {
			t.Fatalf("header %s reached the handler", name)
		}
	}
	if seen.Get("X-Request-Id") != "keep" {
		t.Fatal("an unrelated header was removed")
	}
}

func TestHealthAndReadiness(t *testing.T) {
	for _, tc := range []struct {
		name   string
		path   string
		db     error
		jobs   Pinger
		status int
	}{
		{"Live", "/healthz", errors.New("down"), nil, 200},
		{"Ready", "/readyz", nil, nil, 200},
		{"NotReady", "/readyz", errors.New("connection refused"), nil, 503},
		{"ReadyWithJobs", "/readyz", nil, fakeDB{nil}, 200},
		{"JobQueueDown", "/readyz", nil, fakeDB{errors.New("connection refused")}, 503},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{db: fakeDB{tc.db}, cfg: Config{JobQueue: tc.jobs}, problems: route.Problems{Logger: discard()}}
			w := httptest.NewRecorder()
			withRequestID(discard(), http.HandlerFunc(s.dispatch)).ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
			if w.Code != tc.status {
				t.Fatalf("status %d", w.Code)
			}
			if w.Header().Get("X-Request-Id") == "" {
				t.Fatal("no request id")
			}
			if tc.status == 503 {
				var p route.Problem
				if err := json.NewDecoder(w.Body).Decode(&p); err != nil {
					t.Fatal(err)
				}
				if w.Header().Get("Content-Type") != "application/problem+json" || w.Header().Get("Retry-After") == "" ||
					strings.Contains(p.Detail, "refused") || !strings.HasSuffix(p.Instance, w.Header().Get("X-Request-Id")) {
					t.Fatalf("problem: %+v, headers %v", p, w.Header())
				}
			}
		})
	}
}

func TestPanicBecomesProblem(t *testing.T) {
	h := withRequestID(discard(), withRecover(discard(), nil, http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		panic("secret internal state")
	})))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	body, _ := io.ReadAll(w.Body)
	if w.Code != 500 || strings.Contains(string(body), "secret") {
		t.Fatalf("status %d body %s", w.Code, body)
	}
}

func TestBodyLimit(t *testing.T) {
	var readErr error
	h := withBodyLimit(10, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, readErr = io.ReadAll(r.Body)
	}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(strings.Repeat("x", 11))))
	if w.Code != 413 {
		t.Fatalf("declared length over the limit: status %d", w.Code)
	}
	r := httptest.NewRequest("POST", "/", io.NopCloser(strings.NewReader(strings.Repeat("x", 100))))
	r.ContentLength = -1
	h.ServeHTTP(httptest.NewRecorder(), r)
	var mbe *http.MaxBytesError
	if !errors.As(readErr, &mbe) {
		t.Fatalf("undeclared length over the limit: read error %v", readErr)
	}
}

func TestStatusTable(t *testing.T) {
	for code, status := range map[tenant.Code]int{
		tenant.CodeNotFound: 404, tenant.CodeForbidden: 403, tenant.CodeUnauthorized: 401, tenant.CodeConflict: 409,
		tenant.CodeInvalid: 422, tenant.CodeRateLimited: 429, tenant.CodeUnavailable: 503, tenant.CodeInternal: 500,
		tenant.CodePreconditionFailed: 412,
	} {
		if got := route.StatusOf(&tenant.Error{Code: code}); got != status {
			t.Errorf("%s → %d, want %d", code, got, status)
		}
	}
}

// A server missing one of its services is refused at start, not found out
// by a 500 on the first request of that area.
func TestNewServerRefusesAMissingService(t *testing.T) {
	if _, err := NewServer(Config{BaseDomain: "example.test"}, Deps{DB: fakeDB{}, Logger: discard()}); err == nil ||
		!strings.Contains(err.Error(), "is required") {
		t.Fatalf("NewServer with services missing: %v", err)
	}
}
