package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/dashboard"
	"github.com/tenantkit/tenantkit/idempotency"
	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/internal/report"
	"github.com/tenantkit/tenantkit/internal/telemetry"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/usage"
	"github.com/tenantkit/tenantkit/web/api"
	"github.com/tenantkit/tenantkit/web/route"
	"github.com/tenantkit/tenantkit/web/ui"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config configures the HTTP layer.
type Config struct {
	// BaseDomain is the apex host; tenants are its subdomains. Required.
	BaseDomain string
	// MaxBodyBytes bounds request bodies. Defaults to 1 MiB.
	MaxBodyBytes int64
	// URLs are the public addresses of the apex and the tenants.
	URLs auth.URLs
	// Version is reported in the OpenAPI document.
	Version string
	// Outbox, when set (in development), is shown at /dev/outbox on the
	// apex host.
	Outbox *mailer.Outbox
	// TenantRate is the requests per second one tenant's signed-in members
	// may send (per instance), with bursts of TenantBurst. Defaults to 50
	// and 100; a negative rate disables the limit.
	TenantRate, TenantBurst int
	// TenantInFlight is how many requests of one tenant's members may be
	// in progress at once (per instance); a request takes its slot once
	// its body has arrived. Defaults to 32; negative disables it.
	TenantInFlight int
	// AnonymousRate, AnonymousBurst and AnonymousInFlight are the same
	// limits for a tenant host's other requests (public pages and forms,
	// sign-in, credentials that do not verify for the tenant): a budget of
	// their own, so anonymous traffic cannot use up the members'.
	// Defaults to 20/s, 40 and 16; negative disables.
	AnonymousRate, AnonymousBurst, AnonymousInFlight int
	// TrustedProxies are the load balancers and proxies in front of the
	// server: a request from one of them is from the address it names in
	// X-Forwarded-For. Empty: the connection's peer is the client.
	TrustedProxies []netip.Prefix
	// TracerProvider, when set, traces every request (otelhttp); the
	// request's span gets the tenant, account and request ids once bound.
	TracerProvider trace.TracerProvider
	// JobQueue, when set, is pinged by /readyz beside the database: an
	// instance that works jobs is not ready without its queue.
	JobQueue Pinger
	// Migrations, when set, is asked by /readyz whether the database's
	// schema is the binary's: not current, the instance is not ready.
	Migrations MigrationChecker
	// Usage, when set, counts every request of a tenant host for the
	// per-tenant usage figures (package usage).
	Usage UsageRecorder
	// Collectors are registered beside the server's own metrics (the
	// pool's, the jobs', the mail queue's).
	Collectors []prometheus.Collector
	// Reporter, when set, receives 5xx answers and panics (Sentry, when
	// it has a DSN).
	Reporter *report.Reporter
}

// MigrationChecker reports the migration version the database has and the
// one the binary embeds.
type MigrationChecker interface {
	MigrationVersions(ctx context.Context) (have, want int64, err error)
}

// UsageRecorder counts one request of a tenant: its status, its duration,
// and whether its binding was refused.
type UsageRecorder interface {
	Record(tenantID uuid.UUID, status int, d time.Duration, refused bool)
}

// Deps are the services the HTTP layer calls. Every field is required.
type Deps struct {
	DB          Pinger
	Auth        *auth.Service
	Members     *members.Service
	Tenants     *tenants.Directory
	Catalog     *catalog.Catalog
	Settings    *settings.Service
	Idempotency *idempotency.Keys
	Scheduling  *scheduling.Scheduler
	Requests    *requests.Service
	Dashboard   *dashboard.Service
	// Domains are the firms' custom domains; Support the owners' view of
	// the support access operators hold.
	Domains *tenants.Domains
	Support *tenants.SupportAccess
	// Admin runs the tenant lifecycle for the platform operators'
	// operations (which check their grants in its transactions).
	Admin *tenants.Admin
	// Usage reads the per-tenant usage figures (owners their own,
	// operators every tenant's).
	Usage *usage.Service
	// Now is the clock of the pages (which week a calendar opens on).
	Now func() time.Time
	// CursorKey signs list cursors (see auth.SignatureKeys.Derive).
	CursorKey []byte
	Logger    *slog.Logger
}

