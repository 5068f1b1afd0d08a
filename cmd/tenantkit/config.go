package main

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
)

// Config is tenantkit's configuration, read from the environment.
type Config struct {
	// DatabaseURL connects as the app role (tenantkit_app): all requests and
	// jobs. Required by serve; dev starts a managed cluster when it is empty.
	DatabaseURL string `env:"DATABASE_URL"`
	// OwnerDatabaseURL connects as the owner role (tenantkit_owner), for
	// migrations only.
	OwnerDatabaseURL string `env:"OWNER_DATABASE_URL"`
	// PlatformDatabaseURL connects as the platform role (tenantkit_platform),
	// for the audited cross-tenant path.
	PlatformDatabaseURL string `env:"PLATFORM_DATABASE_URL"`
	// JobsDatabaseURL connects as the jobs role (tenantkit_jobs): River's
	// queue. Unset: jobs are inserted but this instance works none.
	JobsDatabaseURL string `env:"JOBS_DATABASE_URL"`
	// JobWorkers is how many background jobs run at once (default 4).
	JobWorkers int `env:"JOB_WORKERS" envDefault:"4"`
	// Addr is the HTTP listen address. Defaults to 127.0.0.1:8080.
	Addr string `env:"ADDR" envDefault:"127.0.0.1:8080"`
	// BaseDomain is the apex domain; tenants live at {slug}.{BaseDomain}.
	// Defaults to localhost.
	BaseDomain string `env:"BASE_DOMAIN" envDefault:"localhost"`
	// LogLevel is debug, info, warn or error. Defaults to info.
	LogLevel string `env:"LOG_LEVEL" envDefault:"info"`
	// LogFormat is text or json. Defaults to text.
	LogFormat string `env:"LOG_FORMAT" envDefault:"text"`
	// DBMaxConns is the size of the app pool. Defaults to 0: pgx's default
	// (the greater of 4 and the number of CPUs).
	DBMaxConns int32 `env:"DB_MAX_CONNS" envDefault:"0"`
	// DBCheckConnections verifies on every pool acquire that a connection
	// carries no tenant setting (one extra round trip). Defaults to false.
	DBCheckConnections bool `env:"DB_CHECK_CONNECTIONS" envDefault:"false"`
	// StatementTimeout bounds each statement of a request's transactions,
	// LockTimeout each wait for a lock; a request past either gets 503
	// with Retry-After. Defaults to 10s and 5s; negative: the app role's
	// own settings (bootstrap: 15s and 5s).
	StatementTimeout time.Duration `env:"STATEMENT_TIMEOUT" envDefault:"10s"`
	LockTimeout      time.Duration `env:"LOCK_TIMEOUT" envDefault:"5s"`
	// ShutdownTimeout bounds the graceful drain on SIGTERM. Defaults to 25s.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`
	// MaxBodyBytes bounds request bodies. Defaults to 1048576 (1 MiB).
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES" envDefault:"1048576"`
	// PublicURL is the apex as users reach it, e.g. https://example.com;
	// links in mail and switch handoffs are built from it, never from a
	// request's Host. Defaults to https://{BASE_DOMAIN} (dev: http, with the
	// listen port).
	PublicURL string `env:"PUBLIC_URL"`
	// SessionKeys sign session tokens: "kid:base64-seed,…" of 32-byte
	// Ed25519 seeds, the first signing, the rest verifying during a
	// rotation. Required by serve; dev generates and keeps one.
	SessionKeys string `env:"SESSION_KEYS"`
	// TenantSigKeys sign the tenant cookie: "kid:base64,…" of secrets of at
	// least 32 bytes, rotated the same way. Required by serve.
	TenantSigKeys string `env:"TENANT_SIG_KEYS"`
	// PasswordHashConcurrency bounds the argon2id hashes run at once.
	// Defaults to 0: half the CPUs, at least one.
	PasswordHashConcurrency int `env:"PASSWORD_HASH_CONCURRENCY" envDefault:"0"`
	// PasswordHashRate bounds the argon2id hashes started per second.
	// Defaults to 0: what a tenth of the CPUs affords (password.Budget).
	PasswordHashRate float64 `env:"PASSWORD_HASH_RATE" envDefault:"0"`
	// SMTPHost, SMTPPort, SMTPUsername, SMTPPassword and SMTPFrom configure
	// mail delivery (STARTTLS required). Without SMTPHost, dev keeps mail
	// in an in-memory outbox (shown at /dev/outbox) and serve sends none.
	SMTPHost     string `env:"SMTP_HOST"`
	SMTPPort     int    `env:"SMTP_PORT" envDefault:"587"`
	SMTPUsername string `env:"SMTP_USERNAME"`
	SMTPPassword string `env:"SMTP_PASSWORD"`
	SMTPFrom     string `env:"SMTP_FROM" envDefault:"tenantkit <no-reply@localhost>"`
	// TenantRate and TenantBurst limit the requests per second one tenant
	// may send to this instance. Defaults to 50 and 100; negative disables.
	TenantRate  int `env:"TENANT_RATE" envDefault:"50"`
	TenantBurst int `env:"TENANT_BURST" envDefault:"100"`
	// TenantInFlight caps one tenant's requests in progress on this
	// instance. Defaults to 32; negative disables. These three limit the
	// requests of the tenant's signed-in members.
	TenantInFlight int `env:"TENANT_IN_FLIGHT" envDefault:"32"`
	// TenantAnonRate, TenantAnonBurst and TenantAnonInFlight are the same
	// limits on a tenant host's other requests (public pages and forms,
	// sign-in), a budget apart from the members'. Defaults to 20, 40 and
	// 16; negative disables.
	TenantAnonRate     int `env:"TENANT_ANON_RATE" envDefault:"20"`
	TenantAnonBurst    int `env:"TENANT_ANON_BURST" envDefault:"40"`
	TenantAnonInFlight int `env:"TENANT_ANON_IN_FLIGHT" envDefault:"16"`
	// SharedLimits makes the six limits above hold for the whole
	// deployment: each instance announces itself in the database every
	// LimitsHeartbeat and takes 1/N of each limit, N the live instances
	// (app.Config.SharedLimits states the error). Defaults to false:
	// each instance holds the whole limits.
	SharedLimits bool `env:"TENANT_LIMITS_SHARED" envDefault:"false"`
	// LimitsHeartbeat is how often an instance announces itself with
	// SharedLimits. Defaults to 2s.
	LimitsHeartbeat time.Duration `env:"TENANT_LIMITS_HEARTBEAT" envDefault:"2s"`
	// OTLPEndpoint turns tracing on: spans go over OTLP/HTTP to it (the
	// exporter reads the other standard OTEL_* variables). Defaults to
	// empty: no tracing.
	OTLPEndpoint string `env:"OTEL_EXPORTER_OTLP_ENDPOINT"`
	// TrustedProxies lists the proxies in front of the server (addresses
	// or CIDR prefixes): a request from one of them is from the address it
	// names in X-Forwarded-For. Defaults to none.
	TrustedProxies []string `env:"TRUSTED_PROXIES" envSeparator:","`
	// MetricsAddr serves Prometheus metrics on a separate listener, for
	// operators only. Defaults to empty: off.
	MetricsAddr string `env:"METRICS_ADDR"`
	// SentryDSN reports 5xx answers and panics to Sentry, scrubbed of
	// credentials and bodies. Defaults to empty: logged only.
	SentryDSN string `env:"SENTRY_DSN"`
	// SentryEnvironment names the environment of the reports. Defaults to
	// "production".
	SentryEnvironment string `env:"SENTRY_ENVIRONMENT" envDefault:"production"`
	// UsageFlushInterval is how often the per-tenant usage is written.
	// Defaults to 30s.
	UsageFlushInterval time.Duration `env:"USAGE_FLUSH_INTERVAL" envDefault:"30s"`

	// dev marks `tenantkit dev`: plain-http public URL on the listen port.
	dev bool
	// now is the clock of every service: time.Now unless a test sets it.
	now func() time.Time
}

