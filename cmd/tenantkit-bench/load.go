package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The request kinds of the workload and their shares (of 100).
const (
	kindList = iota
	kindGet
	kindCreate
	kindUpdate
	kindSwitch
	kinds
)

var kindNames = [kinds]string{"list", "get", "create", "update", "switch"}

// session is one signed-in owner as the load drives it: where it is now
// (0: its own tenant, 1: the next, where it is staff), its credentials
// there, and its place in the list it pages through.
type session struct {
	seedTenant
	at         int
	floorAt    int // where the floor's switches have taken it (c has no tokens)
	token, sig string
	cursor     string // a, b: next_cursor
	afterName  string // c: the key of the last row of the page before
	afterID    string
}

// target is one variant's server.
type target struct {
	variant string
	base    string // http://127.0.0.1:port
	port    string
	client  *http.Client
}

// run is one measured run of one variant.
type run struct {
	variant      string
	requests     int
	errors       int
	firstError   string
	elapsed      time.Duration
	took         [kinds][]time.Duration
	all          []time.Duration
	goCPU, pgCPU time.Duration
}

func (r run) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// perRequest is d per request answered, failed ones included (they cost
// the server too).
func (r run) perRequest(d time.Duration) float64 {
	return float64(d.Microseconds()) / float64(r.requests+r.errors)
}

func pct(took []time.Duration, p float64) time.Duration {
	if len(took) == 0 {
		return 0
	}
	s := slices.Clone(took)
	slices.Sort(s)
	return s[min(len(s)-1, int(float64(len(s))*p))]
}

// drive sends requests requests of the mix to t from clients clients, each
// with its own sessions (so a switch never pulls a session from under
// another client), and measures them.
func drive(ctx context.Context, t *target, sessions []*session, clients, requests int, seq *atomic.Int64, cpu func() (time.Duration, time.Duration), mix [kinds]int) (run, error) {
	r := run{variant: t.variant}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	goStart, pgStart := cpu()
	start := time.Now()
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), uint64(seq.Add(1))))
			var mine [kinds][]time.Duration
			var errs int
			var first string
			var own []*session
			for i := w; i < len(sessions); i += clients {
				own = append(own, sessions[i])
			}
			for i := 0; next.Add(1) <= int64(requests) && ctx.Err() == nil; i++ {
				s := own[i%len(own)]
				k := pick(rng, mix)
				began := time.Now()
				err := t.do(ctx, s, k, rng, seq)
				if err != nil {
					// Failed requests are counted, not timed.
					errs++
					if first == "" {
						first = fmt.Sprintf("%s: %v", kindNames[k], err)
					}
					continue
				}
				mine[k] = append(mine[k], time.Since(began))
			}
			mu.Lock()
			for k := range mine {
				r.took[k] = append(r.took[k], mine[k]...)
				r.all = append(r.all, mine[k]...)
			}
			r.errors += errs
			if r.firstError == "" {
				r.firstError = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.elapsed = time.Since(start)
	goEnd, pgEnd := cpu()
	r.goCPU, r.pgCPU = goEnd-goStart, pgEnd-pgStart
	r.requests = len(r.all)
	if err := ctx.Err(); err != nil {
		return r, err // interrupted: a short run measures nothing
	}
	if r.errors > r.requests/100 {
		return r, fmt.Errorf("variant %s: %d of %d requests failed; the first: %s", t.variant, r.errors, r.requests, r.firstError)
	}
	return r, nil
}

func pick(rng *rand.Rand, mix [kinds]int) int {
	n := rng.IntN(100)
	for k, share := range mix {
		if n < share {
			return k
		}
		n -= share
	}
	return kindList
}

// floorBody is the body of the floor's create and update.
type floorBody struct {
	Slug            string `json:"slug"`
	Name            string `json:"name"`
	DurationMinutes int32  `json:"duration_minutes"`
	PriceMinor      int64  `json:"price_minor"`
	Currency        string `json:"currency"`
}

// do sends one request of kind k for s.
func (t *target) do(ctx context.Context, s *session, k int, rng *rand.Rand, seq *atomic.Int64) error {
	if t.variant == "c" {
		p := &s.places[s.floorAt]
		return t.doFloor(ctx, s, p, k, p.services[rng.IntN(len(p.services))].String(), seq)
	}
	p := &s.places[s.at]
	id := p.services[rng.IntN(len(p.services))]
	switch k {
	case kindList:
		path := "/api/services?limit=20"
		if s.cursor != "" {
			path += "&cursor=" + url.QueryEscape(s.cursor)
		}
		var out struct {
			NextCursor string `json:"next_cursor"`
		}
		if err := t.call(ctx, s, "GET", path, nil, 200, &out); err != nil {
			return err
		}
		s.cursor = out.NextCursor
		return nil
	case kindGet:
		return t.call(ctx, s, "GET", "/api/services/"+id.String(), nil, 200, nil)
	case kindCreate:
		n := seq.Add(1)
		body := map[string]any{"slug": fmt.Sprintf("new-%s-%d", t.variant, n), "name": fmt.Sprintf("New service %d", n),
			"duration_minutes": 30, "price_minor": 2500, "currency": "EUR"}
		return t.call(ctx, s, "POST", "/api/services", body, 201, nil)
	case kindUpdate:
		return t.call(ctx, s, "PATCH", "/api/services/"+id.String(), map[string]any{"price_minor": 1000 + seq.Add(1)%1000}, 200, nil)
	default:
		to := s.places[1-s.at]
		var h struct {
			Token string `json:"token"`
		}
		if err := t.call(ctx, s, "POST", "/api/auth/switch", map[string]string{"tenant": to.slug}, 200, &h); err != nil {
			return err
		}
		s.at = 1 - s.at
		var issued struct {
			Token     string `json:"token"`
			TenantSig string `json:"tenant_sig"`
		}
		anon := &session{seedTenant: s.seedTenant, at: s.at}
		if err := t.call(ctx, anon, "POST", "/api/auth/handoff", map[string]string{"token": h.Token}, 200, &issued); err != nil {
			return err
		}
		s.token, s.sig, s.cursor = issued.Token, issued.TenantSig, ""
		return nil
	}
}

