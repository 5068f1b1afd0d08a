package main

import (
	"context"

	"errors"
	"fmt"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/internal/assemble"
	"github.com/tenantkit/tenantkit/internal/telemetry"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/web"
)

// App is a running tenantkit: the store, the services and the HTTP server
// on its listener. Tests boot it on 127.0.0.1:0 and read Addr.
type App struct {
	// Now is the clock the services read.
	Now      func() time.Time
	cfg      Config
	logger   *slog.Logger
	Store    *store.Store
	Auth     *auth.Service
	Outbox   *mailer.Outbox
	Web      *web.Server
	server   *http.Server
	listener net.Listener
	metrics  *http.Server
	tracing  *sdktrace.TracerProvider
	mail     *mailer.Queue
}

// OpenApp audits the database, connects the store, builds the services and
// binds the listener.
func OpenApp(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := auditAtBoot(ctx, cfg.DatabaseURL, logger); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if cfg.PublicURL == "" && cfg.dev {
		_, port, _ := net.SplitHostPort(ln.Addr().String())
		cfg.PublicURL = "http://" + net.JoinHostPort(cfg.BaseDomain, port)
	}
	a, err := openApp(ctx, cfg, logger, ln)
	if err != nil {
		ln.Close()
		return nil, err
	}
	return a, nil
}

func openApp(ctx context.Context, cfg Config, logger *slog.Logger, ln net.Listener) (*App, error) {
	if cfg.now == nil {
		cfg.now = time.Now
	}
	sessionKeys, err := auth.ParseSessionKeys(cfg.SessionKeys)
	if err != nil {
		return nil, err
	}
	sigKeys, err := auth.ParseSignatureKeys(cfg.TenantSigKeys)
	if err != nil {
		return nil, err
	}
	var tracing *sdktrace.TracerProvider
	var tp trace.TracerProvider
	if cfg.OTLPEndpoint != "" {
		if tracing, err = telemetry.FromEnvironment(ctx, func(k string) string {
			if k == "OTEL_EXPORTER_OTLP_ENDPOINT" {
				return cfg.OTLPEndpoint
			}
			return ""
		}, "tenantkit", version); err != nil {
			return nil, fmt.Errorf("tracing: %w", err)
		}
		tp = tracing
	}
	st, err := store.Open(ctx, store.Config{
		TracerProvider:   tp,
		AppURL:           cfg.DatabaseURL,
		PlatformURL:      cfg.PlatformDatabaseURL,
		MaxConns:         cfg.DBMaxConns,
		CheckConnections: cfg.DBCheckConnections,
		Logger:           logger,
	})
	if err != nil {
		return nil, err
	}
	proxies, err := cfg.trustedProxies()
	if err != nil {
		return nil, err
	}
	var sender mailer.Sender
	var outbox *mailer.Outbox
	switch {
	case cfg.SMTPHost != "":
		sender = mailer.NewSMTP(mailer.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.SMTPFrom})
	case cfg.dev:
		// The demo shows its mail at /dev/outbox. Never outside dev: the
		// page is public and mail holds one-time links.
		outbox = mailer.NewOutbox(200, cfg.now)
		sender = outbox
	default:
		logger.WarnContext(ctx, "no SMTP server is configured (SMTP_HOST): invitations and password resets are not mailed")
		sender = mailer.Discard{Logger: logger}
	}
	// Mail leaves through a queue, off every request's path: an answer
	// that mails takes the time of one that does not.
	mail := mailer.NewQueue(sender, 1000, logger)
	urls := cfg.urls()
	authSvc := auth.NewService(auth.Config{
		Store:  st,
		Hasher: auth.NewHasher(auth.DefaultPasswordParams, cfg.PasswordHashConcurrency),
		Tokens: auth.NewTokens(sessionKeys, urls.Apex(""), cfg.now),
		Signer: auth.NewSigner(sigKeys, cfg.now),
		Mailer: mail,
		URLs:   urls,
		Logger: logger,
		Now:    cfg.now,
	})
	handler, err := web.NewServer(web.Config{
		BaseDomain: cfg.BaseDomain, MaxBodyBytes: cfg.MaxBodyBytes, URLs: urls, Version: version, Outbox: outbox, TrustedProxies: proxies,
		TenantRate: cfg.TenantRate, TenantBurst: cfg.TenantBurst, TenantInFlight: cfg.TenantInFlight, TracerProvider: tp,
	}, assemble.Deps(st, authSvc, cfg.now, mail, urls, sigKeys.Derive("cursor"), logger))
	if err != nil {
		return nil, err
	}
	a := &App{
		Now: cfg.now,
		cfg: cfg, logger: logger, Store: st, Auth: authSvc, Outbox: outbox, Web: handler, listener: ln, tracing: tracing, mail: mail,
		server: &http.Server{
			Handler:           handler,
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      60 * time.Second,
			IdleTimeout:       120 * time.Second,
			ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
			BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		},
	}
	if cfg.MetricsAddr != "" {
		a.metrics = &http.Server{Addr: cfg.MetricsAddr, Handler: handler.MetricsHandler(), ReadHeaderTimeout: 5 * time.Second}
	}
	return a, nil
}

// Addr returns the address the server listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve serves until ctx ends, then drains in-flight requests for at most
// the shutdown timeout.
func (a *App) Serve(ctx context.Context) error {
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
	if err := a.mail.Close(sctx); err != nil {
		a.logger.Warn("mail left in the queue at shutdown", slog.Any("error", err))
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close releases the store and flushes the traces.
func (a *App) Close() {
	a.Store.Close()
	if a.tracing != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = a.tracing.Shutdown(ctx)
	}
}
