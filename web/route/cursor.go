package route

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
)

// Cursors encode and verify list cursors. Cursors are opaque to clients: the position of a keyset page, signed and
// bound to the tenant, the account and the operation that issued it. A
// cursor of another tenant, account or list, or altered in any way, is
// refused as invalid input.
type Cursors struct {
	key []byte
}

// NewCursors returns the codec of cursors signed with key.
func NewCursors(key []byte) Cursors { return Cursors{key: key} }

type cursorPayload struct {
	Tenant    uuid.UUID       `json:"t"`
	Account   uuid.UUID       `json:"a"`
	Operation string          `json:"o"`
	Key       json.RawMessage `json:"k"`
}

var errBadCursor = &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid cursor", Fields: map[string]string{"query.cursor": "not a cursor of this list"}}

// Encode signs the keyset position key for the scope and operation.
func (c Cursors) Encode(s tenant.Scope, op string, key any) string {
	k, _ := json.Marshal(key)
	p, _ := json.Marshal(cursorPayload{Tenant: s.TenantID, Account: s.AccountID, Operation: op, Key: k})
	return base64.RawURLEncoding.EncodeToString(p) + "." + base64.RawURLEncoding.EncodeToString(c.mac(p))
}

func (c Cursors) mac(p []byte) []byte {
	h := hmac.New(sha256.New, c.key)
	h.Write(p)
	return h.Sum(nil)
}

// Decode verifies raw for the scope and operation and unmarshals its
// position into key. An empty raw is the first page: it returns false.
func (c Cursors) Decode(s tenant.Scope, op, raw string, key any) (bool, error) {
	if raw == "" {
		return false, nil
	}
	if len(raw) > 2048 {
		return false, errBadCursor
	}
	body, sig, ok := strings.Cut(raw, ".")
	if !ok {
		return false, errBadCursor
	}
	p, err1 := base64.RawURLEncoding.DecodeString(body)
	m, err2 := base64.RawURLEncoding.DecodeString(sig)
	if err1 != nil || err2 != nil || !hmac.Equal(m, c.mac(p)) {
		return false, errBadCursor
	}
	var payload cursorPayload
	if err := json.Unmarshal(p, &payload); err != nil {
		return false, errBadCursor
	}
	if payload.Tenant != s.TenantID || payload.Account != s.AccountID || payload.Operation != op {
		return false, errBadCursor
	}
	if err := json.Unmarshal(payload.Key, key); err != nil {
		return false, errBadCursor
	}
	return true, nil
}