// call sends one request to s's current tenant host and decodes the
// answer into out.
func (t *target) call(ctx context.Context, s *session, method, path string, body any, want int, out any) error {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, rd)
	if err != nil {
		return err
	}
	req.Host = s.places[s.at].slug + ".localhost:" + t.port
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if s.token != "" {
		req.Header.Set("Authorization", "Bearer "+s.token)
		req.AddCookie(&http.Cookie{Name: "__Host-tenant_sig", Value: s.sig})
	}
	return t.send(req, want, out)
}

func (t *target) send(req *http.Request, want int, out any) error {
	resp, err := t.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %.300s", req.Method, req.URL.Path, resp.StatusCode, b)
	}
	if out != nil {
		return json.Unmarshal(b, out)
	}
	return nil
}

// doFloor sends the floor's request of kind k: no credentials, the
// tenant and account in headers.
func (t *target) doFloor(ctx context.Context, s *session, p *place, k int, id string, seq *atomic.Int64) error {
	var method, path string
	var body any
	want := 200
	switch k {
	case kindList:
		method, path = "GET", "/floor/services"
		if s.afterID != "" {
			path += "?after_name=" + url.QueryEscape(s.afterName) + "&after_id=" + s.afterID
		}
	case kindGet:
		method, path = "GET", "/floor/services/"+id
	case kindCreate:
		n := seq.Add(1)
		method, path, want = "POST", "/floor/services", 201
		body = floorBody{Slug: fmt.Sprintf("new-c-%d", n), Name: fmt.Sprintf("New service %d", n), DurationMinutes: 30, PriceMinor: 2500, Currency: "EUR"}
	case kindUpdate:
		method, path = "PATCH", "/floor/services/"+id
		body = floorBody{PriceMinor: 1000 + seq.Add(1)%1000}
	default:
		s.floorAt = 1 - s.floorAt
		p = &s.places[s.floorAt]
		method, path = "POST", "/floor/switch"
		s.afterName, s.afterID = "", ""
	}
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, t.base+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("X-Tenant-ID", p.id.String())
	req.Header.Set("X-Account-ID", s.owner.String())
	if k != kindList {
		return t.send(req, want, nil)
	}
	var out struct {
		AfterName string `json:"after_name"`
		AfterID   string `json:"after_id"`
	}
	if err := t.send(req, want, &out); err != nil {
		return err
	}
	s.afterName, s.afterID = out.AfterName, out.AfterID
	return nil
}

// signIn signs every session in on t, from parallel clients, and returns
// each sign-in's time.
func signIn(ctx context.Context, t *target, sessions []*session, parallel int) ([]time.Duration, error) {
	var mu sync.Mutex
	var took []time.Duration
	var firstErr error
	var next atomic.Int64
	var wg sync.WaitGroup
	for range parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := int(next.Add(1)) - 1; i < len(sessions); i = int(next.Add(1)) - 1 {
				s := sessions[i]
				s.at = 0
				anon := &session{seedTenant: s.seedTenant}
				var issued struct {
					Token     string `json:"token"`
					TenantSig string `json:"tenant_sig"`
				}
				// A sign-in the hashing budget turns away (503) is tried
				// again after a pause, as its Retry-After asks; the time is
				// to the sign-in that succeeds.
				began := time.Now()
				var err error
				for try := 0; try < 30; try++ {
					err = t.call(ctx, anon, "POST", "/api/auth/login",
						map[string]string{"email": "owner@" + s.places[0].slug + ".test", "password": benchPassword}, 200, &issued)
					if err == nil || !strings.Contains(err.Error(), ": 503 ") {
						break
					}
					time.Sleep(time.Second)
				}
				d := time.Since(began)
				mu.Lock()
				took = append(took, d)
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
				s.token, s.sig, s.cursor = issued.Token, issued.TenantSig, ""
			}
		}()
	}
	wg.Wait()
	return took, firstErr
}

// parseMix reads the workload's kinds and shares, "list=50,get=25,…";
// the shares must add up to 100.
func parseMix(s string) ([kinds]int, error) {
	var mix [kinds]int
	total := 0
	for part := range strings.SplitSeq(s, ",") {
		name, share, ok := strings.Cut(strings.TrimSpace(part), "=")
		k := slices.Index(kindNames[:], name)
		n, err := strconv.Atoi(share)
		if !ok || k < 0 || err != nil || n < 0 {
			return mix, fmt.Errorf("-mix: %q is not kind=share with a kind of %s", part, strings.Join(kindNames[:], ", "))
		}
		mix[k] += n
		total += n
	}
	if total != 100 {
		return mix, fmt.Errorf("-mix: the shares add up to %d, not 100", total)
	}
	return mix, nil
}

// mixWords describes the mix for the report.
func mixWords(mix [kinds]int) string {
	words := [kinds]string{"a keyset page of 20 services", "one service by id", "a create", "an update", "a switch of organization with its redemption on the other host"}
	var parts []string
	for k, share := range mix {
		if share > 0 {
			parts = append(parts, fmt.Sprintf("%s %d %%", words[k], share))
		}
	}
	out := strings.Join(parts, ", ")
	if mix[kindSwitch] > 0 {
		out += " (a switch is two HTTP requests, counted as one)"
	}
	return out
}