// loadConfig reads the configuration through getenv.
func loadConfig(getenv func(string) string) (Config, error) {
	var cfg Config
	params, err := env.GetFieldParams(&cfg)
	if err != nil {
		return cfg, err
	}
	environ := map[string]string{}
	for _, p := range params {
		if v := getenv(p.Key); v != "" {
			environ[p.Key] = v
		}
	}
	if err := env.ParseWithOptions(&cfg, env.Options{Environment: environ}); err != nil {
		return cfg, fmt.Errorf("configuration: %w", err)
	}
	return cfg, nil
}

// Validate checks the configuration for serving.
func (c Config) Validate() error {
	var errs []error
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("DATABASE_URL is required"))
	}
	if c.PlatformDatabaseURL == "" {
		errs = append(errs, errors.New("PLATFORM_DATABASE_URL is required"))
	}
	if c.Addr == "" {
		errs = append(errs, errors.New("ADDR is required"))
	}
	if c.BaseDomain == "" || strings.ContainsAny(c.BaseDomain, "/: ") {
		errs = append(errs, fmt.Errorf("BASE_DOMAIN %q is not a domain", c.BaseDomain))
	}
	if c.ShutdownTimeout <= 0 {
		errs = append(errs, errors.New("SHUTDOWN_TIMEOUT must be positive"))
	}
	if c.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("MAX_BODY_BYTES must be positive"))
	}
	if c.SessionKeys == "" {
		errs = append(errs, errors.New("SESSION_KEYS is required"))
	}
	if c.TenantSigKeys == "" {
		errs = append(errs, errors.New("TENANT_SIG_KEYS is required"))
	}
	if _, err := c.trustedProxies(); err != nil {
		errs = append(errs, err)
	}
	if c.PublicURL != "" {
		if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Path != "" && u.Path != "/" {
			errs = append(errs, fmt.Errorf("PUBLIC_URL %q: want scheme://host[:port]", c.PublicURL))
		}
	}
	return errors.Join(errs...)
}

