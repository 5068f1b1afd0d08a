// Package app is tenantkit assembled: the store, the identity and domain
// services, the mail queue and the HTTP server, wired in one place. The
// binary (cmd/tenantkit) opens one from its environment; the tests that
// boot the whole server open one over a test database with the options
// they need (a clock of their own, a listener on a random port, cheap
// password hashes). Nothing else builds the services, so no harness can
// leave an area unwired.
//
// An App is opened with [Open], served with [App.Serve] until its context
// ends (then it drains), and released with [App.Close].
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/getsentry/sentry-go"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"

	"github.com/jackc/pgx/v5"
	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/dashboard"
	"github.com/tenantkit/tenantkit/idempotency"
	"github.com/tenantkit/tenantkit/internal/report"
	"github.com/tenantkit/tenantkit/internal/telemetry"
	"github.com/tenantkit/tenantkit/jobs"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/mailer/tenantmail"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/usage"
	"github.com/tenantkit/tenantkit/web"
)

// Config is what an App needs to run. The binary fills it from the
// environment (see cmd/tenantkit).
type Config struct {
	// DatabaseURL connects as the app role; PlatformDatabaseURL as the
	// platform role. Required.
	DatabaseURL, PlatformDatabaseURL string
	// JobsDatabaseURL connects as the jobs role: with it, Serve also works
	// the background jobs (mail, purges) and runs the periodic ones.
	// Empty: jobs are still inserted with the changes that cause them, but
	// this instance works none of them.
	JobsDatabaseURL string
	// JobWorkers is how many jobs run at once. Defaults to 4.
	JobWorkers int
	// Addr is the listen address, unless WithListener gives a listener.
	Addr string
	// BaseDomain is the apex domain; tenants live at {slug}.{BaseDomain}.
	// Required.
	BaseDomain string
	// PublicURL is the apex as users reach it; links in mail and switch
	// handoffs are built from it, never from a request's Host. Defaults to
	// https://{BaseDomain}, or in Dev http://{BaseDomain}:{listen port}.
	PublicURL string
	// SessionKeys and TenantSigKeys are the key sets of session tokens and
	// of the signed tenant cookie ("kid:base64,…"). Required.
	SessionKeys, TenantSigKeys string
	// Dev keeps mail in an in-memory outbox shown at /dev/outbox on the
	// apex host, instead of sending it. Never outside development: the
	// page is public and mail holds one-time links.
	Dev bool
	// SMTP delivers mail when its Host is set; without it (and outside
	// Dev) mail is logged as not sent.
	SMTP mailer.SMTPConfig
	// MaxBodyBytes bounds request bodies. Defaults to 1 MiB.
	MaxBodyBytes int64
	// TenantRate, TenantBurst and TenantInFlight are the per-tenant limits
	// of each instance on the requests of signed-in members (see
	// web.Config). Defaults to 50/s, 100 and 32; negative disables.
	TenantRate, TenantBurst, TenantInFlight int
	// AnonymousRate, AnonymousBurst and AnonymousInFlight are the
	// per-tenant limits on every other request of a tenant host, a budget
	// apart from the members'. Defaults to 20/s, 40 and 16; negative
	// disables.
	AnonymousRate, AnonymousBurst, AnonymousInFlight int
	// SharedLimits makes the per-tenant limits above hold for the whole
	// deployment rather than for each instance: every instance announces
	// itself in the database each HeartbeatInterval, counts the instances
	// seen within three intervals, and takes that share of each limit.
	// No request reads the database for it. With an even spread of a
	// tenant's requests over N instances the deployment admits at most
	// the configured rate, plus bursts and in-flight caps rounded up (at
	// most N-1 more); for one interval after an instance starts, at most
	// 1/(N+1) of the rate more; an uneven spread admits less, never more.
	// Defaults to false: each instance holds the whole limits.
	SharedLimits bool
	// HeartbeatInterval is how often an instance announces itself with
	// SharedLimits. Defaults to 2s.
	HeartbeatInterval time.Duration
	// TrustedProxies are the proxies in front of the server.
	TrustedProxies []netip.Prefix
	// DBMaxConns sizes the app pool (0: pgx's default).
	DBMaxConns int32
	// DBCheckConnections verifies on every acquire that a pooled
	// connection carries no tenant setting.
	DBCheckConnections bool
	// StatementTimeout bounds each statement of a request's transactions,
	// LockTimeout each of their waits for a lock; past either the request
	// fails with 503 and Retry-After and its connection is free again (see
	// store.Config). Defaults to 10s and 5s; negative: the app role's own
	// settings.
	StatementTimeout, LockTimeout time.Duration
	// PasswordHashConcurrency bounds the password hashes run at once (0:
	// half the CPUs, at least one), and PasswordHashRate the hashes
	// started per second (0: a tenth of the CPUs' time, from the measured
	// cost of one hash; negative: unbounded, for tests with cheap
	// parameters). See password.Budget.
	PasswordHashConcurrency int
	PasswordHashRate        float64
	// MetricsAddr serves Prometheus metrics on a listener of its own;
	// empty: off.
	MetricsAddr string
	// OTLPEndpoint traces every request and statement over OTLP/HTTP;
	// empty: off (unless WithTracerProvider gives a provider).
	OTLPEndpoint string
	// ShutdownTimeout bounds the drain when Serve's context ends.
	// Defaults to 25s.
	ShutdownTimeout time.Duration
	// Version is reported in the OpenAPI documents.
	Version string
	// SentryDSN, when set, reports 5xx answers and panics to Sentry,
	// tagged with the tenant, account and request id and scrubbed of
	// credentials, query strings and bodies. Empty: they are logged only.
	SentryDSN string
	// SentryEnvironment names the environment of the events.
	SentryEnvironment string
	// UsageFlushInterval is how often the per-tenant usage measured in
	// memory is written to the database (and once at shutdown). Defaults
	// to 30s.
	UsageFlushInterval time.Duration
}

