package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/tenantkit/tenantkit/internal/logging"
)

func runServe(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address (overrides ADDR)")
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
	if err := cfg.Validate(); err != nil {
		return err
	}
	logger, err := logging.New(stderr, cfg.LogFormat, cfg.LogLevel)
	if err != nil {
		return err
	}
	logger.Info("starting tenantkit serve", "version", version)
	fmt.Fprint(stderr, "configuration:\n"+cfg.String())
	app, err := OpenApp(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer app.Close(context.WithoutCancel(ctx))
	logger.Info("listening", "addr", app.Addr())
	return app.Serve(ctx)
}
