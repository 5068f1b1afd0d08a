package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// curveTenants are the points of the tenant-count curve.
var curveTenants = []int{10, 1000, 100_000}

// runCurve measures the full stack with the same rows spread over 10,
// 1,000 and 100,000 tenants, each on a freshly seeded cluster, and
// reports each point against the middle one.
func runCurve(ctx context.Context, c config, stdout, stderr io.Writer) error {
	c.variants, c.flood, c.profile = []string{"a"}, 0, ""
	type point struct {
		tenants, rows int
		seedTook      time.Duration
		runs          []run
	}
	var points []point
	for _, n := range curveTenants {
		p := point{tenants: n, rows: max(1, c.curveRows/n)}
		dir, err := workDir()
		if err != nil {
			return err
		}
		err = func() error {
			defer removeWorkDir(dir)
			db, err := startDatabase(ctx, filepath.Join(dir, "pg"), false, stderr)
			if err != nil {
				return err
			}
			defer db.cluster.Stop()
			seeded, took, err := seed(ctx, db, n, p.rows, c.sessions)
			if err != nil {
				return err
			}
			p.seedTook = took
			fmt.Fprintf(stderr, "curve: %d tenants × %d rows seeded in %s\n", n, p.rows, took.Round(time.Second))
			cc := c
			cc.tenants, cc.rows = n, p.rows
			res, err := measure(ctx, cc, db, dir, seeded, stderr)
			if err != nil {
				return err
			}
			p.runs = res.runs["a"]
			return nil
		}()
		if err != nil {
			return err
		}
		points = append(points, p)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Measured %s with `make bench-curve` (`cmd/tenantkit-bench -curve`): the full stack (variant a) and the same mix, %s services and as many service requests in all, spread over each number of tenants on a freshly seeded cluster; %d owners signed in (some more than once where there are fewer tenants), %d clients, %s requests per round, %d rounds. Median of the rounds, (lowest–highest) after it; the ratio is the median against 1,000 tenants'.\n\n",
		time.Now().UTC().Format("2006-01-02"), thousands(c.curveRows), c.sessions, c.clients, thousands(c.requests), c.rounds)
	b.WriteString("| tenants | rows per tenant | req/s | p50 | p99 | req/s ÷ 1,000 tenants' | p50 ÷ | p99 ÷ |\n|---|---|---|---|---|---|---|---|\n")
	mid := points[1]
	rate := func(r run) float64 { return r.rate() }
	p50 := func(r run) float64 { return float64(pct(r.all, .5).Microseconds()) / 1000 }
	p99 := func(r run) float64 { return float64(pct(r.all, .99).Microseconds()) / 1000 }
	for _, p := range points {
		fmt.Fprintf(&b, "| %s | %s | %s | %s ms | %s ms | %.2f | %.2f | %.2f |\n", thousands(p.tenants), thousands(p.rows),
			spread(each(p.runs, rate), "%.0f"), spread(each(p.runs, p50), "%.1f"), spread(each(p.runs, p99), "%.1f"),
			median(each(p.runs, rate))/median(each(mid.runs, rate)),
			median(each(p.runs, p50))/median(each(mid.runs, p50)),
			median(each(p.runs, p99))/median(each(mid.runs, p99)))
	}
	fmt.Fprint(stdout, b.String())
	if c.out != "" {
		return replaceSection(c.out, "make bench-curve", b.String())
	}
	return nil
}
