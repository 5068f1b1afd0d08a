// Package logging builds tenantkit's structured logger: log/slog with a
// handler that adds the request id, tenant id and account id carried by the
// context to every record, so no log line of a request lacks its tenant.
package logging

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
)

// New returns a logger writing to w in format "text" or "json" at level
// ("debug", "info", "warn", "error").
func New(w io.Writer, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("log level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	var h slog.Handler
	switch strings.ToLower(format) {
	case "json":
		h = slog.NewJSONHandler(w, opts)
	case "text", "":
		h = slog.NewTextHandler(w, opts)
	default:
		return nil, fmt.Errorf("log format %q: want text or json", format)
	}
	return slog.New(ContextHandler{Handler: h}), nil
}

// ContextHandler adds request_id, tenant_id, account_id and member_id from
// the record's context.
type ContextHandler struct{ slog.Handler }

// Handle implements slog.Handler.
func (h ContextHandler) Handle(ctx context.Context, r slog.Record) error {
	if s, ok := tenant.ScopeFrom(ctx); ok {
		r.AddAttrs(slog.String("tenant_id", s.TenantID.String()))
		if s.AccountID != uuid.Nil {
			r.AddAttrs(slog.String("account_id", s.AccountID.String()))
		}
		if s.MemberID != uuid.Nil {
			r.AddAttrs(slog.String("member_id", s.MemberID.String()))
		}
	}
	if id := tenant.RequestIDFrom(ctx); id != "" {
		r.AddAttrs(slog.String("request_id", id))
	}
	return h.Handler.Handle(ctx, r)
}

// WithAttrs implements slog.Handler.
func (h ContextHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return ContextHandler{h.Handler.WithAttrs(attrs)}
}

// WithGroup implements slog.Handler.
func (h ContextHandler) WithGroup(name string) slog.Handler {
	return ContextHandler{h.Handler.WithGroup(name)}
}
