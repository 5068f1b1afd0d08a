package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/web"
)

// App is a running tenantkit: the store and the HTTP server on its listener.
// Tests boot it on 127.0.0.1:0 and read Addr.
type App struct {
	cfg      Config
	logger   *slog.Logger
	Store    *store.Store
	server   *http.Server
	listener net.Listener
}

// OpenApp audits the database, connects the store and binds the listener.
func OpenApp(ctx context.Context, cfg Config, logger *slog.Logger) (*App, error) {
	if err := auditAtBoot(ctx, cfg.DatabaseURL, logger); err != nil {
		return nil, err
	}
	st, err := store.Open(ctx, store.Config{
		AppURL:           cfg.DatabaseURL,
		PlatformURL:      cfg.PlatformDatabaseURL,
		MaxConns:         cfg.DBMaxConns,
		CheckConnections: cfg.DBCheckConnections,
		Logger:           logger,
	})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("listen: %w", err)
	}
	handler := web.NewServer(web.Config{MaxBodyBytes: cfg.MaxBodyBytes}, st, logger)
	a := &App{
		cfg:      cfg,
		logger:   logger,
		Store:    st,
		listener: ln,
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
	return a, nil
}

// Addr returns the address the server listens on.
func (a *App) Addr() string { return a.listener.Addr().String() }

// Serve serves until ctx ends, then drains in-flight requests for at most
// the shutdown timeout.
func (a *App) Serve(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- a.server.Serve(a.listener) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	a.logger.Info("shutting down", slog.Duration("drain", a.cfg.ShutdownTimeout))
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.ShutdownTimeout)
	defer cancel()
	if err := a.server.Shutdown(sctx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Close releases the store.
func (a *App) Close() { a.Store.Close() }
