package probe

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strings"
	"time"
)

// Config configures a probe run.
type Config struct {
	// BaseURL is any address of the deployment: a tenant host
	// (http://acme.localhost:8080, whose first label then names tenant A)
	// or the apex (http://localhost:8080). Required.
	BaseURL string
	// TenantA and TenantB are the slugs of the two tenants: A acts, B is
	// attacked. Default: the first label of BaseURL's host (or "acme" on
	// the apex) and "globex".
	TenantA, TenantB string
	// Password is the password of the tenants' logins. Defaults to the demo
	// password, "tenantkit-demo".
	Password string
	// Login returns the email of the login with role ("owner", "staff",
	// "client") in the tenant with slug. Defaults to the demo's
	// role@slug.test.
	Login func(slug, role string) string
	// Markers maps a tenant slug to the word every one of its rows carries
	// (the demo's "Acme", "Globex"). Defaults to the first word of the
	// tenant's name.
	Markers map[string]string
	// Connect, when set, is the host:port every request is sent to,
	// whatever its host name (curl's --resolve). By default *.localhost
	// names go to 127.0.0.1 and other names through the system resolver.
	Connect string
	// SignInAddrs, when set, are local addresses (127.0.0.x) that the
	// requests the server limits per client address (sign-in, password
	// reset) are sent from, one per connection, so those limits do not
	// throttle a test run. The per-email limits still apply. Default: none.
	SignInAddrs []string
	// SessionKeys is the server's SESSION_KEYS ("kid:base64,…"): with it
	// the probe forges expired tokens of its own sessions. Without it the
	// expired-token variant is skipped (and reported so).
	SessionKeys string
	// Mailbox reads the mail the server sends (password resets). Defaults
	// to the development outbox page of the apex host (/dev/outbox).
	Mailbox Mailbox
	// HostA, when set, is the host tenant A is attacked on instead of
	// {slug}.{apex}: a verified custom domain, which must then hold the
	// matrix as the subdomain does. Default: the subdomain.
	HostA string
	// PublishTXT publishes a DNS TXT record where the server's resolver
	// finds it: the probe verifies the custom domains it adds with it.
	// Without it the domain verification cannot succeed and is reported
	// uncovered. A test passes its fake resolver's.
	PublishTXT func(ctx context.Context, name, value string) error
	// GrantSupport opens an operator's support access to the tenant with
	// slug and returns the grant's id (the platform path: tenants.Admin,
	// or `tenantkit tenant support`): the probe ends such grants through
	// the owners' operation, and needs one of tenant B's for the
	// foreign-id variant. Without it that operation is reported
	// uncovered.
	GrantSupport func(ctx context.Context, slug string) (string, error)
	// GrantOperator makes the account with email a platform operator (the
	// platform path: tenants.Operators, or `tenantkit operator grant`): the
	// probe grants it to a fresh account of tenant A, whose operations
	// then act on throwaway organizations the probe creates. Without it
	// the operators' operations are reported uncovered.
	GrantOperator func(ctx context.Context, email string) error
	// SkipInjection skips the SQL-injection pass.
	SkipInjection bool
	// SkipEdges skips the input-edge pass (see [EdgeResult]).
	SkipEdges bool
	// Fingerprint, when set, returns a digest of the whole database; the
	// input-edge pass takes one before its requests and one after, and
	// they must be equal (every request is refused). Without it, tenant B
	// is read back as after every variant. A test sets it; a deployment's
	// operator may, from a read-only connection.
	Fingerprint func(ctx context.Context) (string, error)
	// Soak, when Probes > 0, runs a randomized soak after the matrix.
	Soak SoakConfig
	// RequestTimeout bounds each request. Defaults to 30s.
	RequestTimeout time.Duration
	// MaxRateLimitWait is the longest Retry-After the probe waits out before
	// retrying a rate-limited request. Defaults to 2m; negative: never wait.
	MaxRateLimitWait time.Duration
	// Seed seeds the derived values and the soak. Defaults to a random seed.
	Seed uint64
	// Log receives progress lines. Default: none.
	Log io.Writer
	// Now is the probe's clock, which should agree with the server's: the
	// free slots it books and the past appointments it marks are judged by
	// it. Required (tenantkit probe passes time.Now).
	Now func() time.Time
}

