// Package web registers routes only in registrar functions.
package web

import (
	"context"
	"net/http"

	"github.com/danielgtaylor/huma/v2"
)

type Tenancy string

type Server struct{ mux *http.ServeMux }

type In struct{}
type Out struct{}

func get(context.Context, *In) (*Out, error) { return nil, nil }

// register adds a route with its tenancy and minimum role.
//
//tenantkit:registrar
func (s *Server) register(tenancy Tenancy, minRole string, pattern string, h http.HandlerFunc) {
	s.mux.HandleFunc(pattern, h)
}

// registerAPI adds an API operation with its tenancy and minimum role.
//
//tenantkit:registrar
func registerAPI(api huma.API, tenancy Tenancy, minRole string, op huma.Operation) {
	huma.Register(api, op, get)
	huma.Get(api, op.Path, func(ctx context.Context, in *In) (*Out, error) { return get(ctx, in) })
}

func (s *Server) sneak(api huma.API) {
	s.mux.HandleFunc("GET /debug", nil)            // want `registrar: \*http.ServeMux.HandleFunc registers a route outside`
	s.mux.Handle("GET /x", http.NotFoundHandler()) // want `registrar: \*http.ServeMux.Handle registers`
	http.HandleFunc("/y", nil)                     // want `registrar: http.HandleFunc registers`
	huma.Get(api, "/z", get)                       // want `registrar: huma.Get registers`
	register := s.mux.HandleFunc                   // want `registrar: \*http.ServeMux.HandleFunc registers`
	register("GET /w", nil)
}