// An Option changes how Open builds an App.
type Option func(*options)

type options struct {
	now      func() time.Time
	listener net.Listener
	logger   *slog.Logger
	params   password.Params
	sender   mailer.Sender
	tracer   trace.TracerProvider
	resolver tenants.Resolver
	queries  pgx.QueryTracer
	report   sentry.Transport
	// storeConfig, when set, adjusts the store's configuration (the
	// benchmark's baseline, app/baseline.go).
	storeConfig func(*store.Config)
}

// WithClock makes every service read the time from now. Defaults to
// time.Now; tests give a clock they set.
func WithClock(now func() time.Time) Option { return func(o *options) { o.now = now } }

// WithListener serves on ln instead of listening on Config.Addr.
func WithListener(ln net.Listener) Option { return func(o *options) { o.listener = ln } }

// WithLogger logs to logger. Defaults to one that discards.
func WithLogger(logger *slog.Logger) Option { return func(o *options) { o.logger = logger } }

// WithPasswordParams hashes passwords with p. Defaults to
// password.DefaultParams.
func WithPasswordParams(p password.Params) Option { return func(o *options) { o.params = p } }

// WithSender delivers mail through s (behind the mail queue) instead of
// the outbox or SMTP.
func WithSender(s mailer.Sender) Option { return func(o *options) { o.sender = s } }

// WithQueryTracer shows every statement, batch and prepare of the app
// pool to t (pgx's tracer interfaces), besides any tracing.
func WithQueryTracer(t pgx.QueryTracer) Option { return func(o *options) { o.queries = t } }

// WithTracerProvider traces requests and statements with tp.
func WithTracerProvider(tp trace.TracerProvider) Option { return func(o *options) { o.tracer = tp } }

// WithResolver looks up the TXT records that verify custom domains with r.
// Defaults to net.DefaultResolver; tests give a fake.
func WithResolver(r tenants.Resolver) Option { return func(o *options) { o.resolver = r } }

// WithReportTransport sends error reports through t instead of over the
// network (tests). Reports are sent only with Config.SentryDSN set.
func WithReportTransport(t sentry.Transport) Option { return func(o *options) { o.report = t } }

// App is a running tenantkit.
type App struct {
	// Now is the clock the services read.
	Now func() time.Time
	// URLs are the public addresses the App builds links from.
	URLs  auth.URLs
	Store *store.Store
	Auth  *auth.Service
	Web   *web.Server
	// Outbox holds the mail sent, in Dev.
	Outbox *mailer.Outbox
	// Mail is the queue every message leaves through.
	Mail *mailer.Queue
	// Tenants runs the tenant lifecycle on the platform path; its changes
	// reach the server's host cache at once.
	Tenants *tenants.Admin
	// Jobs works the background jobs while Serve runs; nil without
	// Config.JobsDatabaseURL.
	Jobs *jobs.Runner
	// Usage measures each tenant's requests and, while Serve runs, writes
	// them to the usage table.
	Usage *usage.Service
	// Reporter sends errors to Sentry when configured.
	Reporter *report.Reporter

	cfg      Config
	logger   *slog.Logger
	server   *http.Server
	listener net.Listener
	metrics  *http.Server
	tracing  *sdktrace.TracerProvider
}

