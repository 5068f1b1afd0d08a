package main

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/app"
)

// serve runs one variant's server in this process (the bench starts each
// as a child, so that its CPU is its own): a and b are the application as
// `tenantkit serve` builds it, b over the baseline store; c is the floor.
// The keys and URLs come from the environment the bench sets.
func serve(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	variant := fs.String("variant", "a", "a (full stack), b (full stack without row security), c (floor)")
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var opts []app.Option
	switch *variant {
	case "a":
	case "c":
		if _, err := floorHandler(nil); err != nil {
			return err
		}
	case "b":
		o, err := baselineOption()
		if err != nil {
			return err
		}
		opts = append(opts, o)
	default:
		return errors.New("serve: -variant must be a, b or c")
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	dbURL := os.Getenv("BENCH_APP_URL")
	if *variant == "c" {
		cfg, err := pgxpool.ParseConfig(dbURL)
		if err != nil {
			return err
		}
		cfg.MaxConns = maxConns
		pool, err := pgxpool.NewWithConfig(ctx, cfg)
		if err != nil {
			return err
		}
		defer pool.Close()
		h, err := floorHandler(pool)
		if err != nil {
			return err
		}
		srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
		go func() {
			<-ctx.Done()
			_ = srv.Close()
		}()
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	}
	opts = append(opts, app.WithLogger(logger), app.WithListener(ln))
	// Only variant a is profiled (pprof is on the metrics listener).
	metrics := ""
	if *variant == "a" {
		metrics = os.Getenv("BENCH_METRICS_ADDR")
	}
	if *variant == "b" {
		dbURL = os.Getenv("BENCH_BASELINE_URL")
	}
	// The production default unless the bench asks for another.
	hashRate, _ := strconv.ParseFloat(os.Getenv("BENCH_PASSWORD_HASH_RATE"), 64)
	hashConcurrency, _ := strconv.Atoi(os.Getenv("BENCH_PASSWORD_HASH_CONCURRENCY"))
	a, err := app.Open(ctx, app.Config{
		DatabaseURL: dbURL, PlatformDatabaseURL: os.Getenv("BENCH_PLATFORM_URL"),
		Addr: ln.Addr().String(), BaseDomain: "localhost", PublicURL: os.Getenv("BENCH_PUBLIC_URL"),
		SessionKeys: os.Getenv("BENCH_SESSION_KEYS"), TenantSigKeys: os.Getenv("BENCH_TENANT_SIG_KEYS"),
		// Limits off, as with TENANT_RATE=-1 …: the bench measures
		// throughput. Sign-in's own guessing limits stay on.
		TenantRate: -1, TenantInFlight: -1, AnonymousRate: -1, AnonymousInFlight: -1,
		// The flood comes from many addresses, through a proxy on loopback.
		TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		DBMaxConns:     maxConns, Version: "bench", MetricsAddr: metrics, PasswordHashRate: hashRate, PasswordHashConcurrency: hashConcurrency,
	}, opts...)
	if err != nil {
		return err
	}
	defer a.Close(context.WithoutCancel(ctx))
	return a.Serve(ctx)
}

// maxConns sizes every variant's pool alike.
const maxConns = 16
