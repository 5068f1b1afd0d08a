package probe_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/dnstest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/probe"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// testParams keep password hashing cheap: the probe signs in often.
var testParams = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// server is a running tenantkit on a random port of 127.0.0.1, over a
// fresh database reached as the app role, seeded with the demo tenants.
// Its apex is localhost: tenants are at {slug}.localhost:port, which only
// the probe's own dialer reaches.
type server struct {
	clock       *clocktest.Clock
	db          *pgtest.DB
	store       *store.Store
	web         *web.Server
	outbox      *mailer.Outbox
	mail        *mailer.Queue
	hasher      *password.Hasher
	port        string
	sessionKeys string
	dns         *dnstest.Resolver
	tenants     *tenants.Admin
}

type serverConfig struct {
	maxConns int32
	at       time.Time
	wrap     func(*server, http.Handler) http.Handler
}

// withPool sizes the app pool.
func withPool(n int32) func(*serverConfig) { return func(c *serverConfig) { c.maxConns = n } }

// wrapped puts wrap in front of the server's handler: a deployment with a
// flaw the test plants.
func wrapped(wrap func(*server, http.Handler) http.Handler) func(*serverConfig) {
	return func(c *serverConfig) { c.wrap = wrap }
}

// startingAt starts the server's clock at t. Defaults to clocktest.Default.
func startingAt(t time.Time) func(*serverConfig) { return func(c *serverConfig) { c.at = t } }

func newServer(tb testing.TB, opts ...func(*serverConfig)) *server {
	tb.Helper()
	sc := serverConfig{at: clocktest.Default}
	for _, o := range opts {
		o(&sc)
	}
	clock := clocktest.New(sc.at)
	s := &server{clock: clock, db: pgtest.New(tb), hasher: password.NewHasher(testParams, password.Offline), sessionKeys: auth.GenerateKeySpec("k1", 32), dns: dnstest.New()}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	_, s.port, _ = net.SplitHostPort(ln.Addr().String())
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, app.Config{
		DatabaseURL: s.db.AppURL, PlatformDatabaseURL: s.db.PlatformURL, BaseDomain: "localhost",
		SessionKeys: s.sessionKeys, TenantSigKeys: auth.GenerateKeySpec("s1", 32), Dev: true, PasswordHashRate: -1,
		// The probe hammers the server: the per-tenant limits would only
		// slow it.
		TenantRate: -1, TenantInFlight: -1, AnonymousRate: -1, AnonymousInFlight: -1,
		DBMaxConns: sc.maxConns, DBCheckConnections: true,
	}, app.WithClock(clock.Now), app.WithListener(ln), app.WithPasswordParams(testParams), app.WithResolver(s.dns))
	if err != nil {
		cancel()
		tb.Fatal(err)
	}
	s.store, s.web, s.outbox, s.mail, s.tenants = a.Store, a.Web, a.Outbox, a.Mail, a.Tenants
	served := make(chan error, 1)
	if sc.wrap == nil {
		go func() { served <- a.Serve(ctx) }()
	} else {
		// A planted flaw sits in front of the server's own handler.
		srv := &http.Server{Handler: sc.wrap(s, a.Web), ReadHeaderTimeout: 10 * time.Second}
		go func() { served <- srv.Serve(ln) }()
		go func() { <-ctx.Done(); _ = srv.Close() }()
	}
	tb.Cleanup(func() {
		cancel()
		<-served
		a.Close(context.Background())
	})
	if _, err := demo.Seed(ctx, s.store, s.hasher, clock.Now()); err != nil {
		tb.Fatal(err)
	}
	return s
}

// config returns the probe's configuration for s: tenant A is acme, B
// globex; expired tokens are signed with the server's key; reset mail is
// read from the outbox; sign-ins come from 40 loopback addresses so the
// per-address sign-in limit does not slow the run.
func (s *server) config() probe.Config {
	var addrs []string
	for i := 2; i < 42; i++ {
		addrs = append(addrs, fmt.Sprintf("127.0.0.%d", i))
	}
	return probe.Config{
		BaseURL:     "http://acme.localhost:" + s.port,
		SessionKeys: s.sessionKeys,
		SignInAddrs: addrs,
		Mailbox: probe.MailboxFunc(func(ctx context.Context, address string) (string, error) {
			if err := s.mail.Flush(ctx); err != nil {
				return "", err
			}
			for _, m := range s.outbox.Messages() {
				if strings.EqualFold(m.To, address) {
					return probe.TokenInText(m.Text)
				}
			}
			return "", fmt.Errorf("no mail to %s", address)
		}),
		PublishTXT: func(_ context.Context, name, value string) error {
			s.dns.Publish(name, value)
			return nil
		},
		GrantSupport: func(ctx context.Context, slug string) (string, error) {
			g, err := s.tenants.GrantSupport(ctx, tenants.Operator{Actor: "test:probe", Reason: "the probe ends support access as an owner"}, slug, time.Minute)
			return g.ID.String(), err
		},
		GrantOperator: func(ctx context.Context, email string) error {
			_, err := tenants.NewOperators(s.store, time.Now).Grant(ctx, tenants.Operator{Actor: "test:probe", Reason: "the probe runs the operators' operations"}, email)
			return err
		},
		MaxRateLimitWait: -1,
		Seed:             20261127,
		Now:              s.clock.Now,
	}
}
