package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/report"
)

// access is what the access log line of one request says beyond what the
// outermost handler sees: the layers below fill it in as they learn it
// (the host's tenant, the authenticated account, the matched route).
type access struct {
	tenantID  uuid.UUID
	accountID uuid.UUID
	route     string
	// host is the kind of host served ("apex", "tenant"), "any" for the
	// health checks, "" when the host did not resolve.
	host string
	// refused is set when the request's binding was refused; panicked
	// when its handler panicked (and the panic was reported).
	refused, panicked bool
	// method is the request's, for the error report.
	method string
}

// reportRequest describes the request to the error reporter.
func (a *access) reportRequest(status int) report.Request {
	return report.Request{Method: a.method, Route: a.route, Status: status, TenantID: a.tenantID, AccountID: a.accountID}
}

type accessKey struct{}

// accessFrom returns the request's access record, or nil outside
// withAccessLog.
func accessFrom(ctx context.Context) *access {
	a, _ := ctx.Value(accessKey{}).(*access)
	return a
}

// withAccessLog writes one line per request at Info, once it is answered:
// method, route pattern (never the raw path, whose ids and slugs would
// multiply the distinct lines, nor the query string), status, duration,
// bytes written, the tenant of the host, the authenticated account and
// (from the context, by the log handler) the request id. Never headers,
// cookies, tokens or bodies. Inside withRequestID, outside withRecover, so
// a recovered panic is logged with its 500. observe, when set, is given
// the answered request's record, status and duration (metrics, usage).
func withAccessLog(logger *slog.Logger, observe func(context.Context, *access, int, time.Duration), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		a := &access{method: r.Method}
		cw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(cw, r.WithContext(context.WithValue(r.Context(), accessKey{}, a)))
		elapsed := time.Since(start)
		if observe != nil {
			observe(r.Context(), a, cw.status, elapsed)
		}
		route := a.route
		if route == "" {
			route = "unmatched"
		}
		attrs := make([]slog.Attr, 0, 7)
		attrs = append(attrs,
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", cw.status),
			slog.Float64("duration_ms", float64(elapsed.Microseconds())/1000),
			slog.Int64("bytes", cw.bytes),
		)
		if a.tenantID != uuid.Nil {
			attrs = append(attrs, slog.String("tenant_id", a.tenantID.String()))
		}
		if a.accountID != uuid.Nil {
			attrs = append(attrs, slog.String("account_id", a.accountID.String()))
		}
		logger.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// countingWriter records the status and counts the body bytes written.
type countingWriter struct {
	http.ResponseWriter
	status      int
	bytes       int64
	wroteHeader bool
}

func (w *countingWriter) WriteHeader(code int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	w.wroteHeader = true
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer
// (flushes, deadlines).
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
