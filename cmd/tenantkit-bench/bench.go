package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/tenantkit/tenantkit/internal/pgcluster"
)

type config struct {
	tenants, rows, sessions, clients, requests, rounds int
	variants                                           []string
	flood                                              int
	floodRate                                          float64
	curve                                              bool
	curveRows                                          int
	out, profile                                       string
	keep, statements                                   bool
	mix                                                [kinds]int
}

func bench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenantkit-bench", flag.ContinueOnError)
	var c config
	var variants string
	fs.IntVar(&c.tenants, "tenants", 1000, "tenants to seed")
	fs.IntVar(&c.rows, "rows", 1000, "services and service requests to seed per tenant")
	fs.IntVar(&c.sessions, "sessions", 200, "owners the load signs in, spread evenly over the tenants")
	fs.IntVar(&c.clients, "clients", 16, "concurrent clients")
	fs.IntVar(&c.requests, "requests", 20000, "requests per variant per round")
	fs.IntVar(&c.rounds, "rounds", 3, "rounds (the variants interleaved, the order rotated each round)")
	fs.StringVar(&variants, "variants", "a,b,c", "variants to run")
	fs.IntVar(&c.flood, "flood", 8, "clients sending wrong-password sign-ins in the flood measurement (0: skip it)")
	fs.Float64Var(&c.floodRate, "flood-rate", 50, "wrong-password sign-ins per second, all flood clients together")
	fs.BoolVar(&c.curve, "curve", false, "measure the full stack over 10, 1,000 and 100,000 tenants holding the same rows instead")
	fs.IntVar(&c.curveRows, "curve-rows", 1_000_000, "with -curve: services (and as many requests) in all")
	fs.StringVar(&c.out, "out", "", "markdown file whose bench section (between its markers) is replaced with the results")
	fs.StringVar(&c.profile, "profile", "", "write a CPU profile of variant a's first round to this file")
	fs.BoolVar(&c.keep, "keep", false, "keep the cluster's directory")
	fs.BoolVar(&c.statements, "statements", false, "print the statements PostgreSQL spent most time on, by role (pg_stat_statements)")
	mix := fs.String("mix", "list=50,get=25,create=10,update=10,switch=5", "the workload's request kinds and their shares of 100")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var err error
	if c.mix, err = parseMix(*mix); err != nil {
		return err
	}
	c.variants = strings.Split(variants, ",")
	if c.sessions < c.clients {
		return errors.New("-sessions must be at least -clients")
	}
	if c.curve {
		return runCurve(ctx, c, stdout, stderr)
	}
	dir, err := workDir()
	if err != nil {
		return err
	}
	if !c.keep {
		defer removeWorkDir(dir)
	}
	fmt.Fprintf(stderr, "cluster in %s\n", dir)
	db, err := startDatabase(ctx, filepath.Join(dir, "pg"), c.statements, stderr)
	if err != nil {
		return err
	}
	defer db.cluster.Stop()
	seeded, took, err := seed(ctx, db, c.tenants, c.rows, c.sessions)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "seeded %d tenants × %d services and %d requests in %s\n", c.tenants, c.rows, c.rows, took.Round(time.Second))
	res, err := measure(ctx, c, db, dir, seeded, stderr)
	if err != nil {
		return err
	}
	res.seedTook = took
	if c.statements {
		if err := db.printStatements(ctx, stderr); err != nil {
			return err
		}
	}
	md := res.markdown(c)
	fmt.Fprint(stdout, md)
	if c.out != "" {
		return replaceSection(c.out, "make bench", md)
	}
	return nil
}

// workDir makes the bench's temporary directory, reachable by the
// postgres user (a root process runs the cluster as that user), so that
// the cluster lives inside it and goes with it.
func workDir() (string, error) {
	dir, err := os.MkdirTemp("", "tenantkit-bench-")
	if err != nil {
		return "", err
	}
	return dir, os.Chmod(dir, 0o755)
}

// removeWorkDir removes dir and, should the cluster have been placed
// elsewhere (pgcluster's fallback, behind a link), the cluster too.
func removeWorkDir(dir string) {
	if target, err := os.Readlink(filepath.Join(dir, "pg", pgcluster.ClusterLink)); err == nil {
		_ = os.RemoveAll(target)
	}
	_ = os.RemoveAll(dir)
}

// server is a variant's child process.
type server struct {
	*target
	cmd *exec.Cmd
}