// check reports the first missing dependency.
func (d Deps) check() error {
	for name, missing := range map[string]bool{
		"DB": d.DB == nil, "Auth": d.Auth == nil, "Members": d.Members == nil, "Tenants": d.Tenants == nil, "Catalog": d.Catalog == nil, "Settings": d.Settings == nil,
		"Idempotency": d.Idempotency == nil, "Scheduling": d.Scheduling == nil, "Requests": d.Requests == nil, "Dashboard": d.Dashboard == nil, "Now": d.Now == nil,
		"Domains": d.Domains == nil, "Support": d.Support == nil, "Admin": d.Admin == nil, "Usage": d.Usage == nil,
		"CursorKey": len(d.CursorKey) == 0, "Logger": d.Logger == nil,
	} {
		if missing {
			return fmt.Errorf("web: Deps.%s is required", name)
		}
	}
	return nil
}

// Server is tenantkit's HTTP handler. Requests for the apex host and for
// tenant hosts are served by two separate route tables (package route);
// each route is registered with its policy, and each host kind has its own
// OpenAPI document at /api/openapi.json. The JSON operations are package
// api's, the pages package ui's.
type Server struct {
	cfg            Config
	db             Pinger
	auth           *auth.Service
	tenants        *tenants.Directory
	table          *route.Table
	problems       route.Problems
	logger         *slog.Logger
	hosts          *hostResolver
	metrics        *metrics
	securityEvents *ratelimit.Limiter
	limits         *tenantLimits
	h              http.Handler
}

type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	bindRefused *prometheus.CounterVec
	duration    *prometheus.HistogramVec
	flows       *prometheus.HistogramVec
}

// flowOf names the timed flows by the route patterns that run them.
var flowOf = map[string]string{
	"POST /api/auth/login": "sign_in", "POST /login": "sign_in",
	"POST /api/auth/switch": "switch", "POST /switch": "switch",
	"POST /api/auth/handoff": "handoff", "POST /auth/handoff": "handoff",
}

