package auth

import (
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// fixedClock is the tests' time: tokens and cookies are judged by it, not
// by the day the tests run.
func fixedClock() time.Time { return time.Date(2027, time.January, 13, 15, 4, 5, 0, time.UTC) }

func testSigner(t testing.TB) *Signer {
	k, err := ParseSignatureKeys("s1:" + strings.Repeat("QUJD", 11))
	if err != nil {
		t.Fatal(err)
	}
	return NewSigner(k, fixedClock)
}

// Only values the signer produced verify: any change to a signed value,
// and any value not produced by Sign, is refused.
func FuzzSignerVerify(f *testing.F) {
	g := testSigner(f)
	good := g.Sign(TenantSig{TenantID: uuid.New(), AccountID: uuid.New(), SessionID: uuid.New(), ExpiresAt: fixedClock().Add(time.Hour)})
	f.Add(good)
	f.Add(strings.Replace(good, ".s1.", ".s2.", 1))
	f.Add(good[:len(good)-1])
	f.Add("v1.s1.a.b.c.1.x")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		s, err := g.Verify(v)
		if err != nil {
			return
		}
		if again := g.Sign(s); again != v {
			t.Fatalf("a value verified that Sign would not produce: %q (Sign gives %q)", v, again)
		}
	})
}

func testTokens(t testing.TB) *Tokens {
	k, err := ParseSessionKeys("k1:" + strings.Repeat("QUJD", 11))
	if err != nil {
		t.Fatal(err)
	}
	return NewTokens(k, "https://tenantkit.test", fixedClock)
}

// Token parsing never panics, and any token that verifies carries ids.
func FuzzTokenVerify(f *testing.F) {
	tk := testTokens(f)
	good, err := tk.Issue(Session{ID: uuid.New(), AccountID: uuid.New(), TenantID: uuid.New(), Role: "owner", Version: 1, ExpiresAt: fixedClock().Add(time.Hour)})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	parts := strings.Split(good, ".")
	f.Add(parts[0] + "." + parts[1] + ".")
	f.Add("eyJhbGciOiJub25lIn0." + parts[1] + ".")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := tk.Verify(raw)
		if err != nil {
			return
		}
		if s.ID == uuid.Nil || s.AccountID == uuid.Nil || s.Version < 1 {
			t.Fatalf("verified token without identity: %+v", s)
		}
	})
}

func FuzzSafeRedirect(f *testing.F) {
	for _, s := range []string{"/", "/a?b=c", "//evil", "/\\evil", "https://evil", "/\t/evil", "/%2f%2fevil", "\\\\evil"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := SafeRedirect(in)
		if out != "/" && out != in {
			t.Fatalf("SafeRedirect(%q) = %q", in, out)
		}
		if !strings.HasPrefix(out, "/") || strings.HasPrefix(out, "//") || strings.HasPrefix(out, "/\\") || strings.ContainsAny(out, "\\\r\n\t") {
			t.Fatalf("SafeRedirect(%q) = %q leaves the host", in, out)
		}
	})
}

func TestKeySets(t *testing.T) {
	for _, bad := range []string{"", "k1", "k1:", "k1:@@@", "k1:QUJD", "bad kid:" + strings.Repeat("QUJD", 11), "k1:" + strings.Repeat("QUJD", 11) + ",k1:" + strings.Repeat("QUJD", 11)} {
		if _, err := ParseSessionKeys(bad); err == nil {
			t.Errorf("ParseSessionKeys(%q) accepted", bad)
		}
	}
	// Rotation: a token signed with the previous key still verifies when the
	// new key is first; once the old key is dropped it does not.
	old := testTokens(t)
	tok, _ := old.Issue(Session{ID: uuid.New(), AccountID: uuid.New(), Version: 1, ExpiresAt: fixedClock().Add(time.Hour)})
	both, _ := ParseSessionKeys(GenerateKeySpec("k2", 32) + ",k1:" + strings.Repeat("QUJD", 11))
	if _, err := NewTokens(both, "https://tenantkit.test", fixedClock).Verify(tok); err != nil {
		t.Fatalf("previous key during rotation: %v", err)
	}
	onlyNew, _ := ParseSessionKeys(GenerateKeySpec("k2", 32))
	if _, err := NewTokens(onlyNew, "https://tenantkit.test", fixedClock).Verify(tok); err == nil {
		t.Fatal("a retired key still verifies")
	}
}
