package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/internal/telemetry"
	"github.com/tenantkit/tenantkit/tenant"
)

// Tenancy declares what a route serves and to whom.
type Tenancy string

// The tenancies. Every route declares one; the registrars refuse a route
// without, and a test enumerates the route table.
const (
	// TenancyPublic routes need no sign-in. On a tenant host they serve
	// that tenant's public data; they never read credentials.
	TenancyPublic Tenancy = "public"
	// TenancyTenant routes serve a tenant host to a member of that tenant
	// whose token, signed tenant cookie and host all agree, with at least
	// the route's minimum role.
	TenancyTenant Tenancy = "tenant"
	// TenancyPlatform routes serve the apex host to an account signed in
	// there (a platform session, naming no tenant).
	TenancyPlatform Tenancy = "platform"
)

// Policy is a route's declaration: its tenancy and, for tenant routes, the
// least role that may call it.
type Policy struct {
	Tenancy Tenancy
	MinRole tenant.Role
}

// Public, Member and Platform build policies.
var (
	Public   = Policy{Tenancy: TenancyPublic}
	Platform = Policy{Tenancy: TenancyPlatform}
)

// Member returns the policy of a tenant route open to role and above.
func Member(role tenant.Role) Policy { return Policy{Tenancy: TenancyTenant, MinRole: role} }

// minRoleLabel is the x-min-role of the policy: the role, "none" for public
// routes and "account" for platform ones.
func (p Policy) minRoleLabel() string {
	switch p.Tenancy {
	case TenancyTenant:
		return string(p.MinRole)
	case TenancyPlatform:
		return "account"
	}
	return "none"
}

func (p Policy) validate(kind hostKind) error {
	switch p.Tenancy {
	case TenancyPublic:
		if p.MinRole != "" {
			return errors.New("a public route has no minimum role")
		}
	case TenancyTenant:
		if kind != hostTenant {
			return errors.New("a tenant route must be registered on tenant hosts")
		}
		if !p.MinRole.Valid() {
			return errors.New("a tenant route needs a minimum role")
		}
	case TenancyPlatform:
		if kind != hostApex {
			return errors.New("a platform route must be registered on the apex host")
		}
		if p.MinRole != "" {
			return errors.New("a platform route has no minimum role")
		}
	default:
		return fmt.Errorf("unknown tenancy %q", p.Tenancy)
	}
	return nil
}

// Route is one entry of the route table.
type Route struct {
	Host    string // "tenant", "apex" or "any"
	Method  string
	Path    string
	Policy  Policy
	OpenAPI bool // documented in the OpenAPI document
}

// hostAPI is the JSON API served on one kind of host.
type hostAPI struct {
	huma.API
	kind hostKind
	mux  *http.ServeMux
}

func (k hostKind) String() string {
	if k == hostApex {
		return "apex"
	}
	return "tenant"
}

// operation registers a JSON operation on api under policy p: the
// operation's x-tenancy and x-min-role extensions document it, and a
// middleware enforces it before the handler runs.
//
//tenantkit:registrar
func operation[I, O any](s *Server, api *hostAPI, op huma.Operation, p Policy, h func(context.Context, *I) (*O, error)) {
	if err := p.validate(api.kind); err != nil {
		panic(fmt.Sprintf("web: %s %s: %v", op.Method, op.Path, err))
	}
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions["x-tenancy"] = string(p.Tenancy)
	op.Extensions["x-min-role"] = p.minRoleLabel()
	op.Middlewares = append(huma.Middlewares{s.authorizeOperation(api, p)}, op.Middlewares...)
	if op.Tags == nil {
		op.Tags = []string{string(p.Tenancy)}
	}
	s.routes = append(s.routes, Route{Host: api.kind.String(), Method: op.Method, Path: op.Path, Policy: p, OpenAPI: true})
	huma.Register(api.API, op, h)
}

// page registers a plain HTTP handler (pages, form posts) on the mux of
// kind under policy p. An empty method matches every method.
//
//tenantkit:registrar
func (s *Server) page(kind hostKind, method, path string, p Policy, h http.HandlerFunc) {
	if err := p.validate(kind); err != nil {
		panic(fmt.Sprintf("web: %s %s: %v", method, path, err))
	}
	mux := s.tenantMux
	if kind == hostApex {
		mux = s.apexMux
	}
	s.routes = append(s.routes, Route{Host: kind.String(), Method: method, Path: path, Policy: p})
	pattern := path
	if method != "" {
		pattern = method + " " + path
	}
	mux.Handle(pattern, s.authorizePage(p, h))
}

// Routes returns the route table: every route with its declaration.
func (s *Server) Routes() []Route { return append([]Route(nil), s.routes...) }

// authorizeOperation enforces p for a JSON operation.
func (s *Server) authorizeOperation(api *hostAPI, p Policy) func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		r, _ := humago.Unwrap(hctx)
		ctx, err := s.bind(r.WithContext(hctx.Context()), p)
		if err != nil {
			s.writeHumaError(api, hctx, err)
			return
		}
		ctx = context.WithValue(ctx, headerKey{}, r.Header)
		next(huma.WithContext(hctx, ctx))
	}
}