func newMetrics() *metrics {
	m := &metrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tenantkit_http_request_duration_seconds", Help: "HTTP request latency by host kind and status class.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"host", "class"}),
		flows: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tenantkit_auth_flow_duration_seconds", Help: "Duration of sign-in, tenant switch and switch handoff requests by outcome (ok, refused, failed).",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"flow", "outcome"}),
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_http_requests_total", Help: "HTTP requests by host kind and status class.",
		}, []string{"host", "class"}),
		bindRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_binding_refused_total", Help: "Requests whose credentials named another tenant, account or session.",
		}, []string{"reason"}),
	}
	m.registry.MustRegister(m.requests, m.bindRefused, m.duration, m.flows,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// observe records an answered request: its latency by host kind (never
// by tenant), the timed flows, the tenant's usage, and a 5xx to the error
// reporter.
func (s *Server) observe(ctx context.Context, a *access, status int, d time.Duration) {
	host := a.host
	if host == "" {
		host = "unresolved"
	}
	class := statusClass(status)
	s.metrics.duration.WithLabelValues(host, class).Observe(d.Seconds())
	if flow, ok := flowOf[a.route]; ok {
		outcome := "ok"
		switch {
		case status >= 500:
			outcome = "failed"
		case status >= 400:
			outcome = "refused"
		}
		s.metrics.flows.WithLabelValues(flow, outcome).Observe(d.Seconds())
	}
	if status >= 500 && !a.panicked {
		s.cfg.Reporter.ServerError(ctx, a.reportRequest(status))
	}
	if s.cfg.Usage != nil && a.tenantID != uuid.Nil {
		s.cfg.Usage.Record(a.tenantID, status, d, a.refused)
	}
}

// NewServer returns the handler with every route registered. A missing
// dependency is an error: a server without one of its areas would answer
// those routes with 500s.
func NewServer(cfg Config, deps Deps) (*Server, error) {
	if err := deps.check(); err != nil {
		return nil, err
	}
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.TenantRate == 0 {
		cfg.TenantRate, cfg.TenantBurst = 50, 100
	}
	if cfg.TenantInFlight == 0 {
		cfg.TenantInFlight = 32
	}
	if cfg.AnonymousRate == 0 {
		cfg.AnonymousRate, cfg.AnonymousBurst = 20, 40
	}
	if cfg.AnonymousInFlight == 0 {
		cfg.AnonymousInFlight = 16
	}
	s := &Server{
		cfg: cfg, db: deps.DB, auth: deps.Auth, tenants: deps.Tenants, logger: deps.Logger, problems: route.Problems{Logger: deps.Logger},
		metrics:        newMetrics(),
		securityEvents: ratelimit.New(time.Second, 5, 10_000),
		limits: newTenantLimits(limits{cfg.TenantRate, cfg.TenantBurst, cfg.TenantInFlight},
			limits{cfg.AnonymousRate, cfg.AnonymousBurst, cfg.AnonymousInFlight}),
	}
	for _, c := range cfg.Collectors {
		if err := s.metrics.registry.Register(c); err != nil {
			return nil, fmt.Errorf("web: register collector: %w", err)
		}
	}
	s.hosts = newHostResolver(cfg.BaseDomain, deps.Tenants)
	deps.Tenants.Watch(s.hosts.forget)
	deps.Tenants.WatchHosts(s.hosts.forgetHost)
	s.table = route.NewTable(route.TableConfig{
		Binder: s, Version: cfg.Version, BaseDomain: cfg.BaseDomain, Cursors: route.NewCursors(deps.CursorKey),
		Idempotency: deps.Idempotency, Logger: deps.Logger,
	})
	api.Register(s.table, api.Deps{
		Auth: deps.Auth, Members: deps.Members, Catalog: deps.Catalog, Settings: deps.Settings, Scheduling: deps.Scheduling, Requests: deps.Requests, URLs: cfg.URLs,
		Domains: deps.Domains, Support: deps.Support, Admin: deps.Admin, Usage: deps.Usage,
	})
	ui.Register(s.table, ui.Deps{
		Auth: deps.Auth, Members: deps.Members, Requests: deps.Requests, Catalog: deps.Catalog, Settings: deps.Settings,
		Scheduling: deps.Scheduling, Dashboard: deps.Dashboard, Domains: deps.Domains, Support: deps.Support, Now: deps.Now,
		Outbox: cfg.Outbox, Refused: s.refused, Logger: deps.Logger,
	})
	// Served ahead of host resolution, on any host.
	s.table.Add(route.Route{Host: "any", Method: http.MethodGet, Path: "/healthz", Policy: route.Public})
	s.table.Add(route.Route{Host: "any", Method: http.MethodGet, Path: "/readyz", Policy: route.Public})

	csrf := http.NewCrossOriginProtection()
	// A switch's handoff is posted to the target host by a page of the
	// host that asked for it: cross-origin by design. The identity service
	// accepts it from that origin alone (auth.Service.RedeemHandoff).
	csrf.AddInsecureBypassPattern("POST /auth/handoff")
	csrf.AddInsecureBypassPattern("POST /api/auth/handoff")
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.problems.Write(w, r, &tenant.Error{Code: tenant.CodeForbidden, Message: "cross-origin request refused"})
	}))
	var h http.Handler = http.HandlerFunc(s.dispatch)
	h = csrf.Handler(h)
	h = withStrippedHeaders(h)
	h = withBodyLimit(cfg.MaxBodyBytes, h)
	h = withSecurityHeaders(cfg.BaseDomain, h)
	h = withRecover(deps.Logger, cfg.Reporter, h)
	h = withAccessLog(deps.Logger, s.observe, h)
	h = withRequestID(deps.Logger, h)
	if cfg.TracerProvider != nil {
		h = otelhttp.NewHandler(h, "tenantkit", otelhttp.WithTracerProvider(cfg.TracerProvider),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
	}
	s.h = h
	return s, nil
}

// Routes returns the route table: every route with its declaration.
func (s *Server) Routes() []route.Route { return s.table.Routes() }

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

