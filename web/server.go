package web

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/tenantkit/tenantkit/tenant"
)

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Config configures the HTTP layer.
type Config struct {
	// MaxBodyBytes bounds request bodies. Defaults to 1 MiB.
	MaxBodyBytes int64
}

// Server is tenantkit's HTTP handler.
type Server struct {
	cfg    Config
	db     Pinger
	logger *slog.Logger
	mux    *http.ServeMux
	h      http.Handler
}

// NewServer returns the handler with every route registered.
func NewServer(cfg Config, db Pinger, logger *slog.Logger) *Server {
	if cfg.MaxBodyBytes == 0 {
		cfg.MaxBodyBytes = 1 << 20
	}
	s := &Server{cfg: cfg, db: db, logger: logger, mux: http.NewServeMux()}
	s.routes()
	var h http.Handler = s.mux
	h = withStrippedHeaders(h)
	h = withBodyLimit(cfg.MaxBodyBytes, h)
	h = withRecover(logger, h)
	h = withRequestID(logger, h)
	s.h = h
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.h.ServeHTTP(w, r) }

func (s *Server) routes() {
	s.mux.HandleFunc("GET /healthz", s.handleHealth)
	s.mux.HandleFunc("GET /readyz", s.handleReady)
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
		writeError(w, r, s.logger, &tenant.Error{Code: tenant.CodeUnavailable, Message: "the database is unavailable", Err: err})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
