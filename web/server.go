package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/netip"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/idempotency"
	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/internal/telemetry"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
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
	// TenantRate is the requests per second one tenant may send (per
	// instance), with bursts of TenantBurst. Defaults to 50 and 100; a
	// negative rate disables the limit.
	TenantRate, TenantBurst int
	// TenantInFlight is how many requests of one tenant may be in progress
	// at once (per instance). Defaults to 32; negative disables it.
	TenantInFlight int
	// TrustedProxies are the load balancers and proxies in front of the
	// server: a request from one of them is from the address it names in
	// X-Forwarded-For. Empty: the connection's peer is the client.
	TrustedProxies []netip.Prefix
	// TracerProvider, when set, traces every request (otelhttp); the
	// request's span gets the tenant, account and request ids once bound.
	TracerProvider trace.TracerProvider
}

// Deps are the services the HTTP layer calls.
type Deps struct {
	DB          Pinger
	Auth        *auth.Service
	Catalog     *catalog.Catalog
	Settings    *settings.Service
	Idempotency *idempotency.Keys
	Scheduling  *scheduling.Scheduler
	Requests    *requests.Service
	// CursorKey signs list cursors (see auth.SignatureKeys.Derive).
	CursorKey []byte
	Logger    *slog.Logger
}

// Server is tenantkit's HTTP handler. Requests for the apex host and for
// tenant hosts are served by two separate route tables; each route is
// registered with its policy (see [Policy]) and each host kind has its own
// OpenAPI document at /api/openapi.json.
type Server struct {
	cfg            Config
	db             Pinger
	auth           *auth.Service
	catalog        *catalog.Catalog
	settings       *settings.Service
	idem           *idempotency.Keys
	scheduling     *scheduling.Scheduler
	requests       *requests.Service
	cursors        cursorCodec
	logger         *slog.Logger
	hosts          *hostResolver
	tenantMux      *http.ServeMux
	apexMux        *http.ServeMux
	tenantAPI      *hostAPI
	platformAPI    *hostAPI
	routes         []Route
	metrics        *metrics
	securityEvents *ratelimit.Limiter
	limits         *tenantLimits
	h              http.Handler
}

type metrics struct {
	registry    *prometheus.Registry
	requests    *prometheus.CounterVec
	bindRefused *prometheus.CounterVec
}

func newMetrics() *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_http_requests_total", Help: "HTTP requests by host kind and status class.",
		}, []string{"host", "class"}),
		bindRefused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_binding_refused_total", Help: "Requests whose credentials named another tenant, account or session.",
		}, []string{"reason"}),
	}
	m.registry.MustRegister(m.requests, m.bindRefused)
	return m
}

