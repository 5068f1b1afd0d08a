package route

import (
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
)

type fuzzKey struct {
	N string    `json:"n"`
	I uuid.UUID `json:"i"`
}

// A cursor verifies only for the tenant, account and list that issued it,
// and only as issued: whatever the fuzzer makes of one, it never opens a
// page of another tenant, account or list, and never verifies under
// another key.
func FuzzCursorDecode(f *testing.F) {
	codec := Cursors{key: []byte("cursor key of the fuzz test, 32+ bytes")}
	other := Cursors{key: []byte("another cursor key, also 32+ bytes long")}
	a := tenant.Scope{TenantID: uuid.MustParse("0b6b6f4e-7a51-4d5c-9d43-5f0f9b9e0a01"), AccountID: uuid.MustParse("1c7c7f5f-8b62-4e6d-ae54-6a1aac0f1b12")}
	b := tenant.Scope{TenantID: uuid.MustParse("2d8d8a6a-9c73-4f7e-bf65-7b2bbd1a2c23"), AccountID: a.AccountID}
	peer := tenant.Scope{TenantID: a.TenantID, AccountID: uuid.MustParse("3e9e9b7b-ad84-4a8f-8a76-8c3cce2b3d34")}
	good := codec.Encode(a, "list-services", fuzzKey{N: "Acme Tax Review", I: uuid.MustParse("4fafac8c-be95-4b90-9b87-9d4ddf3c4e45")})
	body, sig, _ := strings.Cut(good, ".")
	for _, s := range []string{
		good,
		codec.Encode(b, "list-services", fuzzKey{N: "Globex Tax Review"}),
		codec.Encode(a, "list-members", fuzzKey{N: "x"}),
		other.Encode(a, "list-services", fuzzKey{N: "x"}),
		body + "." + sig[:len(sig)-1] + "A",
		body[:len(body)-2] + "." + sig,
		body,
		"." + sig,
		"",
		"a.b",
		strings.Repeat("A", 3000),
		`eyJ0IjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIn0.` + sig,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		var k fuzzKey
		ok, err := codec.Decode(a, "list-services", raw, &k)
		if err != nil {
			if !tenant.IsCode(err, tenant.CodeInvalid) {
				t.Fatalf("decode(%q): %v is not invalid input", raw, err)
			}
			return
		}
		if !ok {
			if raw != "" {
				t.Fatalf("decode(%q) read a non-empty cursor as the first page", raw)
			}
			return
		}
		for name, s := range map[string]tenant.Scope{"another tenant": b, "another account": peer} {
			if ok, err := codec.Decode(s, "list-services", raw, &fuzzKey{}); ok || err == nil {
				t.Fatalf("a cursor of tenant A's list verifies for %s: %q", name, raw)
			}
		}
		if ok, err := codec.Decode(a, "list-members", raw, &fuzzKey{}); ok || err == nil {
			t.Fatalf("a cursor of one list verifies for another: %q", raw)
		}
		if ok, err := other.Decode(a, "list-services", raw, &fuzzKey{}); ok || err == nil {
			t.Fatalf("a cursor verifies under another key: %q", raw)
		}
		// What verifies is what was issued: the same position again.
		var again fuzzKey
		if ok, err := codec.Decode(a, "list-services", codec.Encode(a, "list-services", k), &again); !ok || err != nil || again != k {
			t.Fatalf("re-encoding %+v: %v %v %+v", k, ok, err, again)
		}
	})
}
