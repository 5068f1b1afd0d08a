package usage

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Config configures a Service.
type Config struct {
	Store *store.Store
	// Now is the clock minutes are read from. Required.
	Now func() time.Time
	// Interval is how often Run flushes. Defaults to 30s.
	Interval time.Duration
	// Logger receives flush failures. Defaults to slog.Default().
	Logger *slog.Logger
}

// maxPending bounds the rows kept for the next flush while the database
// refuses them; past it the oldest are dropped (and logged).
const maxPending = 100_000

// Service measures usage ([Service.Meter]), flushes it to the database and
// reads it back.
type Service struct {
	store    *store.Store
	meter    *Meter
	now      func() time.Time
	interval time.Duration
	logger   *slog.Logger
	instance uuid.UUID

	mu      sync.Mutex // one flush at a time
	pending []store.UsageRow
}

// New returns a Service with a meter of its own and a fresh instance id.
func New(cfg Config) *Service {
	s := &Service{store: cfg.Store, now: cfg.Now, interval: cfg.Interval, logger: cfg.Logger, instance: uuid.New()}
	if s.interval <= 0 {
		s.interval = 30 * time.Second
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	s.meter = NewMeter(cfg.Now)
	return s
}

// Meter returns the meter the HTTP layer records requests in.
func (s *Service) Meter() *Meter { return s.meter }

// Flush writes the minutes that have ended (every minute when final is
// set) in one statement, and returns how many rows it wrote. When the
// database is unavailable the rows are kept for the next flush (at most
// maxPending); rows it refuses are dropped and logged.
func (s *Service) Flush(ctx context.Context, final bool) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	rows := s.pending
	for _, m := range s.meter.Take(final) {
		rows = append(rows, store.UsageRow{
			TenantID: m.TenantID, Minute: m.Minute, InstanceID: s.instance,
			Requests: m.Requests, ClientErrors: m.ClientErrors, ServerErrors: m.ServerErrors, Refused: m.Refused,
			P50Ms: m.P50(), P99Ms: m.P99(), LatencyBuckets: m.Latency[:],
		})
	}
	if err := s.store.WriteUsage(ctx, s.instance, rows); err != nil {
		if tenant.ErrorCode(err) != tenant.CodeUnavailable {
			// Refused, not failed: retrying the same rows would fail
			// every flush after this one.
			s.logger.ErrorContext(ctx, "usage rows refused", slog.Int("rows", len(rows)), slog.Any("error", err))
			s.pending = nil
			return 0, err
		}
		if drop := len(rows) - maxPending; drop > 0 {
			s.logger.ErrorContext(ctx, "usage rows dropped", slog.Int("rows", drop))
			rows = rows[drop:]
		}
		s.pending = rows
		return 0, err
	}
	s.pending = nil
	return len(rows), nil
}

// Run flushes every interval until ctx ends, then flushes everything
// measured (bounded by five seconds).
func (s *Service) Run(ctx context.Context) {
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			if _, err := s.Flush(ctx, false); err != nil {
				s.logger.WarnContext(ctx, "usage flush failed", slog.Any("error", err))
			}
		case <-ctx.Done():
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
			if _, err := s.Flush(fctx, true); err != nil {
				s.logger.ErrorContext(fctx, "usage lost at shutdown", slog.Any("error", err))
			}
			cancel()
			return
		}
	}
}

// MaxWindow bounds the period one read covers.
const MaxWindow = 24 * time.Hour

// window checks [since, until) (empty when they are equal) and fills in
// the last hour when both are zero.
func (s *Service) window(since, until time.Time) (time.Time, time.Time, error) {
	if until.IsZero() {
		until = s.now().UTC().Truncate(time.Minute).Add(time.Minute)
	}
	if since.IsZero() {
		since = until.Add(-time.Hour)
	}
	fields := map[string]string{}
	switch {
	case since.After(until):
		fields["query.since"] = "must not be after until"
	case until.Sub(since) > MaxWindow:
		fields["query.since"] = "the window is at most 24 hours"
	}
	if len(fields) > 0 {
		return since, until, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid usage window", Fields: fields}
	}
	return since.UTC(), until.UTC(), nil
}

