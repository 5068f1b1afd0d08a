package web

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/tenantkit/tenantkit/tenant"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string            `json:"type"`
	Title    string            `json:"title"`
	Status   int               `json:"status"`
	Detail   string            `json:"detail,omitempty"`
	Instance string            `json:"instance,omitempty"`
	Errors   map[string]string `json:"errors,omitempty"`
}

// statusOf maps error codes to HTTP statuses: the one table.
var statusOf = map[tenant.Code]int{
	tenant.CodeInvalid:            http.StatusUnprocessableEntity,
	tenant.CodeUnauthorized:       http.StatusUnauthorized,
	tenant.CodeForbidden:          http.StatusForbidden,
	tenant.CodeNotFound:           http.StatusNotFound,
	tenant.CodeConflict:           http.StatusConflict,
	tenant.CodePreconditionFailed: http.StatusPreconditionFailed,
	tenant.CodeRateLimited:        http.StatusTooManyRequests,
	tenant.CodeUnavailable:        http.StatusServiceUnavailable,
	tenant.CodeInternal:           http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err's code.
func StatusOf(err error) int {
	if s, ok := statusOf[tenant.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// writeError writes err as a problem response. Internal errors are logged
// here, once, with their cause; the client sees a generic message.
func writeError(w http.ResponseWriter, r *http.Request, logger *slog.Logger, err error) {
	status := StatusOf(err)
	p := Problem{
		Type:     "about:blank",
		Title:    http.StatusText(status),
		Status:   status,
		Detail:   tenant.ErrorMessage(err),
		Instance: tenant.RequestIDFrom(r.Context()),
	}
	if e, ok := errorFields(err); ok {
		p.Errors = e
	}
	switch {
	case status >= 500:
		logger.ErrorContext(r.Context(), "request failed", slog.Int("status", status), slog.Any("error", err))
	default:
		logger.WarnContext(r.Context(), "request refused", slog.Int("status", status), slog.String("error", err.Error()))
	}
	if status == http.StatusServiceUnavailable || status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	}
	writeProblem(w, p)
}

const retryAfterSeconds = 2

func errorFields(err error) (map[string]string, bool) {
	var e *tenant.Error
	if te, ok := err.(*tenant.Error); ok {
		e = te
	}
	if e == nil || len(e.Fields) == 0 {
		return nil, false
	}
	return e.Fields, true
}

func writeProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}