func startServer(ctx context.Context, variant, name, dir string, env []string) (*server, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "serve-"+name+".log"))
	if err != nil {
		return nil, err
	}
	defer logFile.Close() // the child holds its own descriptor
	cmd := exec.Command(self, "serve", "-variant", variant, "-addr", addr)
	cmd.Env, cmd.Stdout, cmd.Stderr = env, logFile, logFile
	// The server ends with the bench, even one killed without a chance to
	// stop it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	_, p, _ := net.SplitHostPort(addr)
	s := &server{cmd: cmd, target: &target{variant: variant, base: "http://" + addr, port: p,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 256, DisableCompression: true}, Timeout: 30 * time.Second}}}
	probe := &http.Client{Timeout: time.Second}
	for deadline := time.Now().Add(60 * time.Second); ; {
		resp, err := probe.Get(s.base + "/")
		if err == nil {
			resp.Body.Close()
			return s, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			s.stop()
			return nil, fmt.Errorf("variant %s did not start: %v (its log: %s; -keep keeps it)", variant, err, logFile.Name())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *server) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
}

func randomKey(id string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return id + ":" + base64.StdEncoding.EncodeToString(b[:])
}

// results are what measure found.
type results struct {
	when, machine string
	tenants, rows int
	runs          map[string][]run
	order         [][]string
	signIns       []time.Duration
	// The flood's runs: against the full stack, and against the same
	// server with no hashing budget (PASSWORD_HASH_RATE < 0).
	floods   [2]floodResult
	seedTook time.Duration
}

func measure(ctx context.Context, c config, db *database, dir string, seeded []seedTenant, stderr io.Writer) (*results, error) {
	env := []string{"PATH=" + os.Getenv("PATH"),
		"BENCH_APP_URL=" + db.appURL, "BENCH_BASELINE_URL=" + db.baselineURL, "BENCH_PLATFORM_URL=" + db.platformURL,
		"BENCH_SESSION_KEYS=" + randomKey("k1"),
		// One public URL for a and b (tokens name it): a session signed in
		// on one is valid on the other, as on two instances of one site.
		"BENCH_PUBLIC_URL=http://localhost:8080", "BENCH_TENANT_SIG_KEYS=" + randomKey("s1")}
	metricsAddr := ""
	if c.profile != "" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		metricsAddr = ln.Addr().String()
		ln.Close()
		env = append(env, "BENCH_METRICS_ADDR="+metricsAddr)
	}
	servers := map[string]*server{}
	defer func() {
		for _, s := range servers {
			s.stop()
		}
	}()
	for _, v := range c.variants {
		s, err := startServer(ctx, v, v, dir, env)
		if err != nil {
			return nil, err
		}
		servers[v] = s
	}
	// Fewer tenants than sessions (the curve's 10): an owner is signed in
	// more than once, each session its own.
	sessions := make([]*session, c.sessions)
	for i := range sessions {
		sessions[i] = &session{seedTenant: seeded[i%len(seeded)]}
	}
	res := &results{when: time.Now().UTC().Format("2006-01-02"), machine: machine(ctx, db), tenants: c.tenants, rows: c.rows, runs: map[string][]run{}}
	signer := servers["a"]
	if signer == nil {
		signer = servers[c.variants[0]]
	}
	var err error
	if signer.variant != "c" {
		if res.signIns, err = signIn(ctx, signer.target, sessions, 4); err != nil {
			return nil, fmt.Errorf("sign in: %w", err)
		}
	}
	pgPID, err := db.postmasterPID()
	if err != nil {
		return nil, err
	}
	var seq atomic.Int64
	seq.Store(time.Now().UnixNano() % 1_000_000_000)
	for _, v := range c.variants {
		s := servers[v]
		cpu := func() (time.Duration, time.Duration) { return processCPU(s.cmd.Process.Pid), postgresCPU(pgPID) }
		if _, err := drive(ctx, s.target, sessions, c.clients, min(2000, c.requests), &seq, cpu, c.mix); err != nil {
			return nil, fmt.Errorf("warm-up: %w", err)
		}
	}
	for round := range c.rounds {
		order := rotate(c.variants, round)
		res.order = append(res.order, order)
		for _, v := range order {
			s := servers[v]
			cpu := func() (time.Duration, time.Duration) { return processCPU(s.cmd.Process.Pid), postgresCPU(pgPID) }
			r, err := drive(ctx, s.target, sessions, c.clients, c.requests, &seq, cpu, c.mix)
			if err != nil {
				return nil, err
			}
			res.runs[v] = append(res.runs[v], r)
			fmt.Fprintf(stderr, "round %d %s: %.0f req/s, p50 %s, p99 %s, CPU/req %.0f µs server, %.0f µs PostgreSQL (%d errors)\n",
				round+1, v, r.rate(), pct(r.all, .5).Round(10*time.Microsecond), pct(r.all, .99).Round(10*time.Microsecond),
				r.perRequest(r.goCPU), r.perRequest(r.pgCPU), r.errors)
		}
	}
	if s := servers["a"]; s != nil && c.profile != "" {
		runs := res.runs["a"]
		if err := profile(ctx, c, s, sessions, &seq, runs[len(runs)-1].rate(), metricsAddr, stderr); err != nil {
			return nil, err
		}
	}
	if s := servers["a"]; s != nil && c.flood > 0 {
		if res.floods[0], err = floodRuns(ctx, c, s, sessions, &seq, stderr); err != nil {
			return nil, err
		}
		// The same server without its hashing budget, for comparison.
		// The same server as before the budget: as many hashes at once as
		// CPUs, no rate bound.
		var plain []string // no metrics listener: variant a holds it
		for _, e := range env {
			if !strings.HasPrefix(e, "BENCH_METRICS_ADDR=") {
				plain = append(plain, e)
			}
		}
		unbounded, err := startServer(ctx, "a", "a-unbounded", dir, append(plain, "BENCH_PASSWORD_HASH_RATE=-1",
			"BENCH_PASSWORD_HASH_CONCURRENCY="+strconv.Itoa(runtime.NumCPU())))
		if err != nil {
			return nil, err
		}
		if _, err := drive(ctx, unbounded.target, sessions, c.clients, min(2000, c.requests), &seq, noCPU, c.mix); err != nil {
			unbounded.stop()
			return nil, fmt.Errorf("warm-up: %w", err)
		}
		res.floods[1], err = floodRuns(ctx, c, unbounded, sessions, &seq, stderr)
		unbounded.stop()
		if err != nil {
			return nil, err
		}
	}
	return res, nil
}

