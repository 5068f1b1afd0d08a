// Command tenantkit-scaleload drives a bounded, mixed multi-tenant load at a
// running tenantkit over HTTP and checks, on every read, that no row of
// another tenant appears. scripts/scaleout.sh runs it against two
// instances behind PgBouncer and a reverse proxy, then against one.
//
//	tenantkit-scaleload -seed -app-url URL -platform-url URL   # the demo tenants, once
//	tenantkit-scaleload -target http://127.0.0.1:PORT -requests 4000 -duration 20s -label two
//
// Every demo tenant's owner signs in, then workers run until either bound
// is reached: 55 % list the tenant's canary services (q=canary), 20 % read
// one of the tenant's own canaries by id, 15 % create a canary (its slug
// and name carry the tenant's marker), 10 % ask for another tenant's
// canary by id. A foreign row is a listed canary without the tenant's
// marker, or another tenant's canary answered with anything but 404. It
// prints one line of figures and exits 1 when it saw a foreign row or more
// than 1 % of requests failed.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/store"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "tenantkit-scaleload:", err)
		os.Exit(1)
	}
}

type config struct {
	seed                bool
	appURL, platformURL string
	target, baseDomain  string
	requests            int
	duration            time.Duration
	concurrency         int
	label               string
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("tenantkit-scaleload", flag.ContinueOnError)
	var c config
	fs.BoolVar(&c.seed, "seed", false, "seed the demo tenants through the store (needs -app-url and -platform-url), then exit")
	fs.StringVar(&c.appURL, "app-url", "", "app role connection string, for -seed")
	fs.StringVar(&c.platformURL, "platform-url", "", "platform role connection string, for -seed")
	fs.StringVar(&c.target, "target", "", "base URL to send requests to, e.g. http://127.0.0.1:8090")
	fs.StringVar(&c.baseDomain, "base-domain", "localhost", "the server's BASE_DOMAIN; tenants are {slug}.{base-domain}")
	fs.IntVar(&c.requests, "requests", 2000, "stop after this many requests")
	fs.DurationVar(&c.duration, "duration", 20*time.Second, "stop after this long")
	fs.IntVar(&c.concurrency, "concurrency", 16, "requests in flight")
	fs.StringVar(&c.label, "label", "load", "name printed with the figures")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if c.seed {
		return seed(ctx, c)
	}
	if c.target == "" {
		return fmt.Errorf("-target is required")
	}
	r, err := load(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, r)
	if r.foreign > 0 {
		return fmt.Errorf("%d foreign rows", r.foreign)
	}
	if r.failed*100 > r.requests {
		return fmt.Errorf("%d of %d requests failed (first: %s)", r.failed, r.requests, r.firstFailure)
	}
	return nil
}

func seed(ctx context.Context, c config) error {
	st, err := store.Open(ctx, store.Config{AppURL: c.appURL, PlatformURL: c.platformURL})
	if err != nil {
		return err
	}
	defer st.Close()
	_, err = demo.Seed(ctx, st, password.NewHasher(password.DefaultParams, password.Offline), time.Now())
	return err
}

// tenantClient is one tenant's signed-in owner and the canaries it wrote.
type tenantClient struct {
	slug, host, token, sig string

	mu       sync.Mutex
	canaries []string // ids
}

func (t *tenantClient) marker() string { return "canary-" + t.slug + "-" }

func (t *tenantClient) addCanary(id string) {
	t.mu.Lock()
	t.canaries = append(t.canaries, id)
	t.mu.Unlock()
}

func (t *tenantClient) someCanary(rng *rand.Rand) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.canaries) == 0 {
		return ""
	}
	return t.canaries[rng.IntN(len(t.canaries))]
}

type result struct {
	label                      string
	requests, failed, foreign  int64
	created                    int64
	elapsed                    time.Duration
	p50, p99                   time.Duration
	firstFailure               string
	crossTenantRefused, listed int64
}

func (r result) String() string {
	return fmt.Sprintf("%s: %d requests in %.1fs = %.0f req/s, p50 %.1f ms, p99 %.1f ms; %d canaries written, %d canary rows read, %d cross-tenant reads refused (404); failed %d; FOREIGN ROWS %d",
		r.label, r.requests, r.elapsed.Seconds(), float64(r.requests)/r.elapsed.Seconds(),
		float64(r.p50.Microseconds())/1000, float64(r.p99.Microseconds())/1000,
		r.created, r.listed, r.crossTenantRefused, r.failed, r.foreign)
}

var client = &http.Client{
	Timeout:   10 * time.Second,
	Transport: &http.Transport{MaxIdleConnsPerHost: 256, MaxConnsPerHost: 256},
}

