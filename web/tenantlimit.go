package web

import (
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/tenant"
)

// tenantLimits keep one tenant from taking the capacity every tenant
// shares: a request rate and a number of requests in flight per tenant,
// checked as soon as the host names the tenant. Limits are per instance.
type tenantLimits struct {
	rate     *ratelimit.Limiter
	inFlight int

	mu    sync.Mutex
	gates map[uuid.UUID]chan struct{}
}

func newTenantLimits(perSecond, burst, inFlight int) *tenantLimits {
	l := &tenantLimits{inFlight: inFlight, gates: map[uuid.UUID]chan struct{}{}}
	if perSecond > 0 {
		l.rate = ratelimit.New(time.Second/time.Duration(perSecond), burst, 100_000)
	}
	return l
}

var errTenantBusy = &tenant.Error{Code: tenant.CodeRateLimited, Message: "this organization has too many requests in progress; retry shortly", RetryAfter: time.Second}

// enter admits a request for tenant id, or returns a rate-limited error.
// The returned func must be called when the request ends.
func (l *tenantLimits) enter(id uuid.UUID) (func(), error) {
	if l.rate != nil {
		if ok, wait := l.rate.Allow(id.String()); !ok {
			return nil, &tenant.Error{Code: tenant.CodeRateLimited, Message: "this organization is sending too many requests; retry later", RetryAfter: wait}
		}
	}
	if l.inFlight <= 0 {
		return func() {}, nil
	}
	l.mu.Lock()
	gate, ok := l.gates[id]
	if !ok {
		gate = make(chan struct{}, l.inFlight)
		l.gates[id] = gate
	}
	l.mu.Unlock()
	select {
	case gate <- struct{}{}:
		return func() { <-gate }, nil
	default:
		return nil, errTenantBusy
	}
}

// limited wraps a tenant host's handler with the tenant's limits.
func (s *Server) limited(w http.ResponseWriter, r *http.Request, id uuid.UUID, next http.Handler) {
	done, err := s.limits.enter(id)
	if err != nil {
		s.problems.Write(w, r, err)
		return
	}
	defer done()
	next.ServeHTTP(w, r)
}