// ForTenant returns the usage of the tenant in ctx's scope for each minute
// of [since, until) that had requests, every instance's rows merged. Zero
// times mean the last hour.
func (s *Service) ForTenant(ctx context.Context, since, until time.Time) (_ []Minute, err error) {
	defer errs.Wrap(&err, "usage: for tenant")
	if since, until, err = s.window(since, until); err != nil {
		return nil, err
	}
	var out []Minute
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListUsage(ctx, store.ListUsageParams{TenantID: tx.TenantID(), Since: since, Until: until})
		for _, r := range rows {
			if n := len(out); n == 0 || !out[n-1].Minute.Equal(r.Minute) {
				out = append(out, Minute{TenantID: r.TenantID, Minute: r.Minute.UTC()})
			}
			m := &out[len(out)-1]
			m.Requests += r.Requests
			m.ClientErrors += r.ClientErrors
			m.ServerErrors += r.ServerErrors
			m.Refused += r.Refused
			m.Latency.Merge(r.LatencyBuckets)
		}
		return err
	})
	return out, err
}

// TenantTotal is one tenant's usage over a window, as operators see it.
type TenantTotal struct {
	TenantID                                      uuid.UUID
	Slug                                          string
	Requests, ClientErrors, ServerErrors, Refused int64
	// WorstP99Ms is the highest p99 of any of its minutes.
	WorstP99Ms float64
}

// Top is the loudest and the failing tenants of a window.
type Top struct {
	Since, Until time.Time
	// Loudest are the tenants with the most requests; Failing those with
	// server errors or refused bindings, the most first.
	Loudest, Failing []TenantTotal
}

// TopQuery selects what Top reads.
type TopQuery struct {
	// Actor names who reads ("cli:<user>", or an account id); Operator,
	// when set, is the account that must hold an operator grant.
	Actor    string
	Operator *uuid.UUID
	// Since and Until bound the window; zero means the last hour.
	Since, Until time.Time
	// Limit is the length of each list: 1 to 100.
	Limit int
}

// Top returns the loudest and the failing tenants of the window, on the
// audited platform path.
func (s *Service) Top(ctx context.Context, q TopQuery) (top Top, err error) {
	defer errs.Wrap(&err, "usage: top")
	if strings.TrimSpace(q.Actor) == "" {
		return top, tenant.Errorf(tenant.CodeInternal, "usage read without an actor")
	}
	if q.Limit < 1 || q.Limit > 100 {
		return top, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid limit", Fields: map[string]string{"query.limit": "1 to 100"}}
	}
	if top.Since, top.Until, err = s.window(q.Since, q.Until); err != nil {
		return top, err
	}
	op := store.PlatformOp{Actor: q.Actor, Operator: q.Operator, Action: "usage.top",
		Reason: "an operator reads which organizations are loud or failing",
		Detail: map[string]any{"since": top.Since, "until": top.Until}}
	err = s.store.InPlatform(ctx, op, func(tx *store.PlatformTx) error {
		loud, err := tx.ListLoudestTenants(ctx, store.PlatformListLoudestTenantsParams{Since: top.Since, Until: top.Until, MaxRows: int32(q.Limit)})
		if err != nil {
			return err
		}
		failing, err := tx.ListFailingTenants(ctx, store.PlatformListFailingTenantsParams{Since: top.Since, Until: top.Until, MaxRows: int32(q.Limit)})
		if err != nil {
			return err
		}
		top.Loudest = make([]TenantTotal, 0, len(loud))
		for _, r := range loud {
			top.Loudest = append(top.Loudest, TenantTotal(r))
		}
		top.Failing = make([]TenantTotal, 0, len(failing))
		for _, r := range failing {
			top.Failing = append(top.Failing, TenantTotal(r))
		}
		return nil
	})
	return top, err
}