func (c Config) check() error {
	var errs []error
	for name, missing := range map[string]bool{
		"DatabaseURL": c.DatabaseURL == "", "PlatformDatabaseURL": c.PlatformDatabaseURL == "", "BaseDomain": c.BaseDomain == "",
		"SessionKeys": c.SessionKeys == "", "TenantSigKeys": c.TenantSigKeys == "",
	} {
		if missing {
			errs = append(errs, fmt.Errorf("app: Config.%s is required", name))
		}
	}
	return errors.Join(errs...)
}

// Open connects the store, builds the services and the HTTP server, and
// binds the listener. The App must be closed.
func Open(ctx context.Context, cfg Config, opts ...Option) (*App, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	o := options{now: time.Now, logger: slog.New(slog.DiscardHandler), params: password.DefaultParams}
	for _, f := range opts {
		f(&o)
	}
	if cfg.ShutdownTimeout <= 0 {
		cfg.ShutdownTimeout = 25 * time.Second
	}
	if cfg.StatementTimeout == 0 {
		cfg.StatementTimeout = 10 * time.Second
	}
	if cfg.LockTimeout == 0 {
		cfg.LockTimeout = 5 * time.Second
	}
	if cfg.HeartbeatInterval <= 0 {
		cfg.HeartbeatInterval = 2 * time.Second
	}
	ln := o.listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return nil, fmt.Errorf("listen: %w", err)
		}
	}
	a, err := open(ctx, cfg, o, ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return a, nil
}

