package password

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/tenant"
)

var testParams = Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(testParams, 2)
	ctx := context.Background()
	enc, err := h.Hash(ctx, "correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("encoding: %s", enc)
	}
	for _, tc := range []struct {
		name, password, encoded string
		ok                      bool
		wantErr                 bool
	}{
		{"RightPassword", "correct horse battery staple", enc, true, false},
		{"WrongPassword", "correct horse battery stapl", enc, false, false},
		{"NoHash", "anything", "", false, false},
		{"Malformed", "x", "$argon2id$v=19$m=1024$abc", false, true},
		{"OtherAlgorithm", "x", "$2a$10$abcdefghijklmnopqrstuv", false, true},
		{"HugeMemoryRefused", "x", "$argon2id$v=19$m=99999999,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaA", false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := h.Verify(ctx, tc.password, tc.encoded)
			if ok != tc.ok || (err != nil) != tc.wantErr {
				t.Fatalf("Verify = %v, %v", ok, err)
			}
		})
	}
	other, _ := h.Hash(ctx, "correct horse battery staple")
	if other == enc {
		t.Fatal("two hashes of one password are equal: the salt is not random")
	}
}

// With every slot taken, a caller waits only as long as its context allows,
// then gets CodeUnavailable: a login flood cannot starve the process.
func TestHasherBoundsConcurrency(t *testing.T) {
	h := NewHasher(testParams, 1)
	h.slots <- struct{}{} // occupy the only slot
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := h.Verify(ctx, "x", "")
	if !tenant.IsCode(err, tenant.CodeUnavailable) {
		t.Fatalf("want unavailable, got %v", err)
	}
	<-h.slots
	if _, err := h.Verify(context.Background(), "x", ""); err != nil {
		t.Fatal(err)
	}
}
