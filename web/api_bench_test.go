package web_test

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
)

// BenchmarkAPIRead serves the two reads a member makes most — one service
// by id, a page of 20 services — through the whole server (HTTP, host,
// binding with its session check, the service, PostgreSQL as the app
// role under forced row security), from 16 concurrent clients, and
// reports throughput, the median and 99th percentile, and the CPU spent
// per request by this process (server and client alike) and by
// PostgreSQL. The pool's connection check, a development setting, is off.
//
//	go test -run '^$' -bench APIRead -benchtime 4000x ./web/
func BenchmarkAPIRead(b *testing.B) {
	e := newEnv(b, withApp(func(c *app.Config) { c.DBCheckConnections = false }))
	staff := e.login("acme", "staff@acme.test")
	var list struct {
		Items []svc `json:"items"`
	}
	r := e.do(req{method: "GET", host: "acme", path: "/api/services?limit=20", sess: staff})
	expectStatus(b, r, 200)
	r.json(b, &list)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	for _, c := range []struct{ name, path string }{
		{"GetByID", "/api/services/" + list.Items[0].ID},
		{"List20", "/api/services?limit=20"},
	} {
		b.Run(c.name, func(b *testing.B) {
			get := func() time.Duration {
				hr, _ := http.NewRequest("GET", e.url+c.path, nil)
				hr.Host = e.hostName("acme") + ":" + e.port
				hr.Header.Set("Authorization", "Bearer "+staff.Token)
				hr.AddCookie(&http.Cookie{Name: "__Host-tenant_sig", Value: staff.TenantSig})
				start := time.Now()
				resp, err := client.Do(hr)
				if err != nil {
					b.Error(err)
					return 0
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					b.Errorf("%s: %d", c.path, resp.StatusCode)
				}
				return time.Since(start)
			}
			for range 50 {
				get()
			}
			var mu sync.Mutex
			var took []time.Duration
			self, pg := processCPU(), postgresCPU()
			b.SetParallelism(8)
			start := time.Now()
			b.RunParallel(func(pb *testing.PB) {
				var mine []time.Duration
				for pb.Next() {
					mine = append(mine, get())
				}
				mu.Lock()
				took = append(took, mine...)
				mu.Unlock()
			})
			elapsed := time.Since(start)
			n := float64(len(took))
			selfUS := float64((processCPU() - self).Microseconds()) / n
			pgUS := float64((postgresCPU() - pg).Microseconds()) / n
			slices.Sort(took)
			b.ReportMetric(n/elapsed.Seconds(), "req/s")
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(selfUS, "go-cpu-us/req")
			b.ReportMetric(pgUS, "pg-cpu-us/req")
		})
	}
}

// processCPU is the CPU time this process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// postgresCPU is the CPU time used by the machine's postgres processes
// that are running now (from /proc; 0 where it cannot be read).
func postgresCPU() time.Duration {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	var ticks int64
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		s := string(b)
		open, close := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
		if open < 0 || close < open || s[open+1:close] != "postgres" {
			continue
		}
		f := strings.Fields(s[close+2:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		ticks += u + st
	}
	return time.Duration(ticks) * (time.Second / 100)
}
