package web_test

import (
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
)

// paced sends fn's requests at rate per second from workers goroutines
// until d has passed, each at its own scheduled instant (an open loop: a
// slow answer does not slow the senders), and returns the answers' time
// from schedule to end, in the order they were scheduled.
func paced(rate int, d time.Duration, workers int, fn func() int) (latencies []time.Duration, statuses []int) {
	n := int(float64(rate) * d.Seconds())
	latencies, statuses = make([]time.Duration, n), make([]int, n)
	start := time.Now()
	interval := time.Second / time.Duration(rate)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				at := start.Add(time.Duration(i) * interval)
				time.Sleep(time.Until(at))
				statuses[i] = fn()
				latencies[i] = time.Since(at)
			}
		})
	}
	wg.Wait()
	return latencies, statuses
}

// client sends requests to the environment over keep-alive connections,
// reading each answer whole.
func (e *env) client() func(r req) (int, http.Header) {
	tr := &http.Transport{MaxIdleConnsPerHost: 256}
	hc := &http.Client{Transport: tr}
	return func(r req) (int, http.Header) {
		hr, _ := http.NewRequest(r.method, e.url+r.path, nil)
		hr.Host = e.hostName(r.host) + ":" + e.port
		if r.sess != nil {
			hr.Header.Set("Authorization", "Bearer "+r.sess.Token)
			hr.AddCookie(&http.Cookie{Name: "__Host-tenant_sig", Value: r.sess.TenantSig})
		}
		resp, err := hc.Do(hr)
		if err != nil {
			return 0, nil
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode, resp.Header
	}
}

// A tenant sending ten times its rate limit is throttled with 429 and
// Retry-After, never a 5xx, and the other tenants' requests at the same
// time all succeed (F-20, SURF-11). How much the noise costs the others'
// latency is measured by BenchmarkNoisyNeighbour, not asserted here.
func TestNoisyTenantIsThrottled(t *testing.T) {
	const rate = 10
	e := newEnv(t, withApp(func(c *app.Config) { c.TenantRate, c.TenantBurst = rate, rate }))
	noisy, quiet := e.login("acme", "staff@acme.test"), e.login("globex", "owner@globex.test")
	do := e.client()
	var wg sync.WaitGroup
	var quietStatuses []int
	wg.Go(func() {
		_, quietStatuses = paced(rate/2, 2*time.Second, 2, func() int {
			s, _ := do(req{method: "GET", host: "globex", path: "/api/services", sess: quiet})
			return s
		})
	})
	var bad []string
	var mu sync.Mutex
	_, statuses := paced(10*rate, 2*time.Second, 8, func() int {
		s, h := do(req{method: "GET", host: "acme", path: "/api/services", sess: noisy})
		if s == 429 {
			if ra, err := strconv.Atoi(h.Get("Retry-After")); err != nil || ra < 1 || h.Get("Content-Type") != "application/problem+json" {
				mu.Lock()
				bad = append(bad, fmt.Sprintf("429 with Retry-After %q, %s", h.Get("Retry-After"), h.Get("Content-Type")))
				mu.Unlock()
			}
		}
		return s
	})
	wg.Wait()
	byStatus := map[int]int{}
	for _, s := range statuses {
		byStatus[s]++
	}
	t.Logf("noisy tenant at %d/s against a limit of %d/s: %v", 10*rate, rate, byStatus)
	if byStatus[200]+byStatus[429] != len(statuses) || byStatus[429] == 0 {
		t.Fatalf("noisy tenant's answers: %v, want only 200 and 429", byStatus)
	}
	if len(bad) > 0 {
		t.Fatal(bad[0])
	}
	for _, s := range quietStatuses {
		if s != 200 {
			t.Fatalf("the quiet tenant got %d during the noise: %v", s, quietStatuses)
		}
	}
}

// BenchmarkNoisyNeighbour measures what one tenant flooding at ten times
// its rate limit costs another tenant: globex's owner reads its services
// at a steady 40 requests a second (under its limit) while acme's staff
// rests, reads at its limit (50/s; burst 100), or floods at 500/s. The
// three conditions alternate in 3-second rounds, so every baseline is
// measured in the same session on the same machine. It reports the quiet
// tenant's p99 in each and the ratios: p99-ratio is the flood's over acme
// at its limit (what the throttling must hold: the excess costs the
// others nothing), p99-ratio-idle the flood's over acme silent.
//
//	go test -run '^$' -bench NoisyNeighbour -benchtime 1x ./web/
func BenchmarkNoisyNeighbour(b *testing.B) {
	e := newEnv(b, withApp(func(c *app.Config) { c.TenantRate, c.TenantBurst, c.TenantInFlight = 0, 0, 0 }))
	noisy, quiet := e.login("acme", "staff@acme.test"), e.login("globex", "owner@globex.test")
	do := e.client()
	quietGet := func() int {
		s, _ := do(req{method: "GET", host: "globex", path: "/api/services", sess: quiet})
		return s
	}
	noisyGet := func() int {
		s, _ := do(req{method: "GET", host: "acme", path: "/api/services", sess: noisy})
		return s
	}
	const round = 3 * time.Second
	paced(40, time.Second, 4, quietGet) // warm up
	lat := map[int][]time.Duration{}    // acme's rate → globex's latencies
	noisyByStatus := map[int]int{}
	for b.Loop() {
		for range 3 {
			for _, acme := range []int{0, 50, 500} {
				var quietLat []time.Duration
				var wg sync.WaitGroup
				wg.Go(func() { quietLat, _ = paced(40, round, 4, quietGet) })
				if acme > 0 {
					_, st := paced(acme, round, 32, noisyGet)
					for _, s := range st {
						if acme == 500 {
							noisyByStatus[s]++
						}
					}
				}
				wg.Wait()
				lat[acme] = append(lat[acme], quietLat...)
			}
		}
	}
	p := func(d []time.Duration, q float64) float64 {
		s := slices.Clone(d)
		slices.Sort(s)
		return float64(s[int(q*float64(len(s)-1))].Microseconds()) / 1000
	}
	for _, c := range []struct {
		acme int
		name string
	}{{0, "idle"}, {50, "limit"}, {500, "flood"}} {
		b.ReportMetric(p(lat[c.acme], 0.5), "p50-"+c.name+"-ms")
		b.ReportMetric(p(lat[c.acme], 0.99), "p99-"+c.name+"-ms")
	}
	b.ReportMetric(p(lat[500], 0.99)/p(lat[50], 0.99), "p99-ratio")
	b.ReportMetric(p(lat[500], 0.99)/p(lat[0], 0.99), "p99-ratio-idle")
	total := 0
	for _, n := range noisyByStatus {
		total += n
	}
	b.ReportMetric(float64(noisyByStatus[429])/float64(total), "flood-429-share")
	b.Logf("the flooding tenant's answers: %v", noisyByStatus)
}
