package web

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// errBadHost is a Host header that cannot name anything we serve.
var errBadHost = errors.New("malformed host")

// canonicalHost returns the lower-case host name of hostport without its
// port or a trailing dot. Only ASCII letters, digits, hyphens and dots are
// accepted: an internationalized name must arrive in its punycode form, so
// a homograph cannot match a tenant's name.
func canonicalHost(hostport string) (string, error) {
	h := hostport
	if strings.Contains(h, ":") {
		var err error
		if h, _, err = net.SplitHostPort(hostport); err != nil {
			return "", errBadHost
		}
	}
	h = strings.ToLower(strings.TrimSuffix(h, "."))
	if h == "" || len(h) > 253 {
		return "", errBadHost
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return "", errBadHost
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return "", errBadHost
			}
		}
	}
	return h, nil
}

// tenantSlug returns the slug of a tenant subdomain of base ("acme" for
// "acme.example.com"), or "" when name is not exactly one label under base.
func tenantSlug(name, base string) string {
	label, ok := strings.CutSuffix(name, "."+base)
	if !ok || label == "" || strings.Contains(label, ".") {
		return ""
	}
	return label
}

// directory finds tenants by slug or custom domain.
type directory interface {
	Find(ctx context.Context, slug string) (tenant.Tenant, error)
	FindByDomain(ctx context.Context, domain string) (tenant.Tenant, error)
}

// hostResolver maps host names to tenants, caching answers briefly so a
// request does not pay a database round trip for its host. A tenant
// suspended or a domain removed takes effect within the cache lifetime; a
// tenant just created (a sign-up) or a domain just verified, within the
// shorter lifetime of an unknown host's answer.
type hostResolver struct {
	base   string
	dir    directory
	ttl    time.Duration
	negTTL time.Duration
	max    int
	now    func() time.Time

	mu    sync.Mutex
	cache map[string]cachedHost
}

type cachedHost struct {
	h       route.Host
	err     error
	expires time.Time
}

func newHostResolver(base string, dir directory) *hostResolver {
	return &hostResolver{base: base, dir: dir, ttl: 10 * time.Second, negTTL: 2 * time.Second, max: 10_000, now: time.Now, cache: map[string]cachedHost{}}
}

// forget drops every cached answer that names tenant id: its status or
// its domains changed.
func (hr *hostResolver) forget(id uuid.UUID) {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	for name, c := range hr.cache {
		if c.h.Tenant.ID == id {
			delete(hr.cache, name)
		}
	}
}

// forgetHost drops the cached answer for host name: a custom domain was
// verified or removed.
func (hr *hostResolver) forgetHost(name string) {
	hr.mu.Lock()
	defer hr.mu.Unlock()
	delete(hr.cache, name)
}

// errUnknownHost is a well-formed host that names no tenant.
var errUnknownHost = tenant.NotFound("site")

// resolve returns what the host names: the apex, a tenant, or
// errUnknownHost. Database failures are returned as they are and not cached.
func (hr *hostResolver) resolve(ctx context.Context, hostport string) (route.Host, error) {
	name, err := canonicalHost(hostport)
	if err != nil {
		return route.Host{}, errUnknownHost
	}
	if name == hr.base {
		return route.Host{Kind: route.ApexHost, Name: name}, nil
	}
	now := hr.now()
	hr.mu.Lock()
	c, ok := hr.cache[name]
	hr.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.h, c.err
	}
	var t tenant.Tenant
	if slug := tenantSlug(name, hr.base); slug != "" {
		t, err = hr.dir.Find(ctx, slug)
	} else {
		t, err = hr.dir.FindByDomain(ctx, name)
	}
	var h route.Host
	switch {
	case err == nil:
		h = route.Host{Kind: route.TenantHost, Name: name, Tenant: t}
	case tenant.IsCode(err, tenant.CodeNotFound):
		err = errUnknownHost
	default:
		return route.Host{}, err
	}
	hr.mu.Lock()
	if len(hr.cache) >= hr.max {
		clear(hr.cache)
	}
	ttl := hr.ttl
	if err != nil {
		ttl = hr.negTTL
	}
	hr.cache[name] = cachedHost{h: h, err: err, expires: now.Add(ttl)}
	hr.mu.Unlock()
	return h, err
}
