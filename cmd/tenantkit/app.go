package main

import (
	"context"
	"log/slog"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/mailer"
)

// OpenApp audits the database and opens the application (package app)
// from the configuration.
func OpenApp(ctx context.Context, cfg Config, logger *slog.Logger) (*app.App, error) {
	if err := auditAtBoot(ctx, cfg.DatabaseURL, logger); err != nil {
		return nil, err
	}
	proxies, err := cfg.trustedProxies()
	if err != nil {
		return nil, err
	}
	if cfg.JobsDatabaseURL == "" {
		logger.WarnContext(ctx, "JOBS_DATABASE_URL is not set: jobs are queued with the changes that cause them, but this instance works none (no mail from jobs, no purges)")
	}
	opts := []app.Option{app.WithLogger(logger)}
	if cfg.now != nil {
		opts = append(opts, app.WithClock(cfg.now))
	}
	return app.Open(ctx, app.Config{
		DatabaseURL: cfg.DatabaseURL, PlatformDatabaseURL: cfg.PlatformDatabaseURL, JobsDatabaseURL: cfg.JobsDatabaseURL,
		JobWorkers: cfg.JobWorkers, Addr: cfg.Addr,
		BaseDomain: cfg.BaseDomain, PublicURL: cfg.PublicURL, SessionKeys: cfg.SessionKeys, TenantSigKeys: cfg.TenantSigKeys,
		Dev:          cfg.dev,
		SMTP:         mailer.SMTPConfig{Host: cfg.SMTPHost, Port: cfg.SMTPPort, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.SMTPFrom},
		MaxBodyBytes: cfg.MaxBodyBytes, TenantRate: cfg.TenantRate, TenantBurst: cfg.TenantBurst, TenantInFlight: cfg.TenantInFlight,
		AnonymousRate: cfg.TenantAnonRate, AnonymousBurst: cfg.TenantAnonBurst, AnonymousInFlight: cfg.TenantAnonInFlight,
		SharedLimits: cfg.SharedLimits, HeartbeatInterval: cfg.LimitsHeartbeat,
		TrustedProxies: proxies, DBMaxConns: cfg.DBMaxConns, DBCheckConnections: cfg.DBCheckConnections,
		StatementTimeout: cfg.StatementTimeout, LockTimeout: cfg.LockTimeout,
		PasswordHashConcurrency: cfg.PasswordHashConcurrency, PasswordHashRate: cfg.PasswordHashRate, MetricsAddr: cfg.MetricsAddr, OTLPEndpoint: cfg.OTLPEndpoint,
		SentryDSN: cfg.SentryDSN, SentryEnvironment: cfg.SentryEnvironment, UsageFlushInterval: cfg.UsageFlushInterval,
		ShutdownTimeout: cfg.ShutdownTimeout, Version: version,
	}, opts...)
}
