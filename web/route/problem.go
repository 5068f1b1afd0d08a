package route

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"strconv"
	"sync"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/tenant"
)

// Problem is an RFC 9457 problem details body.
type Problem struct {
	Type     string              `json:"type"`
	Title    string              `json:"title"`
	Status   int                 `json:"status"`
	Detail   string              `json:"detail,omitempty"`
	Instance string              `json:"instance,omitempty"`
	Errors   []*huma.ErrorDetail `json:"errors,omitempty"`
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

// StatusOf returns the HTTP status for err's code, or an [InputError]'s
// own.
func StatusOf(err error) int {
	if ie, ok := errors.AsType[*InputError](err); ok {
		return ie.Status
	}
	if s, ok := statusOf[tenant.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// InstanceOf names a request in problem bodies and logs.
func InstanceOf(ctx context.Context) string {
	if id := tenant.RequestIDFrom(ctx); id != "" {
		return "urn:tenantkit:request:" + id
	}
	return ""
}

// Problems turns errors into problems, logging each once.
type Problems struct {
	Logger *slog.Logger
}

// Of builds the problem for err and logs it: 5xx at error level with the
// cause, once; 4xx at warn level. The client sees only the code's status
// and the client-safe message.
func (s Problems) Of(ctx context.Context, err error) (Problem, http.Header) {
	status := StatusOf(err)
	p := Problem{Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: tenant.ErrorMessage(err), Instance: InstanceOf(ctx)}
	if e, ok := errorsAs(err); ok && len(e.Fields) > 0 {
		keys := make([]string, 0, len(e.Fields))
		for k := range e.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p.Errors = append(p.Errors, &huma.ErrorDetail{Location: k, Message: e.Fields[k]})
		}
	}
	if status >= 500 {
		s.Logger.ErrorContext(ctx, "request failed", slog.Int("status", status), slog.Any("error", err))
	} else {
		s.Logger.WarnContext(ctx, "request refused", slog.Int("status", status), slog.String("error", err.Error()))
	}
	h := http.Header{}
	if status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable {
		secs := 2
		if ra := tenant.RetryAfter(err); ra > 0 {
			secs = int(math.Ceil(ra.Seconds()))
		}
		h.Set("Retry-After", strconv.Itoa(secs))
	}
	return p, h
}

func errorsAs(err error) (*tenant.Error, bool) {
	for err != nil {
		if e, ok := err.(*tenant.Error); ok {
			return e, true
		}
		u, ok := err.(interface{ Unwrap() error })
		if !ok {
			return nil, false
		}
		err = u.Unwrap()
	}
	return nil, false
}

// APIError converts err for a huma handler to return.
func (s Problems) APIError(ctx context.Context, err error) error {
	p, h := s.Of(ctx, err)
	model := &huma.ErrorModel{Type: p.Type, Title: p.Title, Status: p.Status, Detail: p.Detail, Instance: p.Instance, Errors: p.Errors}
	if len(h) > 0 {
		return huma.ErrorWithHeaders(model, h)
	}
	return model
}

// WriteHuma writes err from an operation middleware.
func (s Problems) WriteHuma(hctx huma.Context, err error) {
	p, h := s.Of(hctx.Context(), err)
	for k, v := range h {
		hctx.SetHeader(k, v[0])
	}
	hctx.SetHeader("Content-Type", "application/problem+json")
	hctx.SetStatus(p.Status)
	_ = json.NewEncoder(hctx.BodyWriter()).Encode(p)
}

// Write writes err as application/problem+json.
func (s Problems) Write(w http.ResponseWriter, r *http.Request, err error) {
	p, h := s.Of(r.Context(), err)
	for k, v := range h {
		w.Header()[k] = v
	}
	WriteProblem(w, p)
}

// WriteProblem writes p as application/problem+json.
func WriteProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(p.Status)
	_ = json.NewEncoder(w).Encode(p)
}

// InstallHumaProblems makes huma's own errors (validation, malformed
// bodies) carry the request's instance like ours, and makes validation
// match field names exactly: encoding/json matches them case-insensitively,
// so {"password": "x", "PASSWORD": ""} would pass a check on one key and
// decode the other. With strict casing any key that is not a field's exact
// name is an unknown field (422).
//
// Both are huma's package variables, shared by every server in the
// process: they are set once, so servers built concurrently (as the
// tests do) do not race on them.
func InstallHumaProblems() { installHuma.Do(installHumaProblems) }

var installHuma sync.Once

func installHumaProblems() {
	huma.ValidateStrictCasing = true
	huma.NewErrorWithContext = func(ctx huma.Context, status int, msg string, errs ...error) huma.StatusError {
		model := &huma.ErrorModel{Type: "about:blank", Status: status, Title: http.StatusText(status), Detail: msg}
		if ctx != nil {
			model.Instance = InstanceOf(ctx.Context())
		}
		for _, e := range errs {
			if e != nil {
				model.Add(e)
			}
		}
		return model
	}
}
