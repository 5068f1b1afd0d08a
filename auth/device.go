package auth

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
)

// DeviceLifetime is how long a browser stays a known device of an address
// after it last signed in with that address's password.
const DeviceLifetime = 365 * 24 * time.Hour

// A device cookie marks a browser that has signed in before: its value is
// "d1.{address tag}.{device id}.{expiry}.{mac}", the tag an HMAC of the
// email address (the cookie does not carry the address itself), the MAC
// over everything before it. Password guesses from a known device are
// limited on their own (see [Service] and the package documentation), so a
// stranger who uses up an address's limits does not lock its owner out of
// the browsers they already use.
const deviceVersion = "d1"

// deviceSigner signs and verifies device cookies with a key derived from
// the tenant cookie's signing key.
type deviceSigner struct {
	key []byte
	now func() time.Time
}

func newDeviceSigner(keys *SignatureKeys, now func() time.Time) *deviceSigner {
	return &deviceSigner{key: keys.Derive("device"), now: now}
}

func (d *deviceSigner) mac(payload string) []byte {
	h := hmac.New(sha256.New, d.key)
	h.Write([]byte(payload))
	return h.Sum(nil)
}

// tag is the address's tag: the first 16 bytes of an HMAC of it.
func (d *deviceSigner) tag(email string) string {
	return base64.RawURLEncoding.EncodeToString(d.mac("email:" + email)[:16])
}

// sign returns a new device cookie for email.
func (d *deviceSigner) sign(email string) string {
	payload := strings.Join([]string{deviceVersion, d.tag(email), uuid.NewString(),
		strconv.FormatInt(d.now().Add(DeviceLifetime).Unix(), 10)}, ".")
	return payload + "." + base64.RawURLEncoding.EncodeToString(d.mac(payload))
}

// known returns the device id of value if it is a valid, unexpired device
// cookie of email, and "" otherwise.
func (d *deviceSigner) known(value, email string) string {
	if value == "" || len(value) > 256 || email == "" {
		return ""
	}
	parts := strings.Split(value, ".")
	if len(parts) != 5 || parts[0] != deviceVersion {
		return ""
	}
	got, err := base64.RawURLEncoding.DecodeString(parts[4])
	if err != nil || !hmac.Equal(got, d.mac(value[:len(value)-len(parts[4])-1])) {
		return ""
	}
	exp, err := strconv.ParseInt(parts[3], 10, 64)
	if err != nil || !d.now().Before(time.Unix(exp, 0)) {
		return ""
	}
	if !hmac.Equal([]byte(parts[1]), []byte(d.tag(email))) {
		return ""
	}
	return parts[2]
}