// String prints the configuration with passwords masked.
func (c Config) String() string {
	var b strings.Builder
	v := reflect.ValueOf(c)
	t := v.Type()
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("env")
		if key == "" {
			continue
		}
		val := fmt.Sprint(v.Field(i).Interface())
		switch {
		case strings.HasSuffix(key, "_URL"):
			val = maskURL(val)
		case strings.HasSuffix(key, "_KEYS") || strings.HasSuffix(key, "PASSWORD") || strings.HasSuffix(key, "_DSN"):
			if val != "" {
				val = "(set, hidden)"
			}
		}
		fmt.Fprintf(&b, "  %s=%s\n", key, val)
	}
	return b.String()
}

// maskURL hides the password of a connection string.
func maskURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err != nil {
		return "(unparseable, hidden)"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	q := u.Query()
	if q.Has("password") {
		q.Set("password", "xxxxx")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// envUsage lists the environment variables with their documentation.
func envUsage() string {
	return `  DATABASE_URL           app role connection (required by serve)
  PLATFORM_DATABASE_URL  platform role connection (required by serve)
  OWNER_DATABASE_URL     owner role connection, for migrate
  JOBS_DATABASE_URL      jobs role connection: work the background jobs (default: insert only)
  JOB_WORKERS            background jobs at once (default 4)
  ADDR                   listen address (default 127.0.0.1:8080)
  BASE_DOMAIN            apex domain; tenants at {slug}.{BASE_DOMAIN} (default localhost)
  LOG_LEVEL              debug|info|warn|error (default info)
  LOG_FORMAT             text|json (default text)
  DB_MAX_CONNS           app pool size (default: pgx's)
  DB_CHECK_CONNECTIONS   verify pooled connections carry no tenant (default false)
  STATEMENT_TIMEOUT      longest statement of a request (default 10s; negative: the role's)
  LOCK_TIMEOUT           longest wait of a request for a lock (default 5s; negative: the role's)
  SHUTDOWN_TIMEOUT       graceful drain (default 25s)
  MAX_BODY_BYTES         request body limit (default 1048576)
  PUBLIC_URL             the apex as users reach it (default https://{BASE_DOMAIN})
  SESSION_KEYS           kid:base64 Ed25519 seeds, first signs (required by serve)
  TENANT_SIG_KEYS        kid:base64 HMAC secrets, first signs (required by serve)
  PASSWORD_HASH_CONCURRENCY  argon2id hashes at once (default: half the CPUs)
  PASSWORD_HASH_RATE     argon2id hashes started per second (default: what a tenth of the CPUs affords)
  SMTP_HOST, SMTP_PORT, SMTP_USERNAME, SMTP_PASSWORD, SMTP_FROM  mail delivery
  TENANT_RATE, TENANT_BURST  signed-in members' requests per second per tenant (default 50, burst 100)
  TENANT_IN_FLIGHT       signed-in members' requests in progress per tenant (default 32)
  TENANT_ANON_RATE, TENANT_ANON_BURST  other requests per second per tenant (default 20, burst 40)
  TENANT_ANON_IN_FLIGHT  other requests in progress per tenant (default 16)
  TENANT_LIMITS_SHARED   the six limits above hold for the whole deployment: each instance takes 1/N (default false: per instance)
  TENANT_LIMITS_HEARTBEAT  how often an instance announces itself for shared limits (default 2s)
  TRUSTED_PROXIES        comma-separated proxy addresses or prefixes whose X-Forwarded-For is believed (default none)
  METRICS_ADDR           Prometheus metrics listener (default off)
  OTEL_EXPORTER_OTLP_ENDPOINT  trace to this OTLP/HTTP endpoint (default off)
  SENTRY_DSN             report 5xx answers and panics to Sentry, scrubbed (default off: logged only)
  SENTRY_ENVIRONMENT     the reports' environment (default production)
  USAGE_FLUSH_INTERVAL   how often per-tenant usage is written to the database (default 30s)
`
}

// trustedProxies parses TRUSTED_PROXIES: addresses (one host each) and
// CIDR prefixes.
func (c Config) trustedProxies() ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, v := range c.TrustedProxies {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		if p, err := netip.ParsePrefix(v); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(v)
		if err != nil {
			return nil, fmt.Errorf("TRUSTED_PROXIES: %q is neither an address nor a prefix", v)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}
