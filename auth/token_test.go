package auth

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
)

func tokensAt(t testing.TB, now func() time.Time) *Tokens {
	keys, err := ParseSessionKeys(GenerateKeySpec("k1", 32))
	if err != nil {
		t.Fatal(err)
	}
	return NewTokens(keys, "tenantkit", now)
}

// A token verified once is answered from the cache — until it expires:
// the cache never outlives the token, and a token that did not verify is
// never cached.
func TestVerifiedTokenCache(t *testing.T) {
	now := fixedClock()
	tokens := tokensAt(t, func() time.Time { return now })
	s := Session{ID: uuid.New(), AccountID: uuid.New(), TenantID: uuid.New(), Version: 1, ExpiresAt: now.Add(time.Hour).Truncate(time.Second)}
	raw, err := tokens.Issue(s)
	if err != nil {
		t.Fatal(err)
	}
	got, err := tokens.Verify(raw)
	if err != nil || got.ID != s.ID {
		t.Fatalf("first verify: %+v, %v", got, err)
	}
	if _, ok := tokens.verified.Get(raw); !ok {
		t.Fatal("a verified token is not cached")
	}
	if got, err := tokens.Verify(raw); err != nil || got.ID != s.ID || got.TenantID != s.TenantID {
		t.Fatalf("cached verify: %+v, %v", got, err)
	}

	// One character of the signature changed, well before its last (whose
	// low bits are padding that decoding ignores): always another
	// signature. Replacing the last two with "AA" left it the same in one
	// run of 256.
	i := len(raw) - 10
	c := byte('A')
	if raw[i] == c {
		c = 'B'
	}
	forged := raw[:i] + string(c) + raw[i+1:]
	if _, err := tokens.Verify(forged); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("forged token: %v", err)
	}
	if _, ok := tokens.verified.Get(forged); ok {
		t.Fatal("a token that did not verify was cached")
	}

	now = s.ExpiresAt.Add(Leeway)
	if _, err := tokens.Verify(raw); !errors.Is(err, ErrInvalidToken) {
		t.Fatalf("expired cached token: %v", err)
	}
	if _, ok := tokens.verified.Get(raw); ok {
		t.Fatal("an expired token stays cached")
	}
}

// The cache holds at most VerifiedTokens entries.
func TestVerifiedTokenCacheIsBounded(t *testing.T) {
	now := fixedClock()
	tokens := tokensAt(t, func() time.Time { return now })
	for range VerifiedTokens + 10 {
		raw, err := tokens.Issue(Session{ID: uuid.New(), AccountID: uuid.New(), Version: 1, ExpiresAt: now.Add(time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tokens.Verify(raw); err != nil {
			t.Fatal(err)
		}
	}
	if n := tokens.verified.Len(); n != VerifiedTokens {
		t.Fatalf("%d tokens cached, want %d", n, VerifiedTokens)
	}
}

// BenchmarkVerify compares a token's first verification (Ed25519) with
// its cached one.
func BenchmarkVerify(b *testing.B) {
	now := fixedClock()
	tokens := tokensAt(b, func() time.Time { return now })
	raw, err := tokens.Issue(Session{ID: uuid.New(), AccountID: uuid.New(), TenantID: uuid.New(), Version: 1, ExpiresAt: now.Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Signature", func(b *testing.B) {
		for b.Loop() {
			if _, err := tokens.verify(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Cached", func(b *testing.B) {
		for b.Loop() {
			if _, err := tokens.Verify(raw); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("TenantCookie", func(b *testing.B) {
		g := testSigner(b)
		v := g.Sign(TenantSig{TenantID: uuid.New(), AccountID: uuid.New(), SessionID: uuid.New(), ExpiresAt: now.Add(time.Hour)})
		for b.Loop() {
			if _, err := g.Verify(v); err != nil {
				b.Fatal(err)
			}
		}
	})
}