func open(ctx context.Context, cfg Config, o options, ln net.Listener) (_ *App, err error) {
	sessionKeys, err := auth.ParseSessionKeys(cfg.SessionKeys)
	if err != nil {
		return nil, err
	}
	sigKeys, err := auth.ParseSignatureKeys(cfg.TenantSigKeys)
	if err != nil {
		return nil, err
	}
	urls, err := publicURLs(cfg, ln)
	if err != nil {
		return nil, err
	}
	a := &App{Now: o.now, URLs: urls, cfg: cfg, logger: o.logger, listener: ln}
	defer func() {
		if err != nil {
			a.Close(ctx)
		}
	}()
	tp := o.tracer
	if tp == nil && cfg.OTLPEndpoint != "" {
		if a.tracing, err = telemetry.FromEnvironment(ctx, func(k string) string {
			if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
				return cfg.OTLPEndpoint
			}
			return ""
		}, "tenantkit", cfg.Version); err != nil {
			return nil, fmt.Errorf("tracing: %w", err)
		}
		tp = a.tracing
	}
	storeCfg := store.Config{
		TracerProvider: tp, QueryTracer: o.queries, AppURL: cfg.DatabaseURL, PlatformURL: cfg.PlatformDatabaseURL,
		JobsURL:  cfg.JobsDatabaseURL,
		MaxConns: cfg.DBMaxConns, CheckConnections: cfg.DBCheckConnections, Logger: o.logger,
		StatementTimeout: cfg.StatementTimeout, LockTimeout: cfg.LockTimeout,
	}
	if o.storeConfig != nil {
		o.storeConfig(&storeCfg)
	}
	if a.Store, err = store.Open(ctx, storeCfg); err != nil {
		return nil, err
	}
	sender := o.sender
	switch {
	case cfg.Dev:
		a.Outbox = mailer.NewOutbox(200, o.now)
		if sender == nil {
			sender = a.Outbox
		}
	case sender != nil:
	case cfg.SMTP.Host != "":
		sender = mailer.NewSMTP(cfg.SMTP)
	default:
		o.logger.WarnContext(ctx, "no SMTP server is configured (SMTP_HOST): invitations, password resets and public form confirmations are not mailed")
		sender = mailer.Discard{Logger: o.logger}
	}
	metrics := newAppMetrics()
	sender = countingSender{next: sender, metrics: metrics}
	// Mail leaves through a queue, off every request's path: an answer
	// that mails takes the time of one that does not. The queue's worker
	// records each tenant's mail (an invitation, a public form's
	// confirmation) in that tenant's delivery log with the real result,
	// through the store's tenant path in the scope the request queued it
	// with; a password reset is account mail and goes unrecorded.
	a.Mail = mailer.NewQueue(tenantmail.Logged{Next: sender, Store: a.Store, Now: o.now, Logger: o.logger}, 1000, o.logger)
	reqs := requests.New(a.Store, requests.Config{Now: o.now, Mailer: a.Mail, Link: urls.Tenant, Logger: o.logger})
	if cfg.JobsDatabaseURL != "" {
		// A job is already off the request path: it sends through the
		// sender itself, so a failed delivery fails the job and River
		// retries it.
		if a.Jobs, err = jobs.New(jobs.Config{
			Store: a.Store, Sender: sender, Now: o.now, Logger: o.logger, Workers: cfg.JobWorkers, Observe: metrics.observeJob,
			Occurrences: reqs.MakeDueOccurrences,
		}); err != nil {
			return nil, err
		}
	}
	hasher := password.NewHasher(o.params, password.Budget{Concurrency: cfg.PasswordHashConcurrency, PerSecond: cfg.PasswordHashRate})
	o.logger.InfoContext(ctx, "password hashing budget", "hashes_per_second", hasher.PerSecond(), "at_once", hasher.Concurrency())
	a.Auth = auth.NewService(auth.Config{
		Store:  a.Store,
		Hasher: hasher,
		Tokens: auth.NewTokens(sessionKeys, urls.Apex(""), o.now),
		Signer: auth.NewSigner(sigKeys, o.now),
		Mailer: a.Mail,
		URLs:   urls,
		Logger: o.logger,
		Now:    o.now,
	})
	var jobQueue web.Pinger
	if a.Jobs != nil {
		jobQueue = pingFunc(a.Store.PingJobs)
	}
	a.Usage = usage.New(usage.Config{Store: a.Store, Now: o.now, Interval: cfg.UsageFlushInterval, Logger: o.logger})
	if a.Reporter, err = report.New(report.Config{
		DSN: cfg.SentryDSN, Environment: cfg.SentryEnvironment, Release: cfg.Version, Transport: o.report,
	}); err != nil {
		return nil, err
	}
	directory := tenants.New(a.Store)
	a.Tenants = tenants.NewAdmin(a.Store, directory, o.now)
	if a.Web, err = web.NewServer(web.Config{
		BaseDomain: cfg.BaseDomain, MaxBodyBytes: cfg.MaxBodyBytes, URLs: urls, Version: cfg.Version, Outbox: a.Outbox,
		TrustedProxies: cfg.TrustedProxies, TenantRate: cfg.TenantRate, TenantBurst: cfg.TenantBurst,
		TenantInFlight: cfg.TenantInFlight, AnonymousRate: cfg.AnonymousRate, AnonymousBurst: cfg.AnonymousBurst,
		AnonymousInFlight: cfg.AnonymousInFlight, TracerProvider: tp, JobQueue: jobQueue,
		Migrations: migrations{a.Store}, Usage: a.Usage.Meter(), Collectors: metrics.collectors(a.Store), Reporter: a.Reporter,
	}, web.Deps{
		DB:   a.Store,
		Auth: a.Auth,
		Members: members.New(members.Config{
			Store: a.Store, Mailer: a.Mail, Link: urls.Tenant, Now: o.now, Logger: o.logger,
		}),
		Tenants:     directory,
		Catalog:     catalog.New(a.Store, o.now),
		Settings:    settings.New(a.Store),
		Idempotency: idempotency.New(a.Store, o.now),
		Scheduling:  scheduling.New(a.Store, o.now),
		Requests:    reqs,
		Dashboard:   dashboard.New(a.Store, o.now),
		Domains: tenants.NewDomains(tenants.DomainsConfig{
			Store: a.Store, Directory: directory, Resolver: o.resolver, BaseDomain: cfg.BaseDomain, Now: o.now,
		}),
		Support:   tenants.NewSupportAccess(a.Store),
		Admin:     a.Tenants,
		Usage:     a.Usage,
		Now:       o.now,
		CursorKey: sigKeys.Derive("cursor"),
		Logger:    o.logger,
	}); err != nil {
		return nil, err
	}
	a.server = &http.Server{
		Handler:           a.Web,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(o.logger.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if cfg.MetricsAddr != "" {
		a.metrics = &http.Server{Addr: cfg.MetricsAddr, Handler: operatorHandler(a.Web.MetricsHandler()), ReadHeaderTimeout: 5 * time.Second}
	}
	return a, nil
}

// operatorHandler serves the metrics listener: the metrics on every path,
// and Go's profiles under /debug/pprof/ (CPU, heap, goroutines, traces).
// Only there: the public listener never serves a profile. (Not a route
// table: nothing here is a tenant's or the public's.)
func operatorHandler(metrics http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch p := r.URL.Path; {
		case p == "/debug/pprof/cmdline":
			pprof.Cmdline(w, r)
		case p == "/debug/pprof/profile":
			pprof.Profile(w, r)
		case p == "/debug/pprof/symbol":
			pprof.Symbol(w, r)
		case p == "/debug/pprof/trace":
			pprof.Trace(w, r)
		case strings.HasPrefix(p, "/debug/pprof/"):
			pprof.Index(w, r)
		default:
			metrics.ServeHTTP(w, r)
		}
	})
}

