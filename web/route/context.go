package route

import (
	"context"
	"net/http"
	"strings"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/tenant"
)

// Host is what a request's host names: the apex, or a tenant.
type Host struct {
	Kind Kind
	// Name is the canonical host name (lower case, no port, no trailing
	// dot).
	Name   string
	Tenant tenant.Tenant // on a tenant host
}

type hostKey struct{}

// WithHost returns ctx carrying the request's resolved host.
func WithHost(ctx context.Context, h Host) context.Context {
	return context.WithValue(ctx, hostKey{}, h)
}

// HostFrom returns the request's resolved host.
func HostFrom(ctx context.Context) (Host, bool) {
	h, ok := ctx.Value(hostKey{}).(Host)
	return h, ok
}

// HostTenant returns the tenant whose host served the request, or nil on
// the apex host.
func HostTenant(ctx context.Context) *tenant.Tenant {
	h, ok := HostFrom(ctx)
	if !ok || h.Kind != TenantHost {
		return nil
	}
	t := h.Tenant
	return &t
}

type principalKey struct{}

// WithPrincipal returns ctx carrying the authenticated principal.
func WithPrincipal(ctx context.Context, p auth.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated principal of the request.
func PrincipalFrom(ctx context.Context) (auth.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(auth.Principal)
	return p, ok
}

type clientKey struct{}

// WithClient returns ctx carrying what is known of the request's client.
func WithClient(ctx context.Context, m auth.ClientMeta) context.Context {
	return context.WithValue(ctx, clientKey{}, m)
}

// ClientFrom returns the request's client, recorded by the server.
func ClientFrom(ctx context.Context) auth.ClientMeta {
	m, _ := ctx.Value(clientKey{}).(auth.ClientMeta)
	return m
}

type headerKey struct{}

// WithHeader returns ctx carrying the request's headers, for operation
// wrappers that read one generically (Idempotency-Key).
func WithHeader(ctx context.Context, h http.Header) context.Context {
	return context.WithValue(ctx, headerKey{}, h)
}

// Header returns the request's headers recorded by WithHeader.
func Header(ctx context.Context) http.Header {
	h, _ := ctx.Value(headerKey{}).(http.Header)
	return h
}

// Credentials reads the session token (Authorization: Bearer, else the
// session cookie) and the signed tenant cookie.
func Credentials(r *http.Request) auth.Credentials {
	var c auth.Credentials
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			c.Token = strings.TrimSpace(tok)
		}
	} else if ck, err := r.Cookie(SessionCookie); err == nil {
		c.Token = ck.Value
	}
	if ck, err := r.Cookie(TenantSigCookie); err == nil {
		c.TenantSig = ck.Value
	}
	return c
}

// PublicScope returns ctx scoped to the tenant whose host served a public
// request: the tenant alone, no account or member. The host is the only
// source of it.
func PublicScope(ctx context.Context) (context.Context, error) {
	h, ok := HostFrom(ctx)
	if !ok || h.Kind != TenantHost {
		return ctx, tenant.NotFound("organization")
	}
	return tenant.WithScope(ctx, tenant.Scope{TenantID: h.Tenant.ID, RequestID: tenant.RequestIDFrom(ctx)}), nil
}

// WantsHTML reports whether a page request came from a browser navigation
// rather than an API client.
func WantsHTML(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "text/html")
}
