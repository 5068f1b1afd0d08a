// Package password hashes and verifies passwords with argon2id within a
// budget: a bounded number at a time, and a bounded number per second, so
// that hashing takes at most a set share of the instance's CPU however
// many attempts arrive. It knows nothing of accounts or tenants: package
// auth decides whose password is checked, and what a new one must be.
package password

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"
	"golang.org/x/time/rate"

	"github.com/tenantkit/tenantkit/tenant"
)

// Params are the argon2id parameters of new hashes. Stored hashes
// carry their own parameters, so these can be raised without invalidating
// existing passwords.
type Params struct {
	MemoryKiB   uint32
	Iterations  uint32
	Parallelism uint8
	SaltLen     int
	KeyLen      uint32
}

// DefaultParams follow the OWASP password storage recommendation for
// argon2id: 46 MiB of memory, one iteration, one lane.
var DefaultParams = Params{MemoryKiB: 46 * 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

// Budget bounds what hashing may take of the instance. Each hash takes
// tens of megabytes and tens of milliseconds of a core: a flood of wrong
// passwords from many addresses at many accounts passes every per-address
// and per-email limit, and unbounded it would take every core from every
// tenant's requests. Within the budget the flood waits; past it, it is
// refused (CodeUnavailable), and the rest of the instance keeps its speed.
type Budget struct {
	// Concurrency is the number of hashes run at once. Defaults to half
	// the CPUs, at least one.
	Concurrency int
	// PerSecond is the number of hashes started per second. Defaults to
	// what CPUShare of the CPUs affords, from the time one hash of the
	// Hasher's parameters took when it was made. Negative: no rate bound,
	// for tools that hash outside any request (seeders) and tests.
	PerSecond float64
	// CPUShare is the share of all CPUs hashing may take when PerSecond
	// is not set. Defaults to DefaultCPUShare.
	CPUShare float64
	// Wait bounds how long a hash waits for the budget before it is
	// refused. Defaults to two seconds.
	Wait time.Duration
}

// DefaultCPUShare is the share of the instance's CPUs hashing may take by
// default: a tenth, which keeps the other requests' latency within about
// a tenth of its usual under a flood of sign-ins (make bench measures it).
const DefaultCPUShare = 0.1

// Hasher hashes and verifies passwords with argon2id within a Budget. A
// caller that cannot get its turn before the budget's wait (or its
// context) ends gets CodeUnavailable.
//
// Verifications for a device that has signed in to the account before
// (Turn with knownDevice) have a rate of their own, a quarter of the budget's
// on top of it: a flood, which has no such device, cannot lock the
// account's own people out.
type Hasher struct {
	params      Params
	slots       chan struct{}
	rate, known *rate.Limiter
	wait        time.Duration
	// dummy is verified against when an account has no hash, so an
	// unknown email costs the same as a wrong password.
	dummy string
}

// NewHasher returns a Hasher hashing new passwords with params within b.
func NewHasher(params Params, b Budget) *Hasher {
	cpus := runtime.GOMAXPROCS(0) // the CPUs this process may use (container limits included)
	if b.Concurrency <= 0 {
		b.Concurrency = max(1, cpus/2)
	}
	if b.CPUShare <= 0 {
		b.CPUShare = DefaultCPUShare
	}
	if b.Wait <= 0 {
		b.Wait = 2 * time.Second
	}
	h := &Hasher{params: params, slots: make(chan struct{}, b.Concurrency), wait: b.Wait}
	// The cost of one hash: the faster of two, the first paying for fresh
	// memory.
	var took time.Duration
	for i := range 2 {
		start := time.Now()
		h.dummy = h.hash("tenantkit dummy password " + rand.Text())
		if d := time.Since(start); i == 0 || d < took {
			took = d
		}
	}
	limit := rate.Limit(b.PerSecond)
	switch {
	case b.PerSecond < 0:
		limit = rate.Inf
	case b.PerSecond == 0:
		limit = rate.Limit(b.CPUShare * float64(cpus) / max(took, 100*time.Microsecond).Seconds())
	}
	h.rate = rate.NewLimiter(limit, b.Concurrency)
	h.known = rate.NewLimiter(limit/4, max(1, b.Concurrency/2))
	return h
}

// PerSecond is the number of hashes the budget starts per second
// (+Inf: unbounded).
func (h *Hasher) PerSecond() float64 { return float64(h.rate.Limit()) }

// Concurrency is the number of hashes the budget runs at once.
func (h *Hasher) Concurrency() int { return cap(h.slots) }

// Offline is the budget of tools that hash outside any request, such as
// the seeders: as many at once as there are CPUs, no rate bound.
var Offline = Budget{Concurrency: runtime.GOMAXPROCS(0), PerSecond: -1}

// busy is the refusal of a hash the budget has no room for: a client
// retries in a second or two, as Retry-After says.
func busy(cause error) error {
	return &tenant.Error{Code: tenant.CodeUnavailable, Message: "too many sign-ins at once, retry later", Err: cause, RetryAfter: 2 * time.Second}
}

// acquire waits for a turn of lane and then for a slot, within the
// budget's wait.
func (h *Hasher) acquire(ctx context.Context, lane *rate.Limiter) error {
	ctx, cancel := context.WithTimeout(ctx, h.wait)
	defer cancel()
	if err := lane.Wait(ctx); err != nil {
		return busy(err)
	}
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return busy(ctx.Err())
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx, h.rate); err != nil {
		return "", err
	}
	defer h.release()
	return h.hash(password), nil
}

