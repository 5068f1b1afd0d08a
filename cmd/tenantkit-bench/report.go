package main

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/netip"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"
)

// profile drives variant a for about 12 s while its pprof endpoint
// records 10 s of CPU, and writes the profile to c.profile.
func profile(ctx context.Context, c config, s *server, sessions []*session, seq *atomic.Int64, rate float64, metricsAddr string, stderr io.Writer) error {
	var body []byte
	var perr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		resp, err := http.Get("http://" + metricsAddr + "/debug/pprof/profile?seconds=10")
		if err != nil {
			perr = err
			return
		}
		defer resp.Body.Close()
		body, perr = io.ReadAll(resp.Body)
		if resp.StatusCode != 200 {
			perr = fmt.Errorf("profile: %d %s", resp.StatusCode, body)
		}
	}()
	if _, err := drive(ctx, s.target, sessions, c.clients, int(rate*12), seq, noCPU, c.mix); err != nil {
		return err
	}
	wg.Wait()
	if perr != nil {
		return perr
	}
	fmt.Fprintf(stderr, "CPU profile of variant a: %s (go tool pprof -top %s)\n", c.profile, c.profile)
	return os.WriteFile(c.profile, body, 0o644)
}

// floodResult is a flood measurement: the load's runs without and with
// the flood, and what the flood's attempts were answered.
type floodResult struct {
	quiet, flooded []run
	tries          int64
	answers        map[int]int64
}

// floodRuns measures the full stack's mix on the load's tenants, twice
// quiet and twice while c.flood clients send c.floodRate wrong passwords
// per second for the owners of other tenants, each from a random address
// (X-Forwarded-For, the server trusting loopback as its proxy),
// alternating.
func floodRuns(ctx context.Context, c config, s *server, sessions []*session, seq *atomic.Int64, stderr io.Writer) (floodResult, error) {
	res := floodResult{answers: map[int]int64{}}
	inLoad := map[string]bool{}
	for _, se := range sessions {
		inLoad[se.places[0].slug], inLoad[se.places[1].slug] = true, true
	}
	var victims []string
	for n := 1; n <= c.tenants && len(victims) < 500; n++ {
		if slug := fmt.Sprintf("bench-%06d", n); !inLoad[slug] {
			victims = append(victims, slug)
		}
	}
	if len(victims) == 0 {
		return res, nil
	}
	var mu sync.Mutex
	for round := range 4 {
		flooding := round%2 == 1
		fctx, stop := context.WithCancel(ctx)
		pace := rate.NewLimiter(rate.Limit(c.floodRate), 1)
		var wg sync.WaitGroup
		if flooding {
			for w := range c.flood {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), uint64(round)))
					for pace.Wait(fctx) == nil {
						slug := victims[rng.IntN(len(victims))]
						addr := netip.AddrFrom4([4]byte{10, byte(rng.IntN(256)), byte(rng.IntN(256)), byte(1 + rng.IntN(254))})
						req, _ := http.NewRequestWithContext(fctx, "POST", s.base+"/api/auth/login",
							strings.NewReader(fmt.Sprintf(`{"email":"owner@%s.test","password":"wrong-%d"}`, slug, rng.IntN(1e9))))
						req.Host = slug + ".localhost:" + s.port
						req.Header.Set("Content-Type", "application/json")
						req.Header.Set("X-Forwarded-For", addr.String())
						resp, err := s.client.Do(req)
						if err != nil {
							continue
						}
						_, _ = io.Copy(io.Discard, resp.Body)
						resp.Body.Close()
						mu.Lock()
						res.answers[resp.StatusCode]++
						res.tries++
						mu.Unlock()
					}
				}()
			}
		}
		r, err := drive(ctx, s.target, sessions, c.clients, c.requests/2, seq, noCPU, c.mix)
		stop()
		wg.Wait()
		if err != nil {
			return res, err
		}
		if flooding {
			res.flooded = append(res.flooded, r)
		} else {
			res.quiet = append(res.quiet, r)
		}
		fmt.Fprintf(stderr, "flood round %d (flood %v): %.0f req/s, p50 %s, p99 %s\n", round+1, flooding, r.rate(),
			pct(r.all, .5).Round(10*time.Microsecond), pct(r.all, .99).Round(10*time.Microsecond))
	}
	return res, nil
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

