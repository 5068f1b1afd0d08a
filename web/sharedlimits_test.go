package web_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/app"
)

// sharedLimits is a deployment-wide anonymous budget of 10 requests a
// second with bursts of 10, announced every 100ms.
func sharedLimits(c *app.Config) {
	c.AnonymousRate, c.AnonymousBurst, c.AnonymousInFlight = 10, 10, -1
	c.SharedLimits, c.HeartbeatInterval = true, 100*time.Millisecond
}

// secondInstance serves the environment's database, keys and settings on a
// listener of its own, as another instance of the same deployment; stop
// ends it as a shutdown does.
func (e *env) secondInstance(t *testing.T, configure func(*app.Config)) (url string, stop func()) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cfg := app.Config{
		DatabaseURL: e.db.AppURL, PlatformDatabaseURL: e.db.PlatformURL, BaseDomain: e.base,
		PublicURL: "http://" + e.base + ":" + e.port, SessionKeys: e.sessionKey, TenantSigKeys: e.sigKey,
		Dev: true, TenantRate: -1, TenantInFlight: -1, PasswordHashRate: -1,
	}
	configure(&cfg)
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, app.WithClock(e.clock.Now), app.WithListener(ln), app.WithPasswordParams(testParams))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- a.Serve(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-served
			a.Close(context.Background())
		})
	}
	t.Cleanup(stop)
	return "http://" + ln.Addr().String(), stop
}

// Two instances against one database keep a tenant's anonymous requests
// within the configured limit for the deployment, not twice it (issue 15,
// item 7): with each instance holding half, a tenant's requests spread
// evenly over both are admitted at the configured rate and burst, within
// the stated error (bursts rounded up: at most one request more here).
// No request reads the database for it. When one instance stops, the
// other takes the whole limit again.
func TestLimitsHoldAcrossInstances(t *testing.T) {
	e := newEnv(t, withApp(sharedLimits))
	second, stopSecond := e.secondInstance(t, sharedLimits)
	admin := e.admin()
	waitInstances := func(want int) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for count(t, admin, "SELECT count(*) FROM instances") != want {
			if time.Now().After(deadline) {
				t.Fatalf("instances did not become %d", want)
			}
			time.Sleep(20 * time.Millisecond)
		}
		// Every instance beats at least twice more, and so has counted.
		time.Sleep(300 * time.Millisecond)
	}
	waitInstances(2)
	// Let the buckets fill to their burst.
	time.Sleep(1200 * time.Millisecond)

	host := e.hostName("acme")
	get := func(base string) int {
		hr, err := http.NewRequest("GET", base+"/api/public/services", nil)
		if err != nil {
			t.Fatal(err)
		}
		hr.Host = host
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	var admitted, refused atomic.Int64
	var other atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; time.Since(start) < 2*time.Second; i++ {
				base := e.url
				if (w+i)%2 == 1 {
					base = second
				}
				switch get(base) {
				case 200:
					admitted.Add(1)
				case 429:
					refused.Add(1)
				default:
					other.Add(1)
				}
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	limit := 10 + 10*elapsed // the configured burst, then the rate
	t.Logf("two instances, %.2fs: %d admitted, %d refused; configured limit %.1f", elapsed, admitted.Load(), refused.Load(), limit)
	if other.Load() != 0 {
		t.Fatalf("%d answers neither 200 nor 429", other.Load())
	}
	if got := float64(admitted.Load()); got > limit+1 || got < 0.8*limit {
		t.Fatalf("the deployment admitted %.0f requests; the configured limit over %.2fs is %.1f (error: +1, and under-admission within 20%%)", got, elapsed, limit)
	}

	stopSecond()
	waitInstances(1)
	time.Sleep(1200 * time.Millisecond)
	alone := 0
	for range 20 {
		if get(e.url) == 200 {
			alone++
		}
	}
	if alone < 9 || alone > 12 {
		t.Fatalf("alone, the first instance admitted %d of 20 requests at once; want its whole burst of 10", alone)
	}
}