// pingFunc is a web.Pinger of a function.
type pingFunc func(context.Context) error

func (f pingFunc) Ping(ctx context.Context) error { return f(ctx) }

// publicURLs returns the public addresses: cfg.PublicURL, else
// https://{BaseDomain}, or in Dev the plain-HTTP address on the listen
// port.
func publicURLs(cfg Config, ln net.Listener) (auth.URLs, error) {
	switch {
	case cfg.PublicURL != "":
		u, err := url.Parse(cfg.PublicURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return auth.URLs{}, fmt.Errorf("app: public URL %q: want scheme://host[:port]", cfg.PublicURL)
		}
		return auth.URLs{Scheme: u.Scheme, Host: u.Host}, nil
	case cfg.Dev:
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		return auth.URLs{Scheme: "http", Host: net.JoinHostPort(cfg.BaseDomain, port)}, nil
	}
	return auth.URLs{Scheme: "https", Host: cfg.BaseDomain}, nil
}

// Addr returns the address the server listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve serves, and works the background jobs when the App has a runner,
// until ctx ends, then drains in-flight requests, jobs and queued mail for
// at most the shutdown timeout.
func (a *App) Serve(ctx context.Context) error {
	if a.Jobs != nil {
		if err := a.Jobs.Start(context.WithoutCancel(ctx)); err != nil {
			return err
		}
	}
	shared := make(chan struct{})
	if a.cfg.SharedLimits {
		sctx, stop := context.WithCancel(ctx)
		defer func() { stop(); <-shared }()
		go a.shareLimits(sctx, shared)
	} else {
		close(shared)
	}
	uctx, stopUsage := context.WithCancel(context.WithoutCancel(ctx))
	usageDone := make(chan struct{})
	go func() {
		defer close(usageDone)
		a.Usage.Run(uctx)
	}()
	defer func() {
		// The last figures are written once no request is left.
		stopUsage()
		<-usageDone
		a.Reporter.Flush(2 * time.Second)
	}()
	errc := make(chan error, 2)
	go func() { errc <- a.server.Serve(a.listener) }()
	if a.metrics != nil {
		go func() {
			if err := a.metrics.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- fmt.Errorf("metrics listener: %w", err)
			}
		}()
	}
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down", slog.Duration("drain", a.cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if a.metrics != nil {
		_ = a.metrics.Shutdown(sctx)
	}
	if err := a.server.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if a.Jobs != nil {
		// Jobs in progress finish, or go back to be worked again.
		if err := a.Jobs.Stop(sctx); err != nil {
			a.logger.Warn("jobs stopped before they finished", slog.Any("error", err))
		}
	}
	if err := a.Mail.Close(sctx); err != nil {
		a.logger.Warn("mail left in the queue at shutdown", slog.Any("error", err))
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close releases the store and the listener, stops the mail queue and
// flushes the traces, waiting for the queue and the traces at most until
// ctx ends (and never more than 5 seconds).
func (a *App) Close(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if a.Mail != nil {
		_ = a.Mail.Close(ctx)
	}
	if a.Jobs != nil {
		a.Jobs.Close(ctx)
	}
	if a.Store != nil {
		a.Store.Close()
	}
	_ = a.listener.Close()
	if a.tracing != nil {
		_ = a.tracing.Shutdown(ctx)
	}
}