func (h *Hasher) hash(password string) string {
	p := h.params
	salt := make([]byte, p.SaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, p.Iterations, p.MemoryKiB, p.Parallelism, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.MemoryKiB, p.Iterations, p.Parallelism, b64.EncodeToString(salt), b64.EncodeToString(key))
}

// Verify reports whether password matches encoded. An empty encoded hash
// (an account without a password, or none at all) is checked against a
// dummy hash so that it takes as long as a real mismatch, and never matches.
func (h *Hasher) Verify(ctx context.Context, password, encoded string) (bool, error) {
	t, err := h.Turn(ctx, false)
	if err != nil {
		return false, err
	}
	defer t.Done()
	return t.Verify(password, encoded)
}

// Turn is one verification's place in the budget, taken before the caller
// looks up the hash to verify against: an attempt the budget refuses is
// refused before any lookup, so how long a refusal takes says nothing of
// the account. Done gives the place back.
type Turn struct {
	h    *Hasher
	done bool
}

// Turn waits for a place in the budget — on the known devices' lane when
// knownDevice is set (a device that has signed in to the account before:
// a flood from elsewhere does not hold it up) — within the budget's wait.
func (h *Hasher) Turn(ctx context.Context, knownDevice bool) (*Turn, error) {
	lane := h.rate
	if knownDevice {
		lane = h.known
	}
	if err := h.acquire(ctx, lane); err != nil {
		return nil, err
	}
	return &Turn{h: h}, nil
}

// Verify is Hasher.Verify within the turn.
func (t *Turn) Verify(password, encoded string) (bool, error) {
	if encoded == "" {
		_, _ = verifyHash(password, t.h.dummy)
		return false, nil
	}
	return verifyHash(password, encoded)
}

// Done gives the turn's place back; more calls do nothing.
func (t *Turn) Done() {
	if t != nil && !t.done {
		t.done = true
		t.h.release()
	}
}

var errBadHash = errors.New("malformed password hash")

func verifyHash(password, encoded string) (bool, error) {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false, errBadHash
	}
	var version int
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return false, errBadHash
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || m > 1<<22 || t == 0 || t > 16 || p == 0 {
		return false, errBadHash
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false, errBadHash
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) < 16 || len(want) > 128 {
		return false, errBadHash
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1, nil
}
