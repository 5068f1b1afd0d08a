package main

import (
	"errors"
	"fmt"
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
	// ShutdownTimeout bounds the graceful drain on SIGTERM. Defaults to 25s.
	ShutdownTimeout time.Duration `env:"SHUTDOWN_TIMEOUT" envDefault:"25s"`
	// MaxBodyBytes bounds request bodies. Defaults to 1048576 (1 MiB).
	MaxBodyBytes int64 `env:"MAX_BODY_BYTES" envDefault:"1048576"`
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
	return errors.Join(errs...)
}

// String prints the configuration with passwords masked.
func (c Config) String() string {
	var b strings.Builder
	v := reflect.ValueOf(c)
	t := v.Type()
	for i := range t.NumField() {
		key := t.Field(i).Tag.Get("env")
		val := fmt.Sprint(v.Field(i).Interface())
		if strings.HasSuffix(key, "_URL") {
			val = maskURL(val)
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
  ADDR                   listen address (default 127.0.0.1:8080)
  BASE_DOMAIN            apex domain; tenants at {slug}.{BASE_DOMAIN} (default localhost)
  LOG_LEVEL              debug|info|warn|error (default info)
  LOG_FORMAT             text|json (default text)
  DB_MAX_CONNS           app pool size (default: pgx's)
  DB_CHECK_CONNECTIONS   verify pooled connections carry no tenant (default false)
  SHUTDOWN_TIMEOUT       graceful drain (default 25s)
  MAX_BODY_BYTES         request body limit (default 1048576)
`
}