// spread is "median (min–max)" of vs, formatted by f.
func spread(vs []float64, f string) string {
	s := slices.Clone(vs)
	slices.Sort(s)
	if len(s) == 1 {
		return fmt.Sprintf(f, s[0])
	}
	return fmt.Sprintf(f+" ("+f+"–"+f+")", s[len(s)/2], s[0], s[len(s)-1])
}

func each(runs []run, f func(run) float64) []float64 {
	out := make([]float64, len(runs))
	for i, r := range runs {
		out[i] = f(r)
	}
	return out
}

func (res *results) markdown(c config) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s with `make bench` (`cmd/tenantkit-bench`): %s.\n\n", res.when, res.machine)
	fmt.Fprintf(&b, "%s tenants × %s services and %s service requests each, seeded deterministically in %s; %d owners signed in, spread evenly over the tenants; %d concurrent keep-alive clients; %s requests per variant per round; %d rounds, the variants interleaved and their order rotated each round (%s). ",
		thousands(res.tenants), thousands(res.rows), thousands(res.rows), res.seedTook.Round(time.Second), c.sessions, c.clients, thousands(c.requests), c.rounds, orders(res.order))
	fmt.Fprintf(&b, "The mix: %s. ", mixWords(c.mix))
	b.WriteString("Each server runs in its own process with a pool of 16 connections; CPU per request is that process's alone, and the bench cluster's PostgreSQL processes'. Per-tenant limits are off.\n\n")
	b.WriteString("| variant | req/s | p50 | p99 | CPU µs/req, server | CPU µs/req, PostgreSQL | failed |\n|---|---|---|---|---|---|---|\n")
	names := map[string]string{"a": "(a) full stack", "b": "(b) same handlers, no row security", "c": "(c) floor: one batch, no auth, no middleware"}
	for _, v := range c.variants {
		runs := res.runs[v]
		failed := 0
		for _, r := range runs {
			failed += r.errors
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %d |\n", names[v],
			spread(each(runs, run.rate), "%.0f"),
			spread(each(runs, func(r run) float64 { return float64(pct(r.all, .5).Microseconds()) / 1000 }), "%.1f")+" ms",
			spread(each(runs, func(r run) float64 { return float64(pct(r.all, .99).Microseconds()) / 1000 }), "%.1f")+" ms",
			spread(each(runs, func(r run) float64 { return r.perRequest(r.goCPU) }), "%.0f"),
			spread(each(runs, func(r run) float64 { return r.perRequest(r.pgCPU) }), "%.0f"), failed)
	}
	b.WriteString("\nMedian of the rounds, (lowest–highest) after it.\n\n")
	for _, pair := range [][2]string{{"a", "b"}, {"a", "c"}} {
		ra, rb := res.runs[pair[0]], res.runs[pair[1]]
		if len(ra) == 0 || len(rb) == 0 {
			continue
		}
		var ratios []float64
		var parts []string
		for i := range min(len(ra), len(rb)) {
			ratios = append(ratios, ra[i].rate()/rb[i].rate())
			parts = append(parts, fmt.Sprintf("%.2f", ratios[i]))
		}
		slices.Sort(ratios)
		fmt.Fprintf(&b, "- Throughput %s/%s, round by round: %s (median %.2f).\n", pair[0], pair[1], strings.Join(parts, ", "), ratios[len(ratios)/2])
	}
	b.WriteString("\nMedian latency by request kind, first round:\n\n| variant |")
	for k := range kinds {
		b.WriteString(" " + kindNames[k] + " |")
	}
	b.WriteString("\n|---|" + strings.Repeat("---|", kinds) + "\n")
	for _, v := range c.variants {
		if len(res.runs[v]) == 0 {
			continue
		}
		r := res.runs[v][0]
		fmt.Fprintf(&b, "| %s |", v)
		for k := range kinds {
			fmt.Fprintf(&b, " %s |", ms(pct(r.took[k], .5)))
		}
		b.WriteString("\n")
	}
	if len(res.signIns) > 0 {
		fmt.Fprintf(&b, "\nSign-in (`POST /api/auth/login`, argon2id at the default parameters, within the default hashing budget: the %d sign-ins of the load, from 4 clients at once, so the times include waiting for the budget, and a sign-in turned away with 503 is retried after a second): p50 %s, p99 %s.\n",
			len(res.signIns), ms(pct(res.signIns, .5)), ms(pct(res.signIns, .99)))
	}
	if len(res.floods[0].flooded) > 0 {
		fmt.Fprintf(&b, "\nA flood of wrong passwords (variant a): %d clients send %.0f sign-ins per second with wrong passwords for the owners of up to 500 tenants outside the load, each from a random address (X-Forwarded-For, loopback trusted as the proxy), while the load's mix runs on its own tenants; quiet and flooded runs alternate, %s requests each. The same flood against the same server as it was before the budget (`PASSWORD_HASH_RATE=-1`, `PASSWORD_HASH_CONCURRENCY` = the CPUs: no rate bound, as many hashes at once as CPUs) shows what the budget holds off.\n\n",
			c.flood, c.floodRate, thousands(c.requests/2))
		b.WriteString("| server | load | req/s | p50 | p99 | the flood's attempts answered |\n|---|---|---|---|---|---|\n")
		for i, name := range []string{"with the hashing budget (default)", "without a hashing budget"} {
			f := res.floods[i]
			var codes []string
			for code, n := range f.answers {
				codes = append(codes, fmt.Sprintf("%s × %d", thousands(int(n)), code))
			}
			slices.Sort(codes)
			for _, x := range []struct {
				name string
				runs []run
			}{{"quiet", f.quiet}, {"flooded", f.flooded}} {
				if len(x.runs) == 0 {
					continue
				}
				answered := ""
				if x.name == "flooded" {
					answered = strings.Join(codes, ", ")
				}
				fmt.Fprintf(&b, "| %s | %s | %s | %s ms | %s ms | %s |\n", name, x.name, spread(each(x.runs, run.rate), "%.0f"),
					spread(each(x.runs, func(r run) float64 { return float64(pct(r.all, .5).Microseconds()) / 1000 }), "%.1f"),
					spread(each(x.runs, func(r run) float64 { return float64(pct(r.all, .99).Microseconds()) / 1000 }), "%.1f"), answered)
			}
		}
		b.WriteString("\n")
		for i, name := range []string{"With the budget", "Without it"} {
			f := res.floods[i]
			if len(f.quiet) == 0 || len(f.flooded) == 0 {
				continue
			}
			q99 := median(each(f.quiet, func(r run) float64 { return float64(pct(r.all, .99)) }))
			f99 := median(each(f.flooded, func(r run) float64 { return float64(pct(r.all, .99)) }))
			qr := median(each(f.quiet, run.rate))
			fr := median(each(f.flooded, run.rate))
			fmt.Fprintf(&b, "- %s, the flood moved the load's p99 by %+.0f %% and its throughput by %+.0f %% (medians, flooded over quiet).\n", name, (f99/q99-1)*100, (fr/qr-1)*100)
		}
	}
	return b.String()
}

func median(vs []float64) float64 {
	s := slices.Clone(vs)
	slices.Sort(s)
	return s[len(s)/2]
}

func orders(os [][]string) string {
	var parts []string
	for _, o := range os {
		parts = append(parts, strings.Join(o, ""))
	}
	return strings.Join(parts, ", ")
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// replaceSection replaces, in the markdown file path, the text between
// "<!-- name: start -->" and "<!-- name: end -->" with md.
func replaceSection(path, name, md string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	start, end := "<!-- "+name+": start -->\n", "<!-- "+name+": end -->"
	s := string(b)
	i, j := strings.Index(s, start), strings.Index(s, end)
	if i < 0 || j < i {
		return fmt.Errorf("%s: no %q … %q markers", path, start, end)
	}
	return os.WriteFile(path, []byte(s[:i+len(start)]+md+s[j:]), 0o644)
}
