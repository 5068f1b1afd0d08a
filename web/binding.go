package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/trace"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/internal/telemetry"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

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
	if c, err := r.Cookie(route.DeviceCookie); err == nil {
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

// Bind checks the request against p and returns its context with what p
// establishes: for a tenant route the verified scope (and the principal),
// for a platform route the principal.
func (s *Server) Bind(r *http.Request, p route.Policy) (context.Context, error) {
	ctx := r.Context()
	h, ok := route.HostFrom(ctx)
	if !ok {
		return nil, tenant.Errorf(tenant.CodeInternal, "route served without a resolved host")
	}
	switch p.Tenancy {
	case route.TenancyPublic:
		return ctx, nil
	case route.TenancyPlatform:
		pr, err := s.auth.AuthenticatePlatform(ctx, route.Credentials(r))
		if err != nil {
			s.refused(ctx, h, r, err)
			return nil, err
		}
		if a := accessFrom(ctx); a != nil {
			a.accountID = pr.Scope.AccountID
		}
		// An operator route's grant is checked on the platform path, in
		// the transaction of the operation itself (tenants.Operator's
		// Account, store.PlatformOp.Operator): a revoked grant refuses
		// even an operation under way, and a refused request leaves no
		// row behind.
		return route.WithPrincipal(ctx, pr), nil
	case route.TenancyTenant:
		pr, err := s.auth.AuthenticateTenant(ctx, h.Tenant, route.Credentials(r))
		if err != nil {
			s.refused(ctx, h, r, err)
			return nil, err
		}
		if a := accessFrom(ctx); a != nil {
			a.accountID = pr.Scope.AccountID
		}
		ctx = pr.Context(ctx)
		if !pr.Scope.Role.AtLeast(p.MinRole) {
			// A role remembered from an earlier check is confirmed
			// first: a session that has ended is told so (401).
			if err := s.auth.ConfirmSession(ctx); err != nil {
				return nil, err
			}
			err := &tenant.Error{Code: tenant.CodeForbidden, Message: "your role does not allow this"}
			return nil, err
		}
		telemetry.TagSpan(ctx)
		return route.WithPrincipal(ctx, pr), nil
	}
	return nil, tenant.Errorf(tenant.CodeInternal, "unknown tenancy %q", p.Tenancy)
}

// Confirm runs the request's session check if none of its statements
// carried it, before the request answers.
func (s *Server) Confirm(ctx context.Context) error { return s.auth.ConfirmSession(ctx) }

// refused records a refused binding as a security event: a log line, a
// counter, and (rate-limited per tenant and client) a row in the audit log
// of the tenant whose host was addressed.
func (s *Server) refused(ctx context.Context, h route.Host, r *http.Request, err error) {
	be, ok := errors.AsType[*auth.BindError](err)
	if !ok {
		return
	}
	s.metrics.bindRefused.WithLabelValues(be.Reason).Inc()
	if a := accessFrom(ctx); a != nil {
		a.refused = true
	}
	trace.SpanFromContext(ctx).SetAttributes(attribute.String("tenantkit.binding_refused", be.Reason))
	meta := auth.ClientMeta{IP: s.clientIP(r)}
	s.logger.WarnContext(ctx, "binding refused",
		slog.String("reason", be.Reason), slog.String("host_tenant_id", h.Tenant.ID.String()),
		slog.String("client_ip", meta.IP), slog.String("path", r.URL.Path))
	if h.Kind != route.TenantHost {
		return
	}
	if ok, _ := s.securityEvents.Allow(h.Tenant.ID.String() + "|" + meta.IP); !ok {
		return
	}
	detail := map[string]string{"reason": be.Reason, "ip": meta.IP, "method": r.Method, "path": r.URL.Path}
	if err := s.tenants.RecordSecurityEvent(context.WithoutCancel(ctx), h.Tenant.ID, "security.binding_refused", detail); err != nil {
		s.logger.ErrorContext(ctx, "record security event", slog.Any("error", err))
	}
}
