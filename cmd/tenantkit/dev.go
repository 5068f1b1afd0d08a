package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/logging"
	"github.com/tenantkit/tenantkit/internal/pgcluster"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/store/schema"
)

const devDatabase = "tenantkit"

func runDev(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("dev", flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address (overrides ADDR; default 127.0.0.1:8080)")
	dir := fs.String("dir", ".tenantkit", "directory of the managed PostgreSQL cluster, kept between runs")
	if help, err := parseFlags(fs, args, stderr, true); help || err != nil {
		return err
	}
	cfg, err := loadConfig(getenv)
	if err != nil {
		return err
	}
	if *addr != "" {
		cfg.Addr = *addr
	}
	// The demo checks every pooled connection for a leftover tenant.
	cfg.DBCheckConnections = true
	cfg.dev = true
	logger, err := logging.New(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}

	if cfg.DatabaseURL == "" {
		logger.Info("starting the managed PostgreSQL cluster", "dir", *dir)
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: *dir})
		if err != nil {
			return err
		}
		if abs, _ := filepath.Abs(*dir); cluster.Dir() != abs {
			logger.Info("the postgres user cannot reach this directory: the cluster lives where the link points",
				"link", filepath.Join(*dir, pgcluster.ClusterLink), "cluster", cluster.Dir())
		}
		defer func() {
			logger.Info("stopping the managed PostgreSQL cluster")
			if err := cluster.Stop(); err != nil {
				logger.Error("stop cluster", "error", err)
			}
		}()
		if err := schema.Bootstrap(ctx, cluster.AdminURL("postgres"), schema.BootstrapOptions{Database: devDatabase}); err != nil {
			return err
		}
		cfg.DatabaseURL = cluster.SocketURL(schema.AppRole, devDatabase)
		cfg.OwnerDatabaseURL = cluster.SocketURL(schema.OwnerRole, devDatabase)
		cfg.PlatformDatabaseURL = cluster.SocketURL(schema.PlatformRole, devDatabase)
		cfg.JobsDatabaseURL = cluster.SocketURL(schema.JobsRole, devDatabase)
	} else if cfg.OwnerDatabaseURL == "" || cfg.PlatformDatabaseURL == "" {
		return errors.New("with DATABASE_URL set, dev also needs OWNER_DATABASE_URL (migrations) and PLATFORM_DATABASE_URL")
	}
	if cfg.SessionKeys == "" || cfg.TenantSigKeys == "" {
		keys, err := devKeys(*dir)
		if err != nil {
			return err
		}
		if cfg.SessionKeys == "" {
			cfg.SessionKeys = keys.SessionKeys
		}
		if cfg.TenantSigKeys == "" {
			cfg.TenantSigKeys = keys.TenantSigKeys
		}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := schema.Migrate(ctx, cfg.OwnerDatabaseURL, logger); err != nil {
		return err
	}
	app, err := OpenApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close(context.WithoutCancel(ctx))
	if _, err := demo.Seed(ctx, app.Store, password.NewHasher(password.DefaultParams, password.Offline), app.Now()); err != nil {
		return fmt.Errorf("seed demo data: %w", err)
	}
	printBanner(stdout, app.Addr(), cfg)
	logger.Info("development outbox", "url", "http://"+net.JoinHostPort(cfg.BaseDomain, portOf(app.Addr()))+"/dev/outbox")
	return app.Serve(ctx)
}

func printBanner(w io.Writer, addr string, cfg Config) {
	_, port, _ := net.SplitHostPort(addr)
	var b strings.Builder
	fmt.Fprintf(&b, "\ntenantkit dev is running.\n\n")
	for _, t := range demo.Tenants {
		fmt.Fprintf(&b, "  %-8s http://%s.%s:%s\n", t.Slug, t.Slug, cfg.BaseDomain, port)
	}
	fmt.Fprintf(&b, "  platform http://%s:%s\n", cfg.BaseDomain, port)
	fmt.Fprintf(&b, "  health   http://%s:%s/healthz\n\n", cfg.BaseDomain, port)
	fmt.Fprintf(&b, "Demo logins (password %q):\n", demo.Password)
	for _, l := range demo.Logins() {
		fmt.Fprintf(&b, "  %-26s %s\n", l.Email, l.Tenants)
	}
	fmt.Fprintf(&b, "\nDatabase (app role): %s\n", maskURL(cfg.DatabaseURL))
	fmt.Fprintf(&b, "Tenant lifecycle:    PLATFORM_DATABASE_URL='%s' tenantkit tenant list\n", maskURL(cfg.PlatformDatabaseURL))
	fmt.Fprintf(&b, "\nBrowsers resolve *.localhost to this machine; for curl use --resolve:\n")
	fmt.Fprintf(&b, "  curl --resolve acme.%s:%s:127.0.0.1 http://acme.%s:%s/healthz\n", cfg.BaseDomain, port, cfg.BaseDomain, port)
	fmt.Fprintf(&b, "\nCtrl-C stops the server and the database.\n\n")
	fmt.Fprint(w, b.String())
}

func portOf(addr string) string {
	_, port, _ := net.SplitHostPort(addr)
	return port
}

// devSecrets are the keys `tenantkit dev` generates once and keeps, so
// sessions survive a restart of the demo.
type devSecrets struct {
	SessionKeys   string `json:"session_keys"`
	TenantSigKeys string `json:"tenant_sig_keys"`
}

func devKeys(dir string) (devSecrets, error) {
	path := filepath.Join(dir, "dev-keys.json")
	var k devSecrets
	if b, err := os.ReadFile(path); err == nil {
		if err := json.Unmarshal(b, &k); err != nil {
			return k, fmt.Errorf("read %s: %w", path, err)
		}
		return k, nil
	} else if !errors.Is(err, os.ErrNotExist) {
		return k, err
	}
	k = devSecrets{SessionKeys: auth.GenerateKeySpec("dev1", 32), TenantSigKeys: auth.GenerateKeySpec("dev1", 32)}
	b, _ := json.Marshal(k)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return k, fmt.Errorf("write %s: %w", path, err)
	}
	return k, nil
}
