package auth

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// A key set is written "kid:base64,kid:base64,…": the first key signs, the
// others only verify, so a key can be rotated by putting a new one first and
// keeping the old one until every token it signed has expired.

var kidPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

type keyEntry struct {
	kid    string
	secret []byte
}

func parseKeySet(spec string, size int) ([]keyEntry, error) {
	var out []keyEntry
	seen := map[string]bool{}
	for part := range strings.SplitSeq(spec, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		kid, b64, ok := strings.Cut(part, ":")
		if !ok || !kidPattern.MatchString(kid) {
			return nil, fmt.Errorf("key %q: want kid:base64 with a kid of letters, digits, - or _", kid)
		}
		if seen[kid] {
			return nil, fmt.Errorf("key id %q appears twice", kid)
		}
		seen[kid] = true
		secret, err := base64.StdEncoding.DecodeString(b64)
		if err != nil {
			if secret, err = base64.RawURLEncoding.DecodeString(b64); err != nil {
				return nil, fmt.Errorf("key %s: not base64", kid)
			}
		}
		if len(secret) < size {
			return nil, fmt.Errorf("key %s: %d bytes, want at least %d", kid, len(secret), size)
		}
		out = append(out, keyEntry{kid: kid, secret: secret})
	}
	if len(out) == 0 {
		return nil, errors.New("no keys")
	}
	return out, nil
}

// GenerateKeySpec returns a new key set of one random key of n bytes, for
// `tenantkit dev` and tests.
func GenerateKeySpec(kid string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return kid + ":" + base64.StdEncoding.EncodeToString(b)
}

// SessionKeys are the Ed25519 keys that sign and verify session tokens.
type SessionKeys struct {
	signKID string
	sign    ed25519.PrivateKey
	verify  map[string]ed25519.PublicKey
}

// ParseSessionKeys reads a key set of 32-byte Ed25519 seeds.
func ParseSessionKeys(spec string) (*SessionKeys, error) {
	entries, err := parseKeySet(spec, ed25519.SeedSize)
	if err != nil {
		return nil, fmt.Errorf("session keys: %w", err)
	}
	k := &SessionKeys{verify: map[string]ed25519.PublicKey{}}
	for i, e := range entries {
		priv := ed25519.NewKeyFromSeed(e.secret[:ed25519.SeedSize])
		if i == 0 {
			k.signKID, k.sign = e.kid, priv
		}
		k.verify[e.kid] = priv.Public().(ed25519.PublicKey)
	}
	return k, nil
}

// SignatureKeys are the HMAC keys of the signed tenant cookie.
type SignatureKeys struct {
	signKID string
	keys    map[string][]byte
}

// ParseSignatureKeys reads a key set of secrets of at least 32 bytes.
func ParseSignatureKeys(spec string) (*SignatureKeys, error) {
	entries, err := parseKeySet(spec, 32)
	if err != nil {
		return nil, fmt.Errorf("tenant signature keys: %w", err)
	}
	k := &SignatureKeys{signKID: entries[0].kid, keys: map[string][]byte{}}
	for _, e := range entries {
		k.keys[e.kid] = e.secret
	}
	return k, nil
}

// Derive returns a key for purpose derived from the current signing key:
// HMAC-SHA256(key, "tenantkit/"+purpose). Values signed with it are bound
// to the same rotation as the tenant cookie.
func (k *SignatureKeys) Derive(purpose string) []byte {
	h := hmac.New(sha256.New, k.keys[k.signKID])
	h.Write([]byte("tenantkit/" + purpose))
	return h.Sum(nil)
}