// MetricsHandler serves the server's Prometheus metrics; mount it on a
// listener that only operators reach.
func (s *Server) MetricsHandler() http.Handler {
	return promhttp.HandlerFor(s.metrics.registry, promhttp.HandlerOpts{})
}

// dispatch serves health checks on any host, then resolves the host and
// hands the request to the route table of its kind.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	a := accessFrom(r.Context())
	if a == nil {
		a = &access{}
	}
	switch r.URL.Path {
	case "/healthz":
		a.route, a.host = "GET /healthz", "any"
		s.handleHealth(w, r)
		return
	case "/readyz":
		a.route, a.host = "GET /readyz", "any"
		s.handleReady(w, r)
		return
	}
	h, err := s.hosts.resolve(r.Context(), r.Host)
	if err != nil {
		s.problems.Write(w, r, err)
		return
	}
	a.host = h.Kind.String()
	if h.Kind == route.TenantHost && !h.Tenant.Active() {
		a.tenantID = h.Tenant.ID
		// The database refuses the tenant's rows on its own (the
		// tenant_active policies); this is the answer its visitors read.
		err := &tenant.Error{Code: tenant.CodeForbidden, Message: "this workspace is suspended"}
		if route.WantsHTML(r) {
			s.table.PageError(w, r.WithContext(route.WithHost(r.Context(), h)), err)
			return
		}
		s.problems.Write(w, r, err)
		return
	}
	if h.Kind == route.TenantHost {
		trace.SpanFromContext(r.Context()).SetAttributes(telemetry.TenantID.String(h.Tenant.ID.String()))
		a.tenantID = h.Tenant.ID
	}
	ctx := route.WithHost(r.Context(), h)
	ctx = route.WithClient(ctx, s.clientMeta(r))
	r = r.WithContext(ctx)
	// The mux sets the pattern it matched on the request it was given;
	// read it even when the handler panics.
	defer func() { a.route = r.Pattern }()
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if h.Kind == route.ApexHost {
		s.table.Mux(route.ApexHost).ServeHTTP(rec, r)
	} else {
		s.limited(rec, r, h.Tenant.ID, s.table.Mux(route.TenantHost))
	}
	s.metrics.requests.WithLabelValues(h.Kind.String(), statusClass(rec.status)).Inc()
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func statusClass(code int) string {
	return []string{"1xx", "2xx", "3xx", "4xx", "5xx"}[min(max(code/100, 1), 5)-1]
}

// handleHealth answers liveness: the process serves HTTP.
func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReady answers readiness: the database (and the job queue, when
// this instance works jobs) answers within a second.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.problems.Write(w, r, &tenant.Error{Code: tenant.CodeUnavailable, Message: "the database is unavailable", Err: err})
		return
	}
	body := map[string]string{"status": "ready"}
	if s.cfg.JobQueue != nil {
		if err := s.cfg.JobQueue.Ping(ctx); err != nil {
			s.problems.Write(w, r, &tenant.Error{Code: tenant.CodeUnavailable, Message: "the job queue is unavailable", Err: err})
			return
		}
		body["jobs"] = "ok"
	}
	if s.cfg.Migrations != nil {
		have, want, err := s.cfg.Migrations.MigrationVersions(ctx)
		if err != nil {
			s.problems.Write(w, r, &tenant.Error{Code: tenant.CodeUnavailable, Message: "the migration version is unreadable", Err: err})
			return
		}
		if have != want {
			// Not a problem document of the store's: the reason names both
			// versions, which an operator needs and a client learns
			// nothing from.
			w.Header().Set("Retry-After", "5")
			writeProblemJSON(w, http.StatusServiceUnavailable, map[string]any{
				"type": "about:blank", "title": http.StatusText(http.StatusServiceUnavailable), "status": http.StatusServiceUnavailable,
				"detail":   fmt.Sprintf("the database schema is at migration %d, this binary expects %d", have, want),
				"reason":   "migrations_not_current",
				"instance": route.InstanceOf(r.Context()),
			})
			return
		}
		body["migrations"] = "current"
	}
	writeJSON(w, http.StatusOK, body)
}

func writeProblemJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
