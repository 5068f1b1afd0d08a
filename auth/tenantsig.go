package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// TenantSig is the content of the signed tenant cookie: which tenant, for
// which account and session, until when. The cookie binds a browser's
// session to one tenant independently of the token: a request must carry a
// token, a cookie and a host that all name the same tenant.
type TenantSig struct {
	TenantID  uuid.UUID
	AccountID uuid.UUID
	SessionID uuid.UUID
	ExpiresAt time.Time
}

// Signer signs and verifies tenant cookies with HMAC-SHA256.
type Signer struct {
	keys *SignatureKeys
	now  func() time.Time
}

// NewSigner returns a Signer with keys, judging expiry by now.
func NewSigner(keys *SignatureKeys, now func() time.Time) *Signer {
	return &Signer{keys: keys, now: now}
}

// ErrInvalidSignature is returned for a cookie that does not verify.
var ErrInvalidSignature = errors.New("invalid tenant signature")

// The cookie value is "v1.kid.tenant.account.session.expiry.mac", the mac
// over everything before it, base64url without padding.
const sigVersion = "v1"

// Sign returns the cookie value for s, signed with the current key.
func (g *Signer) Sign(s TenantSig) string {
	payload := strings.Join([]string{
		sigVersion, g.keys.signKID, s.TenantID.String(), s.AccountID.String(), s.SessionID.String(),
		strconv.FormatInt(s.ExpiresAt.Unix(), 10),
	}, ".")
	return payload + "." + base64.RawURLEncoding.EncodeToString(mac(g.keys.keys[g.keys.signKID], payload))
}

func mac(key []byte, payload string) []byte {
	h := hmac.New(sha256.New, key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// Verify checks the value's MAC in constant time with the key its kid names
// and that it has not expired, and returns its content.
func (g *Signer) Verify(value string) (TenantSig, error) {
	if len(value) > 512 {
		return TenantSig{}, ErrInvalidSignature
	}
	parts := strings.Split(value, ".")
	if len(parts) != 7 || parts[0] != sigVersion {
		return TenantSig{}, ErrInvalidSignature
	}
	key, ok := g.keys.keys[parts[1]]
	if !ok {
		return TenantSig{}, ErrInvalidSignature
	}
	got, err := base64.RawURLEncoding.DecodeString(parts[6])
	if err != nil {
		return TenantSig{}, ErrInvalidSignature
	}
	payload := value[:len(value)-len(parts[6])-1]
	if !hmac.Equal(got, mac(key, payload)) {
		return TenantSig{}, ErrInvalidSignature
	}
	var s TenantSig
	var errs [3]error
	s.TenantID, errs[0] = uuid.Parse(parts[2])
	s.AccountID, errs[1] = uuid.Parse(parts[3])
	s.SessionID, errs[2] = uuid.Parse(parts[4])
	exp, err := strconv.ParseInt(parts[5], 10, 64)
	if errors.Join(errs[:]...) != nil || err != nil {
		return TenantSig{}, ErrInvalidSignature
	}
	s.ExpiresAt = time.Unix(exp, 0)
	if !g.now().Before(s.ExpiresAt) {
		return TenantSig{}, ErrInvalidSignature
	}
	return s, nil
}
