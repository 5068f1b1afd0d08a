package auth

import (
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"
	lru "github.com/hashicorp/golang-lru/v2"
)

// Audience is the audience of every session token: tokens minted for any
// other audience are refused.
const Audience = "tenantkit-session"

// Leeway is the clock skew tolerated on exp, nbf and iat.
const Leeway = 30 * time.Second

// Claims are a session token's claims. A tenant session carries the tenant
// (tid); a platform session on the apex host carries none. The session id is
// the JWT id; the version is the account's session version when the token
// was issued.
type Claims struct {
	jwt.RegisteredClaims
	TenantID string `json:"tid,omitempty"`
	Role     string `json:"role,omitempty"`
	Version  int64  `json:"ver"`
}

// Session is the content of a verified token.
type Session struct {
	ID        uuid.UUID
	AccountID uuid.UUID
	// TenantID is uuid.Nil for a platform session.
	TenantID  uuid.UUID
	Role      string
	Version   int64
	ExpiresAt time.Time
}

// Tokens issues and verifies session tokens.
//
// A token's signature is checked once per instance: a token that
// verified is remembered (keyed by the whole token, in a cache of at most
// [VerifiedTokens] entries, the least recently used leaving first) until
// it expires, and presenting it again costs a map lookup and the expiry
// check instead of an Ed25519 verification. Revocation does not depend
// on this: whether the session is still live is the database's answer on
// every request.
type Tokens struct {
	keys     *SessionKeys
	issuer   string
	now      func() time.Time
	verified *lru.Cache[string, Session]
}

// VerifiedTokens caps the cache of verified tokens: about 0.6 KiB each
// (the token and its content), some 10 MiB in all.
const VerifiedTokens = 16384

// NewTokens returns a Tokens for issuer with keys, reading the time (for
// iat, nbf and the check of exp) from now.
func NewTokens(keys *SessionKeys, issuer string, now func() time.Time) *Tokens {
	verified, err := lru.New[string, Session](VerifiedTokens)
	if err != nil {
		panic(err) // only for a size below 1
	}
	return &Tokens{keys: keys, issuer: issuer, now: now, verified: verified}
}

// Issue signs a token for s with the current key.
func (t *Tokens) Issue(s Session) (string, error) {
	now := t.now()
	claims := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    t.issuer,
			Subject:   s.AccountID.String(),
			Audience:  jwt.ClaimStrings{Audience},
			ExpiresAt: jwt.NewNumericDate(s.ExpiresAt),
			NotBefore: jwt.NewNumericDate(now),
			IssuedAt:  jwt.NewNumericDate(now),
			ID:        s.ID.String(),
		},
		Role:    s.Role,
		Version: s.Version,
	}
	if s.TenantID != uuid.Nil {
		claims.TenantID = s.TenantID.String()
	}
	tok := jwt.NewWithClaims(jwt.SigningMethodEdDSA, claims)
	tok.Header["kid"] = t.keys.signKID
	return tok.SignedString(t.keys.sign)
}

// ErrInvalidToken is returned for any token that does not verify: bad
// signature, wrong algorithm, unknown key, wrong issuer or audience,
// expired, not yet valid, malformed.
var ErrInvalidToken = errors.New("invalid session token")

// forbiddenHeaders name keys by reference: tokens may name a key only by
// kid among the configured ones.
var forbiddenHeaders = []string{"jku", "jwk", "x5u", "x5c", "x5t", "crit"}

// Verify checks the token's signature with the key its kid names (EdDSA
// only), its issuer, audience and times, and returns its content.
func (t *Tokens) Verify(raw string) (Session, error) {
	if len(raw) > 4096 {
		return Session{}, ErrInvalidToken
	}
	if s, ok := t.verified.Get(raw); ok {
		// Verified before: only the time can have changed its answer.
		if !t.now().Before(s.ExpiresAt.Add(Leeway)) {
			t.verified.Remove(raw)
			return Session{}, fmt.Errorf("%w: token is expired", ErrInvalidToken)
		}
		return s, nil
	}
	s, err := t.verify(raw)
	if err == nil {
		t.verified.Add(raw, s)
	}
	return s, err
}

func (t *Tokens) verify(raw string) (Session, error) {
	var claims Claims
	tok, err := jwt.ParseWithClaims(raw, &claims, func(tok *jwt.Token) (any, error) {
		for _, h := range forbiddenHeaders {
			if _, ok := tok.Header[h]; ok {
				return nil, fmt.Errorf("header %s not accepted", h)
			}
		}
		kid, _ := tok.Header["kid"].(string)
		key, ok := t.keys.verify[kid]
		if !ok {
			return nil, errors.New("unknown key id")
		}
		return key, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodEdDSA.Alg()}),
		jwt.WithIssuer(t.issuer),
		jwt.WithAudience(Audience),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(Leeway),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil || !tok.Valid {
		return Session{}, fmt.Errorf("%w: %v", ErrInvalidToken, err)
	}
	var s Session
	if s.ID, err = uuid.Parse(claims.ID); err != nil {
		return Session{}, fmt.Errorf("%w: session id", ErrInvalidToken)
	}
	if s.AccountID, err = uuid.Parse(claims.Subject); err != nil {
		return Session{}, fmt.Errorf("%w: subject", ErrInvalidToken)
	}
	if claims.TenantID != "" {
		if s.TenantID, err = uuid.Parse(claims.TenantID); err != nil || s.TenantID == uuid.Nil {
			return Session{}, fmt.Errorf("%w: tenant", ErrInvalidToken)
		}
	}
	if claims.Version < 1 {
		return Session{}, fmt.Errorf("%w: version", ErrInvalidToken)
	}
	s.Role, s.Version, s.ExpiresAt = claims.Role, claims.Version, claims.ExpiresAt.Time
	return s, nil
}
