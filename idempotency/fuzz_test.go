package idempotency

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// An Idempotency-Key is accepted only if it can travel as a header value
// and be stored as text as it is: 1 to 255 bytes, valid UTF-8 without
// whitespace, control characters or NUL (which PostgreSQL text refuses).
func FuzzValidKey(f *testing.F) {
	for _, s := range []string{
		"9b7f3c1e-2d4a-4c5b-8e6f-0a1b2c3d4e5f", "create-1", "a", strings.Repeat("k", 255), strings.Repeat("k", 256),
		"", " ", "key with space", "tab\tkey", "nul\x00key", "line\r\nX-Tenant-Id: b", "é", "\xff\xfe", "'; DROP TABLE idempotency_keys;--",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, k string) {
		ok := validKey(k)
		safe := len(k) >= 1 && len(k) <= MaxKeyLength && utf8.ValidString(k) &&
			!strings.ContainsFunc(k, func(r rune) bool { return r <= ' ' || r == 0x7f || r > '~' })
		if ok != safe {
			t.Fatalf("validKey(%q) = %v, want %v", k, ok, safe)
		}
	})
}
