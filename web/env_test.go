package web_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/jackc/pgx/v5"
	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/web"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

const baseDomain = "tenantkit.test"

// missingID is a well-formed id that no row of any tenant has.
const missingID = "9b7f3c1e-2d4a-4c5b-8e6f-0a1b2c3d4e5f"

// testParams keep password hashing cheap in tests that do not measure it.
var testParams = password.Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// env is a running tenantkit (package app) over real PostgreSQL, serving
// on a random port of 127.0.0.1, seeded with the demo tenants, whose clock
// the test holds.
type env struct {
	t          testing.TB
	base       string
	clock      *clocktest.Clock
	db         *pgtest.DB
	app        *app.App
	store      *store.Store
	auth       *auth.Service
	web        *web.Server
	outbox     *mailer.Outbox
	mail       *mailer.Queue
	url, port  string
	seeded     map[string]demo.Seeded
	sessionKey string
	sigKey     string
	hasher     *password.Hasher
}

// envConfig is what the options of newEnv change.
type envConfig struct {
	base   string
	params password.Params
	at     time.Time
	app    func(*app.Config)
	tracer trace.TracerProvider
	sender mailer.Sender
	dns    tenants.Resolver
	logger *slog.Logger
	jobs   bool
	trace  pgx.QueryTracer
}

// An envOption changes how newEnv builds the environment.
type envOption func(*envConfig)

// onBase serves the apex base (tenants at {slug}.base). Defaults to
// baseDomain.
func onBase(base string) envOption { return func(c *envConfig) { c.base = base } }

// hashedWith hashes passwords with params. Defaults to testParams.
func hashedWith(params password.Params) envOption {
	return func(c *envConfig) { c.params = params }
}

// at seeds the demo and starts the clock at t. Defaults to
// clocktest.Default.
func at(t time.Time) envOption { return func(c *envConfig) { c.at = t } }

// withApp changes the application's configuration.
func withApp(f func(*app.Config)) envOption { return func(c *envConfig) { c.app = f } }

// tracedBy traces requests and statements with tp.
func tracedBy(tp trace.TracerProvider) envOption { return func(c *envConfig) { c.tracer = tp } }

// sendingThrough delivers mail through s (behind the mail queue) instead
// of the outbox.
func sendingThrough(s mailer.Sender) envOption { return func(c *envConfig) { c.sender = s } }

// resolving looks up custom domains' TXT records with r.
func resolving(r tenants.Resolver) envOption { return func(c *envConfig) { c.dns = r } }

func newEnv(t testing.TB, opts ...envOption) *env {
	t.Helper()
	c := envConfig{base: baseDomain, params: testParams, at: clocktest.Default}
	for _, o := range opts {
		o(&c)
	}
	clock := clocktest.New(c.at)
	e := &env{t: t, base: c.base, clock: clock, db: pgtest.New(t), hasher: password.NewHasher(c.params, password.Offline),
		sessionKey: auth.GenerateKeySpec("k1", 32), sigKey: auth.GenerateKeySpec("s1", 32)}
	// Listen on 127.0.0.1 only: browsers resolve *.localhost there.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	_, e.port, _ = net.SplitHostPort(ln.Addr().String())
	e.url = "http://" + ln.Addr().String()
	cfg := app.Config{
		DatabaseURL: e.db.AppURL, PlatformDatabaseURL: e.db.PlatformURL, BaseDomain: c.base,
		PublicURL: "http://" + c.base + ":" + e.port, SessionKeys: e.sessionKey, TenantSigKeys: e.sigKey,
		Dev: true, TenantRate: -1, TenantInFlight: -1, AnonymousRate: -1, AnonymousInFlight: -1, DBCheckConnections: true,
		// The tests' cheap hashes need no rate bound (TestAFloodOfSignIns… sets one).
		PasswordHashRate: -1,
	}
	if c.jobs {
		cfg.JobsDatabaseURL = e.db.JobsURL
	}
	if c.app != nil {
		c.app(&cfg)
	}
	opts2 := []app.Option{app.WithClock(clock.Now), app.WithListener(ln), app.WithPasswordParams(c.params)}
	if c.tracer != nil {
		opts2 = append(opts2, app.WithTracerProvider(c.tracer))
	}
	if c.sender != nil {
		opts2 = append(opts2, app.WithSender(c.sender))
	}
	if c.dns != nil {
		opts2 = append(opts2, app.WithResolver(c.dns))
	}
	if c.logger != nil {
		opts2 = append(opts2, app.WithLogger(c.logger))
	}
	if c.trace != nil {
		opts2 = append(opts2, app.WithQueryTracer(c.trace))
	}
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, opts2...)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	e.app, e.store, e.auth, e.web, e.outbox, e.mail = a, a.Store, a.Auth, a.Web, a.Outbox, a.Mail
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-served
		a.Close(context.Background())
	})
	if e.seeded, err = demo.Seed(ctx, e.store, e.hasher, clock.Now()); err != nil {
		t.Fatal(err)
	}
	return e
}