// NewServer returns the handler with every route registered.
func NewServer(cfg Config, deps Deps) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	if cfg.TenantRate == 0 {
		cfg.TenantRate, cfg.TenantBurst = 50, 100
	}
	if cfg.TenantInFlight == 0 {
		cfg.TenantInFlight = 32
	}
	s := &Server{
		cfg: cfg, db: deps.DB, auth: deps.Auth, catalog: deps.Catalog, settings: deps.Settings, idem: deps.Idempotency,
		scheduling: deps.Scheduling,
		cursors:    cursorCodec{key: deps.CursorKey}, logger: deps.Logger,
		tenantMux: http.NewServeMux(), apexMux: http.NewServeMux(),
		metrics:        newMetrics(),
		securityEvents: ratelimit.New(time.Second, 5, 10_000),
		limits:         newTenantLimits(cfg.TenantRate, cfg.TenantBurst, cfg.TenantInFlight),
		requests:       deps.Requests,
	}
	s.hosts = newHostResolver(cfg.BaseDomain, deps.Auth)
	s.tenantAPI = s.newAPI(hostTenant, s.tenantMux, "tenantkit tenant API",
		"The API of one organization, served on its own host ({slug}."+cfg.BaseDomain+"). "+
			"Every operation declares x-tenancy (public, tenant) and x-min-role.")
	s.platformAPI = s.newAPI(hostApex, s.apexMux, "tenantkit platform API",
		"The API of the platform host ("+cfg.BaseDomain+"): sign-in and the organization picker.")
	installProblemFormat()
	s.registerAuth()
	s.registerMembers()
	s.registerServices()
	s.registerSettings()
	s.registerScheduling()
	s.registerRequests()
	s.registerPages()
	// Served ahead of host resolution, on any host.
	s.routes = append(s.routes,
		Route{Host: "any", Method: http.MethodGet, Path: "/healthz", Policy: Public},
		Route{Host: "any", Method: http.MethodGet, Path: "/readyz", Policy: Public})

	csrf := http.NewCrossOriginProtection()
	// A switch's handoff is posted to the target host by a page of the
	// host that asked for it: cross-origin by design. The identity service
	// accepts it from that origin alone (auth.Service.RedeemHandoff).
	csrf.AddInsecureBypassPattern("POST /auth/handoff")
	csrf.AddInsecureBypassPattern("POST /api/auth/handoff")
	csrf.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblemError(w, r, &tenant.Error{Code: tenant.CodeForbidden, Message: "cross-origin request refused"})
	}))
	var h http.Handler = http.HandlerFunc(s.dispatch)
	h = csrf.Handler(h)
	h = withStrippedHeaders(h)
	h = withBodyLimit(cfg.MaxBodyBytes, h)
	h = withSecurityHeaders(cfg.BaseDomain, h)
	h = withRecover(deps.Logger, h)
	h = withRequestID(deps.Logger, h)
	if cfg.TracerProvider != nil {
		h = otelhttp.NewHandler(h, "tenantkit", otelhttp.WithTracerProvider(cfg.TracerProvider),
			otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return r.Method + " " + r.URL.Path }))
	}
	s.h = h
	return s
}

func (s *Server) newAPI(kind hostKind, mux *http.ServeMux, title, description string) *hostAPI {
	config := huma.DefaultConfig(title, s.cfg.Version)
	config.Info.Description = description
	config.OpenAPIPath = "/api/openapi"
	// The reference page is ours (pages.go): the vendored Redoc, no CDN.
	config.DocsPath = ""
	config.SchemasPath = "/api/schemas"
	// No $schema fields or Link headers in responses.
	config.CreateHooks = nil
	return &hostAPI{API: humago.New(mux, config), kind: kind, mux: mux}
}

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
	switch r.URL.Path {
	case "/healthz":
		s.handleHealth(w, r)
		return
	case "/readyz":
		s.handleReady(w, r)
		return
	}
	h, err := s.hosts.resolve(r.Context(), r.Host)
	if err != nil {
		s.writeProblemError(w, r, err)
		return
	}
	if h.kind == hostTenant && h.tenant.Status != "active" {
		s.writeProblemError(w, r, &tenant.Error{Code: tenant.CodeForbidden, Message: "this organization is suspended"})
		return
	}
	if h.kind == hostTenant {
		trace.SpanFromContext(r.Context()).SetAttributes(telemetry.TenantID.String(h.tenant.ID.String()))
	}
	ctx := withHost(r.Context(), h)
	ctx = context.WithValue(ctx, metaKey{}, s.clientMeta(r))
	r = r.WithContext(ctx)
	rec := &statusRecorder{ResponseWriter: w, status: http.StatusOK}
	if h.kind == hostApex {
		s.apexMux.ServeHTTP(rec, r)
	} else {
		s.limited(rec, r, h.tenant.ID, s.tenantMux)
	}
	s.metrics.requests.WithLabelValues(h.kind.String(), statusClass(rec.status)).Inc()
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

// handleReady answers readiness: the database answers within a second.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), time.Second)
	defer cancel()
	if err := s.db.Ping(ctx); err != nil {
		s.writeProblemError(w, r, &tenant.Error{Code: tenant.CodeUnavailable, Message: "the database is unavailable", Err: err})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