func (c *Config) logf(format string, args ...any) {
	if c.Log != nil {
		fmt.Fprintf(c.Log, format+"\n", args...)
	}
}

func (c *Config) defaults() error {
	if c.BaseURL == "" {
		return errors.New("probe: a base URL is required")
	}
	if c.Now == nil {
		return errors.New("probe: a clock (Config.Now) is required")
	}
	if c.Password == "" {
		c.Password = "tenantkit-demo"
	}
	if c.Login == nil {
		c.Login = func(slug, role string) string { return role + "@" + slug + ".test" }
	}
	if c.TenantB == "" {
		c.TenantB = "globex"
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 30 * time.Second
	}
	if c.MaxRateLimitWait == 0 {
		c.MaxRateLimitWait = 2 * time.Minute
	}
	if c.Seed == 0 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		c.Seed = binary.LittleEndian.Uint64(b[:]) | 1
	}
	return nil
}

// target is what the base URL names: the scheme, the port, the apex host
// name and tenant A's slug.
type target struct {
	scheme, port, apex, slugA string
}

func parseBaseURL(raw, tenantA string) (target, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return target{}, fmt.Errorf("probe: base URL %q: want http(s)://host[:port]", raw)
	}
	t := target{scheme: u.Scheme, port: u.Port()}
	host := strings.ToLower(u.Hostname())
	if net.ParseIP(host) != nil {
		return target{}, fmt.Errorf("probe: base URL %q: tenants are host names; use a name (acme.localhost), with --connect for the address", raw)
	}
	t.apex = host
	// localhost, or a two-label name (example.com), is the apex; anything
	// longer starts with a tenant's label.
	if host != "localhost" && strings.Count(host, ".") >= 1 && (strings.HasSuffix(host, ".localhost") || strings.Count(host, ".") >= 2) {
		label, rest, _ := strings.Cut(host, ".")
		t.apex, t.slugA = rest, label
	}
	switch {
	case tenantA != "":
		t.slugA = tenantA
	case t.slugA == "":
		t.slugA = "acme"
	}
	return t, nil
}

// Run probes the deployment at cfg.BaseURL: it learns every operation from
// the OpenAPI documents of a tenant host and of the apex, signs in to
// tenants A and B, and runs the attack matrix on every operation (see the
// package documentation), then the SQL-injection pass and, if configured,
// the soak. An error means the probe could not set itself up; failures of
// the system under test are in the report (see [Report.Failed]).
func Run(ctx context.Context, cfg Config) (*Report, error) {
	p, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	rep := p.report
	start := time.Now()
	p.matrix(ctx)
	p.flows(ctx)
	if !p.cfg.SkipInjection {
		p.inject(ctx)
	}
	if !p.cfg.SkipEdges {
		p.edges(ctx)
	}
	rep.MatrixSeconds = time.Since(start).Seconds()
	if p.cfg.Soak.Probes > 0 {
		s, err := p.soak(ctx, p.cfg.Soak)
		if err != nil {
			return rep, err
		}
		rep.Soak = s
		for _, l := range s.Samples {
			rep.fail("soak", "", "%s", l)
		}
		if s.ServerErrors > 0 || s.Leaks > 0 {
			rep.fail("soak", "", "%d leaks, %d server errors or failed requests (not cancelled)", s.Leaks, s.ServerErrors)
		}
	}
	rep.Requests = p.c.requests.Load()
	rep.SignIns = p.c.signIns.Load()
	rep.RateLimitWaitSeconds = time.Duration(p.c.waited.Load()).Seconds()
	return rep, nil
}

// Soak runs only the soak of cfg.Soak against the deployment (no matrix):
// it learns the operations and the tenants, then sends cfg.Soak.Probes
// random requests.
func Soak(ctx context.Context, cfg Config) (*SoakResult, error) {
	if cfg.Soak.Probes <= 0 {
		return nil, errors.New("probe: a soak needs a number of probes")
	}
	p, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	return p.soak(ctx, cfg.Soak)
}

// prepare completes cfg with its defaults and sets a run up: it learns the
// operations and the tenants and signs in.
func prepare(ctx context.Context, cfg Config) (*prober, error) {
	if err := cfg.defaults(); err != nil {
		return nil, err
	}
	return newProber(ctx, &cfg)
}