// now returns the time of the environment's clock.
func (e *env) now() time.Time { return e.clock.Peek() }

// mails returns the mail sent so far, newest first, once the mail queue
// has delivered all of it.
func (e *env) mails() []mailer.Message {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := e.mail.Flush(ctx); err != nil {
		e.t.Fatalf("mail queue: %v", err)
	}
	return e.outbox.Messages()
}

// mailTo returns the newest message to address; it fails the test if
// there is none.
func (e *env) mailTo(address string) mailer.Message {
	e.t.Helper()
	for _, m := range e.mails() {
		if strings.EqualFold(m.To, address) {
			return m
		}
	}
	e.t.Fatalf("no mail to %s", address)
	return mailer.Message{}
}

// linkToken returns the token of the link in the newest message to
// address.
func (e *env) linkToken(address string) string {
	e.t.Helper()
	text := e.mailTo(address).Text
	i := strings.Index(text, "token=")
	if i < 0 {
		e.t.Fatalf("no link with a token in the mail to %s: %s", address, text)
	}
	tok, err := url.QueryUnescape(strings.Fields(text[i+len("token="):])[0])
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// session is what a client holds after signing in.
type session struct {
	Token     string `json:"token"`
	TenantSig string `json:"tenant_sig"`
}

// workingJobs makes the application work the background jobs (the jobs
// role's connection), as serve and dev do.
func workingJobs() envOption { return func(c *envConfig) { c.jobs = true } }

// tracingQueries shows the app pool's statements to t.
func tracingQueries(t pgx.QueryTracer) envOption { return func(c *envConfig) { c.trace = t } }

// loggingTo logs to logger. Defaults to one that discards.
func loggingTo(logger *slog.Logger) envOption { return func(c *envConfig) { c.logger = logger } }

// response is a read response.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// problemBody returns the body with the per-request instance removed, for
// comparing two refusals.
func (r response) problemBody(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	r.json(t, &m)
	delete(m, "instance")
	return m
}

// req is one request: the host is "acme", "globex", "" (apex) or a full
// host name.
type req struct {
	method, host, path string
	body               any
	sess               *session
	header             map[string]string
	cookies            []*http.Cookie
}

func (e *env) hostName(h string) string {
	switch {
	case h == "":
		return e.base
	case strings.Contains(h, "."):
		return h
	}
	return h + "." + e.base
}

func (e *env) do(r req) response {
	e.t.Helper()
	var body io.Reader
	if r.body != nil {
		switch b := r.body.(type) {
		case string:
			body = strings.NewReader(b)
		case url.Values:
			body = strings.NewReader(b.Encode())
		default:
			js, _ := json.Marshal(b)
			body = strings.NewReader(string(js))
		}
	}
	hr, err := http.NewRequest(r.method, e.url+r.path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	hr.Host = e.hostName(r.host) + ":" + e.port
	if r.body != nil {
		if _, ok := r.body.(url.Values); ok {
			hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			hr.Header.Set("Content-Type", "application/json")
		}
	}
	if r.sess != nil {
		if r.sess.Token != "" {
			hr.Header.Set("Authorization", "Bearer "+r.sess.Token)
		}
		if r.sess.TenantSig != "" {
			hr.AddCookie(&http.Cookie{Name: "__Host-tenant_sig", Value: r.sess.TenantSig})
		}
	}
	for _, c := range r.cookies {
		hr.AddCookie(c)
	}
	for k, v := range r.header {
		hr.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(hr)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: b}
}

// login signs in on host (a tenant slug, or "" for the apex) and returns
// the session.
func (e *env) login(host, email string) *session {
	e.t.Helper()
	r := e.do(req{method: "POST", host: host, path: "/api/auth/login", body: map[string]string{"email": email, "password": demo.Password}})
	if r.Status != 200 {
		e.t.Fatalf("login %s on %q: %d %s", email, host, r.Status, r.Body)
	}
	var s session
	r.json(e.t, &s)
	return &s
}

// sessionOf returns GET /api/auth/session on host with s.
func (e *env) sessionOf(host string, s *session) response {
	e.t.Helper()
	return e.do(req{method: "GET", host: host, path: "/api/auth/session", sess: s})
}

func expectStatus(t testing.TB, r response, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("status %d, want %d: %s", r.Status, want, r.Body)
	}
}
