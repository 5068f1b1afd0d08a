package web

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// A budget is one class of a tenant's requests with limits of its own: a
// request rate and a number of requests in progress.
type budget struct {
	conf limits             // as configured, for the whole deployment when shared
	rate *ratelimit.Limiter // nil: no rate limit

	mu       sync.Mutex
	inFlight int // this instance's cap; <= 0: no cap
	busy     map[uuid.UUID]int
}

func newBudget(perSecond, burst, inFlight int) *budget {
	b := &budget{conf: limits{perSecond, burst, inFlight}, inFlight: inFlight, busy: map[uuid.UUID]int{}}
	if perSecond > 0 {
		b.rate = ratelimit.New(time.Second/time.Duration(perSecond), burst, 100_000)
	}
	return b
}

// share makes this instance's limits 1/n of the configured ones: the rate
// exactly, the burst and the in-flight cap rounded up (at least 1 each).
func (b *budget) share(n int) {
	n = max(n, 1)
	if b.rate != nil {
		b.rate.SetLimit(time.Duration(n)*time.Second/time.Duration(b.conf.rate), max(ceilDiv(b.conf.burst, n), 1))
	}
	b.mu.Lock()
	if b.conf.inFlight > 0 {
		b.inFlight = max(ceilDiv(b.conf.inFlight, n), 1)
	}
	b.mu.Unlock()
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

// admit counts a request of tenant id against the rate, or returns a
// rate-limited error.
func (b *budget) admit(id uuid.UUID) error {
	if b.rate == nil {
		return nil
	}
	if ok, wait := b.rate.Allow(id.String()); !ok {
		return &tenant.Error{Code: tenant.CodeRateLimited, Message: "this organization is sending too many requests; retry later", RetryAfter: wait}
	}
	return nil
}

var errTenantBusy = &tenant.Error{Code: tenant.CodeRateLimited, Message: "this organization has too many requests in progress; retry shortly", RetryAfter: time.Second}

// enter takes one of tenant id's slots, or returns a rate-limited error.
// The returned func gives it back.
func (b *budget) enter(id uuid.UUID) (func(), error) {
	if b.conf.inFlight <= 0 {
		return func() {}, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.busy[id] >= b.inFlight {
		return nil, errTenantBusy
	}
	b.busy[id]++
	return func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.busy[id]--; b.busy[id] <= 0 {
			delete(b.busy, id)
		}
	}, nil
}

// tenantLimits keep one tenant from taking the capacity every tenant
// shares, checked as soon as the host names the tenant: a request rate and
// a number of requests in progress, in two budgets per tenant — its
// members' requests (those carrying a session token and tenant cookie
// signed for this tenant) and everything else (public pages and forms,
// sign-in) — so that anonymous traffic, however much of it, cannot use up
// what the tenant's signed-in members need. Limits are per instance unless
// the instances share them ([Server.ShareLimits]).
type tenantLimits struct {
	members, anonymous *budget
}

// limits configure the budgets: a negative rate or cap disables it.
type limits struct {
	rate, burst, inFlight int
}

func newTenantLimits(members, anonymous limits) *tenantLimits {
	return &tenantLimits{
		members:   newBudget(members.rate, members.burst, members.inFlight),
		anonymous: newBudget(anonymous.rate, anonymous.burst, anonymous.inFlight),
	}
}

// ShareLimits makes this instance hold 1/n of each configured per-tenant
// limit (rates exactly; bursts and in-flight caps rounded up, at least 1),
// so that n instances that each hold their share keep every tenant within
// the configured limits across the deployment. n is the number of live
// instances, this one included; 1 (or less) restores the whole limits.
// Safe to call while serving; buckets already in use take the new rate at
// once.
func (s *Server) ShareLimits(n int) {
	s.limits.members.share(n)
	s.limits.anonymous.share(n)
}

// limited serves a tenant host's request within the tenant's limits. The
// rate is counted first; then the body is read in full, holding no slot,
// so a client that trickles its body (or never finishes it) holds only its
// own connection, until the server's read timeout; only then does the
// request take an in-flight slot, for the time the handler works.
func (s *Server) limited(w http.ResponseWriter, r *http.Request, id uuid.UUID, next http.Handler) {
	b := s.limits.anonymous
	if h, _ := route.HostFrom(r.Context()); s.auth.SignedForTenant(h.Tenant, route.Credentials(r)) {
		b = s.limits.members
	}
	if err := b.admit(id); err != nil {
		s.problems.Write(w, r, err)
		return
	}
	if status, err := readBody(r); err != nil {
		route.WriteProblem(w, route.Problem{
			Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: err.Error(), Instance: route.InstanceOf(r.Context()),
		})
		return
	}
	done, err := b.enter(id)
	if err != nil {
		s.problems.Write(w, r, err)
		return
	}
	defer done()
	next.ServeHTTP(w, r)
}

// readBody reads r's body into memory and puts the bytes in its place. The
// body is already bounded (withBodyLimit): a longer one is refused with
// 413, and one that does not arrive whole within the server's read timeout
// with 400; the error then says so to the client.
func readBody(r *http.Request) (int, error) {
	if r.Body == nil || r.Body == http.NoBody {
		return 0, nil
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		buf.Grow(int(min(r.ContentLength, 1<<20)))
	}
	_, err := buf.ReadFrom(r.Body)
	r.Body.Close()
	if err != nil {
		if mbe, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return http.StatusRequestEntityTooLarge, fmt.Errorf("request body larger than %d bytes", mbe.Limit)
		}
		return http.StatusBadRequest, errors.New("the request body did not arrive whole")
	}
	r.Body = io.NopCloser(&buf)
	return 0, nil
}
