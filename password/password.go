// Package password hashes and verifies passwords with argon2id, a bounded
// number at a time. It knows nothing of accounts or tenants: package auth
// decides whose password is checked, and what a new one must be.
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

	"golang.org/x/crypto/argon2"

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

// Hasher hashes and verifies passwords with argon2id, running at most a
// fixed number of hashes at once: each takes tens of megabytes and most of a
// core, so an unbounded login flood would starve every other request. A
// caller that cannot get a slot before its context ends gets CodeUnavailable.
type Hasher struct {
	params Params
	slots  chan struct{}
	// dummy is verified against when an account has no hash, so an
	// unknown email costs the same as a wrong password.
	dummy string
}

// NewHasher returns a Hasher running at most concurrency hashes at once
// (0 means the number of CPUs).
func NewHasher(params Params, concurrency int) *Hasher {
	if concurrency <= 0 {
		concurrency = runtime.NumCPU()
	}
	h := &Hasher{params: params, slots: make(chan struct{}, concurrency)}
	h.dummy = h.hash("tenantkit dummy password " + rand.Text())
	return h
}

func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-ctx.Done():
		return &tenant.Error{Code: tenant.CodeUnavailable, Message: "too many sign-ins at once, retry later", Err: ctx.Err()}
	}
}

func (h *Hasher) release() { <-h.slots }

// Hash returns the PHC-format argon2id hash of password.
func (h *Hasher) Hash(ctx context.Context, password string) (string, error) {
	if err := h.acquire(ctx); err != nil {
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
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	if encoded == "" {
		_, _ = verifyHash(password, h.dummy)
		return false, nil
	}
	return verifyHash(password, encoded)
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