// authorizePage enforces p for a page or form handler.
func (s *Server) authorizePage(p Policy, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := s.bind(r, p)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		h(w, r.WithContext(ctx))
	})
}

type principalKey struct{}

func withPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// principalFrom returns the authenticated principal of the request.
func principalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}

// credentials reads the session token (Authorization: Bearer, else the
// session cookie) and the signed tenant cookie.
func credentials(r *http.Request) auth.Credentials {
	var c auth.Credentials
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			c.Token = strings.TrimSpace(tok)
		}
	} else if ck, err := r.Cookie(sessionCookie); err == nil {
		c.Token = ck.Value
	}
	if ck, err := r.Cookie(tenantSigCookie); err == nil {
		c.TenantSig = ck.Value
	}
	return c
}

// clientMeta returns what the identity service knows of the client: its
// address, user agent, device cookie, and whether it is a browser and the
// host of the page that sent the request (from Origin).
//
// The address is the connection's peer, unless the peer is one of
// Config.TrustedProxies: then it is the rightmost address of
// X-Forwarded-For that is not a trusted proxy (the leftmost ones are
// whatever the client wrote). The sign-in limits count per address, so
// behind a load balancer without this every client would share one.
func (s *Server) clientMeta(r *http.Request) auth.ClientMeta {
	m := auth.ClientMeta{IP: s.clientIP(r), UserAgent: r.UserAgent()}
	if c, err := r.Cookie(deviceCookie); err == nil {
		m.Device = c.Value
	}
	origin := r.Header.Get("Origin")
	m.Browser = origin != "" || r.Header.Get("Sec-Fetch-Site") != ""
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		m.OriginHost, _ = canonicalHost(u.Host)
	}
	return m
}

func (s *Server) clientIP(r *http.Request) string {
	ip, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		ip = r.RemoteAddr
	}
	addr, err := netip.ParseAddr(ip)
	if err == nil && s.trusted(addr) {
		hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // unreadable: trust nothing further left
			}
			addr = hop.Unmap()
			if !s.trusted(addr) {
				break
			}
		}
		ip = addr.String()
	}
	return ip
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a.Unmap()) {
			return true
		}
	}
	return false
}

// bind checks the request against p and returns its context with what p
// establishes: for a tenant route the verified scope (and the principal),
// for a platform route the principal.
func (s *Server) bind(r *http.Request, p Policy) (context.Context, error) {
	ctx := r.Context()
	h, ok := hostFrom(ctx)
	if !ok {
		return nil, tenant.Errorf(tenant.CodeInternal, "route served without a resolved host")
	}
	switch p.Tenancy {
	case TenancyPublic:
		return ctx, nil
	case TenancyPlatform:
		pr, err := s.auth.AuthenticatePlatform(ctx, credentials(r))
		if err != nil {
			s.refused(ctx, h, r, err)
			return nil, err
		}
		return withPrincipal(ctx, pr), nil
	case TenancyTenant:
		pr, err := s.auth.AuthenticateTenant(ctx, h.tenant, credentials(r))
		if err != nil {
			s.refused(ctx, h, r, err)
			return nil, err
		}
		if !pr.Scope.Role.AtLeast(p.MinRole) {
			err := &tenant.Error{Code: tenant.CodeForbidden, Message: "your role does not allow this"}
			return nil, err
		}
		ctx = tenant.WithScope(ctx, pr.Scope)
		telemetry.TagSpan(ctx)
		return withPrincipal(ctx, pr), nil
	}
	return nil, tenant.Errorf(tenant.CodeInternal, "unknown tenancy %q", p.Tenancy)
}

// refused records a refused binding as a security event: a log line, a
// counter, and (rate-limited per tenant and client) a row in the audit log
// of the tenant whose host was addressed.
func (s *Server) refused(ctx context.Context, h host, r *http.Request, err error) {
	be, ok := errors.AsType[*auth.BindError](err)
	if !ok {
		return
	}
	s.metrics.bindRefused.WithLabelValues(be.Reason).Inc()
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("tenantkit.binding_refused", be.Reason))
	meta := auth.ClientMeta{IP: s.clientIP(r)}
	s.logger.WarnContext(ctx, "binding refused",
		slog.String("reason", be.Reason), slog.String("host_tenant_id", h.tenant.ID.String()),
		slog.String("client_ip", meta.IP), slog.String("path", r.URL.Path))
	if h.kind != hostTenant {
		return
	}
	if ok, _ := s.securityEvents.Allow(h.tenant.ID.String() + "|" + meta.IP); !ok {
		return
	}
	detail := map[string]string{"reason": be.Reason, "ip": meta.IP, "method": r.Method, "path": r.URL.Path}
	if err := s.auth.RecordSecurityEvent(context.WithoutCancel(ctx), h.tenant.ID, "security.binding_refused", detail); err != nil {
		s.logger.ErrorContext(ctx, "record security event", slog.Any("error", err))
	}
}