// noCPU is the CPU reading of a run whose CPU is not reported.
func noCPU() (time.Duration, time.Duration) { return 0, 0 }

func rotate(vs []string, n int) []string {
	n %= len(vs)
	return append(append([]string{}, vs[n:]...), vs[:n]...)
}

func (db *database) postmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(db.cluster.Dir(), "data", "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
}

// processCPU is the CPU time process pid has used (from /proc).
func processCPU(pid int) time.Duration {
	f, _ := procStat(pid)
	return f.cpu
}

type stat struct {
	ppid int
	cpu  time.Duration
	// children is the CPU of the children the process has reaped.
	children time.Duration
}

func procStat(pid int) (stat, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return stat{}, false
	}
	s := string(b)
	close := strings.LastIndexByte(s, ')')
	if close < 0 {
		return stat{}, false
	}
	f := strings.Fields(s[close+2:])
	if len(f) < 15 {
		return stat{}, false
	}
	ppid, _ := strconv.Atoi(f[1])
	u, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	cu, _ := strconv.ParseInt(f[13], 10, 64)
	cs, _ := strconv.ParseInt(f[14], 10, 64)
	// The kernel's clock tick is 100 Hz on Linux for /proc.
	return stat{ppid: ppid, cpu: time.Duration(u+st) * (time.Second / 100), children: time.Duration(cu+cs) * (time.Second / 100)}, true
}

// postgresCPU is the CPU time of the bench cluster's postmaster, the
// backends it runs now and those it has reaped (a backend that ends
// during a run still counts): only this cluster, not any other on the
// machine. Background work one variant's writes start (autovacuum, the
// checkpointer) may land in the next variant's run.
func postgresCPU(postmaster int) time.Duration {
	dirs, _ := filepath.Glob("/proc/[0-9]*")
	var total time.Duration
	for _, d := range dirs {
		pid, err := strconv.Atoi(filepath.Base(d))
		if err != nil {
			continue
		}
		st, ok := procStat(pid)
		switch {
		case !ok:
		case pid == postmaster:
			total += st.cpu + st.children
		case st.ppid == postmaster:
			total += st.cpu
		}
	}
	return total
}

func machine(ctx context.Context, db *database) string {
	model := "unknown CPU"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				model = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	pg := "PostgreSQL"
	if dir, err := pgcluster.FindBinaries(); err == nil {
		if out, err := exec.CommandContext(ctx, filepath.Join(dir, "postgres"), "--version").Output(); err == nil {
			pg = strings.TrimSpace(string(out))
		}
	}
	return fmt.Sprintf("%d CPUs (%s), %s, %s, load generator, servers and database on the same machine", runtime.NumCPU(), model, runtime.Version(), pg)
}
