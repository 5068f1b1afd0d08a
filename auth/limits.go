package auth

import (
	"context"
	"time"

	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/tenant"
)

// The limits on guessing. Every check of a password counts toward them —
// sign-in on any host, the current password of a password change, the
// password given to accept an invitation — and only failures count, so an
// office behind one address signs in as often as it likes.
//
// A failure is counted against the client address, against the address and
// email together, and against the email from everywhere; an attempt is
// refused while any of them is used up. A stranger who fails ten times from
// one address has used up only that address's share of the email: the
// person signs in from anywhere else. The email's own ceiling stops
// guessing spread over many addresses; should a botnet use it up, browsers
// that have signed in to that email before (a signed device cookie) are
// limited on their own budget and keep working.
const (
	// FailuresPerAddress failed attempts per client address, then one
	// more every AddressRefill.
	FailuresPerAddress = 30
	AddressRefill      = 20 * time.Second
	// FailuresPerPair failed attempts per email and client address, then
	// one more every PairRefill.
	FailuresPerPair = 10
	PairRefill      = time.Minute
	// FailuresPerEmail failed attempts per email from all addresses
	// together, then one more every EmailRefill (60 an hour).
	FailuresPerEmail = 100
	EmailRefill      = time.Minute
	// KnownDeviceTurns attempts per email from its known devices may use
	// the hashing budget's known-device lane, then one more every
	// KnownDeviceRefill, successes counted too (see passwordTurn).
	KnownDeviceTurns  = 3
	KnownDeviceRefill = 5 * time.Second
	// FailuresPerDevice failed attempts per email from one known device,
	// then one more every DeviceRefill; the other limits do not apply.
	FailuresPerDevice = 10
	DeviceRefill      = time.Minute
)

// Password reset requests are limited the same way, since each sends mail:
// per client address, per email and address, per email overall, and per
// email and known device.
const (
	ResetsPerAddress = 10
	ResetsPerPair    = 3
	ResetsPerEmail   = 10
	ResetsPerDevice  = 3
)

// limits are the Service's guessing and reset limiters.
type limits struct {
	failAddress, failPair, failEmail, failDevice     *ratelimit.Limiter
	resetAddress, resetPair, resetEmail, resetDevice *ratelimit.Limiter
	signupAddress, signupEmail                       *ratelimit.Limiter
	knownTurns                                       *ratelimit.Limiter
}

func newLimits() limits {
	const keys = 100_000
	return limits{
		failAddress:   ratelimit.New(AddressRefill, FailuresPerAddress, keys),
		failPair:      ratelimit.New(PairRefill, FailuresPerPair, keys),
		failEmail:     ratelimit.New(EmailRefill, FailuresPerEmail, keys),
		failDevice:    ratelimit.New(DeviceRefill, FailuresPerDevice, keys),
		knownTurns:    ratelimit.New(KnownDeviceRefill, KnownDeviceTurns, keys),
		resetAddress:  ratelimit.New(6*time.Second, ResetsPerAddress, keys),
		resetPair:     ratelimit.New(10*time.Minute/ResetsPerPair, ResetsPerPair, keys),
		resetEmail:    ratelimit.New(time.Hour/ResetsPerEmail, ResetsPerEmail, keys),
		resetDevice:   ratelimit.New(10*time.Minute/ResetsPerDevice, ResetsPerDevice, keys),
		signupAddress: ratelimit.New(SignupAddressRefill, SignupsPerAddress, keys),
		signupEmail:   ratelimit.New(SignupEmailRefill, SignupsPerEmail, keys),
	}
}

func tooMany(wait time.Duration) error {
	return &tenant.Error{Code: tenant.CodeRateLimited, Message: "too many attempts, retry later", RetryAfter: wait}
}

// guessKeys are the limiter keys an attempt for email from meta counts
// against: the known device's, or the address's, the pair's and the
// email's. Without an email (a token guess) only the address's.
type guessKeys struct {
	device, address, pair, email string
}

func (s *Service) guessKeys(meta ClientMeta, email string) guessKeys {
	if email != "" {
		if id := s.devices.known(meta.Device, email); id != "" {
			return guessKeys{device: email + "|" + id}
		}
	}
	k := guessKeys{address: meta.IP}
	if email != "" {
		k.pair, k.email = email+"|"+meta.IP, email
	}
	return k
}

// passwordTurn takes a place in the hashing budget for an attempt at
// email's password, before the account is looked up (a refusal then says
// nothing of the account). An attempt from a device that has signed in to
// email before waits on the known devices' lane, not behind a flood from
// elsewhere — a few attempts per email at a time (KnownDeviceTurns), so
// that one account's own device cannot fill the lane every account
// shares; past them it waits with everyone else.
func (s *Service) passwordTurn(ctx context.Context, meta ClientMeta, email string) (*password.Turn, error) {
	known := s.guessKeys(meta, email).device != ""
	if known {
		known, _ = s.limits.knownTurns.Allow(email)
	}
	return s.hasher.Turn(ctx, known)
}

// guessAllowed refuses an attempt whose limits are used up, without
// counting it.
func (s *Service) guessAllowed(meta ClientMeta, email string) error {
	k := s.guessKeys(meta, email)
	for _, c := range []struct {
		l   *ratelimit.Limiter
		key string
	}{{s.limits.failDevice, k.device}, {s.limits.failAddress, k.address}, {s.limits.failPair, k.pair}, {s.limits.failEmail, k.email}} {
		if c.key == "" {
			continue
		}
		if blocked, wait := c.l.Blocked(c.key); blocked {
			return tooMany(wait)
		}
	}
	return nil
}

// guessFailed counts a failed attempt.
func (s *Service) guessFailed(meta ClientMeta, email string) {
	k := s.guessKeys(meta, email)
	if k.device != "" {
		s.limits.failDevice.Allow(k.device)
		return
	}
	s.limits.failAddress.Allow(k.address)
	if email != "" {
		s.limits.failPair.Allow(k.pair)
		s.limits.failEmail.Allow(k.email)
	}
}

// resetAllowed counts a password reset request and refuses it past its
// limits.
func (s *Service) resetAllowed(meta ClientMeta, email string) error {
	if ok, wait := s.limits.resetAddress.Allow(meta.IP); !ok {
		return tooMany(wait)
	}
	if id := s.devices.known(meta.Device, email); id != "" {
		if ok, wait := s.limits.resetDevice.Allow(email + "|" + id); !ok {
			return tooMany(wait)
		}
		return nil
	}
	if ok, wait := s.limits.resetPair.Allow(email + "|" + meta.IP); !ok {
		return tooMany(wait)
	}
	if ok, wait := s.limits.resetEmail.Allow(email); !ok {
		return tooMany(wait)
	}
	return nil
}
