// Package onetime makes the single-use tokens of mailed links and
// handoffs (invitations, password resets, public form confirmations,
// tenant switches): 256 random bits for the holder, and their SHA-256 for
// the database, which never keeps a usable token.
package onetime

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
)

// New returns a random token and its hash.
func New() (token string, hash []byte) {
	b := make([]byte, 32)
	rand.Read(b)
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, Hash(token)
}

// Hash returns the hash the database keeps of token.
func Hash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