func (c config) do(ctx context.Context, t *tenantClient, method, path string, body any) (int, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.target+path, rd)
	if err != nil {
		return 0, nil, err
	}
	req.Host = t.host
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if t.token != "" {
		req.Header.Set("Authorization", "Bearer "+t.token)
		req.AddCookie(&http.Cookie{Name: "__Host-tenant_sig", Value: t.sig})
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

func load(ctx context.Context, c config) (result, error) {
	var tenants []*tenantClient
	for _, slug := range []string{"acme", "globex"} {
		t := &tenantClient{slug: slug, host: slug + "." + c.baseDomain}
		status, body, err := c.do(ctx, t, "POST", "/api/auth/login", map[string]string{"email": "owner@" + slug + ".test", "password": demo.Password})
		if err != nil || status != 200 {
			return result{}, fmt.Errorf("sign in to %s: %d %s %v", slug, status, body, err)
		}
		var login struct {
			Token     string `json:"token"`
			TenantSig string `json:"tenant_sig"`
		}
		if err := json.Unmarshal(body, &login); err != nil {
			return result{}, err
		}
		t.token, t.sig = login.Token, login.TenantSig
		tenants = append(tenants, t)
	}
	r := result{label: c.label}
	var sent, failed, foreign, created, refused, listed atomic.Int64
	var failMu sync.Mutex
	fail := func(what string) {
		if ctx.Err() != nil {
			return // cut short by the time bound, not a failure
		}
		if failed.Add(1) == 1 {
			failMu.Lock()
			r.firstFailure = what
			failMu.Unlock()
		}
	}
	lat := make([][]time.Duration, c.concurrency)
	ctx, cancel := context.WithTimeout(ctx, c.duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range c.concurrency {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), uint64(start.UnixNano())))
			for n := 0; ; n++ {
				if ctx.Err() != nil || sent.Add(1) > int64(c.requests) {
					return
				}
				t := tenants[rng.IntN(len(tenants))]
				other := tenants[(slices.Index(tenants, t)+1)%len(tenants)]
				began := time.Now()
				switch p := rng.IntN(100); {
				case p < 15:
					slug := fmt.Sprintf("%s%d-%d-%d", t.marker(), w, n, rng.Uint32())
					status, body, err := c.do(ctx, t, "POST", "/api/services", map[string]any{
						"slug": slug, "name": slug, "duration_minutes": 30, "price_minor": 5000, "currency": "USD",
					})
					if err != nil || status != 201 {
						fail(fmt.Sprintf("create: %d %s %v", status, body, err))
						break
					}
					var s struct {
						ID string `json:"id"`
					}
					_ = json.Unmarshal(body, &s)
					t.addCanary(s.ID)
					created.Add(1)
				case p < 35:
					id := t.someCanary(rng)
					if id == "" {
						break
					}
					status, body, err := c.do(ctx, t, "GET", "/api/services/"+id, nil)
					if err != nil || status != 200 {
						fail(fmt.Sprintf("get: %d %s %v", status, body, err))
						break
					}
					if !strings.Contains(string(body), `"name":"`+t.marker()) {
						foreign.Add(1)
					}
				case p < 45:
					id := other.someCanary(rng)
					if id == "" {
						break
					}
					status, body, err := c.do(ctx, t, "GET", "/api/services/"+id, nil)
					switch {
					case err != nil:
						fail(fmt.Sprintf("get other: %v", err))
					case status == 404:
						refused.Add(1)
					case status == 200:
						foreign.Add(1)
					default:
						fail(fmt.Sprintf("get other: %d %s", status, body))
					}
				default:
					status, body, err := c.do(ctx, t, "GET", "/api/services?q=canary&limit=20", nil)
					if err != nil || status != 200 {
						fail(fmt.Sprintf("list: %d %s %v", status, body, err))
						break
					}
					var page struct {
						Items []struct {
							Name string `json:"name"`
						} `json:"items"`
					}
					if err := json.Unmarshal(body, &page); err != nil {
						fail(fmt.Sprintf("list: %v", err))
						break
					}
					for _, it := range page.Items {
						listed.Add(1)
						if !strings.HasPrefix(it.Name, t.marker()) {
							foreign.Add(1)
						}
					}
				}
				if ctx.Err() == nil {
					lat[w] = append(lat[w], time.Since(began))
				}
			}
		})
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	var all []time.Duration
	for _, l := range lat {
		all = append(all, l...)
	}
	slices.Sort(all)
	if len(all) > 0 {
		r.p50, r.p99 = all[len(all)/2], all[len(all)*99/100]
	}
	r.requests, r.failed, r.foreign = int64(len(all)), failed.Load(), foreign.Load()
	r.created, r.crossTenantRefused, r.listed = created.Load(), refused.Load(), listed.Load()
	return r, nil
}
