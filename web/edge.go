package web

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/tenantkit/tenantkit/internal/report"
	"github.com/tenantkit/tenantkit/internal/telemetry"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// withRequestID gives every request a fresh random id, in the context (for
// logs and problem bodies) and in the X-Request-Id response header. A
// client-sent id is not trusted as ours; it is logged as client_request_id.
func withRequestID(logger *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [12]byte
		rand.Read(b[:])
		id := hex.EncodeToString(b[:])
		w.Header().Set("X-Request-Id", id)
		ctx := tenant.WithRequestID(r.Context(), id)
		telemetry.TagSpan(ctx)
		if client := r.Header.Get("X-Request-Id"); client != "" && len(client) <= 128 {
			logger.DebugContext(ctx, "client request id", slog.String("client_request_id", client))
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// withRecover turns a panic into a 500 problem and one error log line with
// the stack, and reports it (with the tenant and account known so far).
func withRecover(logger *slog.Logger, reporter *report.Reporter, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			logger.ErrorContext(r.Context(), "panic in handler",
				slog.String("panic", fmt.Sprint(v)), slog.String("stack", string(debug.Stack())))
			if a := accessFrom(r.Context()); a != nil {
				a.panicked = true
				reporter.Panic(r.Context(), a.reportRequest(http.StatusInternalServerError), v)
			} else {
				reporter.Panic(r.Context(), report.Request{Method: r.Method, Status: http.StatusInternalServerError}, v)
			}
			route.WriteProblem(w, route.Problem{
				Type: "about:blank", Title: http.StatusText(http.StatusInternalServerError),
				Status: http.StatusInternalServerError, Detail: "internal error", Instance: route.InstanceOf(r.Context()),
			})
		}()
		next.ServeHTTP(w, r)
	})
}

// withBodyLimit bounds every request body; reading past it fails and the
// handler answers 413.
func withBodyLimit(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			route.WriteProblem(w, route.Problem{
				Type: "about:blank", Title: http.StatusText(http.StatusRequestEntityTooLarge),
				Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("request body larger than %d bytes", limit),
				Instance: route.InstanceOf(r.Context()),
			})
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// strippedHeaderPrefix starts every request header no client may send: a
// tenant is never named by a header (X-Tenant-Id, X-Tenant-Slug, …), and
// the X-Tenantkit-* headers the server itself sets downstream must not be
// forgeable. Matched without regard to case.
const strippedHeaderPrefix = "x-tenant"

// withStrippedHeaders deletes every inbound header whose name starts with
// X-Tenant before anything else reads the request.
func withStrippedHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for name := range r.Header {
			if len(name) >= len(strippedHeaderPrefix) && strings.EqualFold(name[:len(strippedHeaderPrefix)], strippedHeaderPrefix) {
				// delete, not Header.Del: Del canonicalizes the name and
				// would miss a key stored in another form.
				delete(r.Header, name)
			}
		}
		next.ServeHTTP(w, r)
	})
}

// withSecurityHeaders sets the headers every response carries: nothing is
// cached (responses depend on the session), framed or sniffed, and pages
// run only their own scripts. Forms may post to the platform's own hosts
// (the tenant switch leaves one tenant's host for another's).
func withSecurityHeaders(baseDomain string, next http.Handler) http.Handler {
	csp := "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"frame-ancestors 'none'; base-uri 'none'; form-action 'self' " + baseDomain + ":* *." + baseDomain + ":*"
	// The API reference page renders with the vendored Redoc, which injects
	// styles and runs its search in a blob worker.
	docsCSP := "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
		"worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'"
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Cache-Control", "private, no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		if r.URL.Path == "/api/docs" {
			h.Set("Content-Security-Policy", docsCSP)
		} else {
			h.Set("Content-Security-Policy", csp)
		}
		next.ServeHTTP(w, r)
	})
}
