package password

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/tenant"
)

var testParams = Params{MemoryKiB: 1024, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

func TestHashAndVerify(t *testing.T) {
	h := NewHasher(testParams, Budget{Concurrency: 2, PerSecond: -1})
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
	h := NewHasher(testParams, Budget{Concurrency: 1, PerSecond: -1})
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

// Hashes start no faster than the budget's rate: forty at once get the
// burst and what the rate allows within the wait; the rest are refused at
// once, without a hash.
func TestHasherBoundsTheRate(t *testing.T) {
	const perSecond = 20
	h := NewHasher(testParams, Budget{Concurrency: 2, PerSecond: perSecond, Wait: 100 * time.Millisecond})
	start := time.Now()
	var admitted, refused atomic.Int64
	var wg sync.WaitGroup
	for range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.Verify(context.Background(), "x", "")
			switch {
			case err == nil:
				admitted.Add(1)
			case tenant.IsCode(err, tenant.CodeUnavailable):
				refused.Add(1)
			default:
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	if most := 2 + int64(perSecond*elapsed) + 1; admitted.Load() > most {
		t.Errorf("%d hashes in %.2fs: more than the burst of 2 and %d per second allow (%d)", admitted.Load(), elapsed, perSecond, most)
	}
	if refused.Load() == 0 {
		t.Errorf("40 hashes at once, %d admitted in %.2fs, none refused: the rate is not bounded", admitted.Load(), elapsed)
	}
}

// A known device's lane is its own: with the budget spent, it still
// verifies at once.
func TestKnownDevicesHaveTheirOwnLane(t *testing.T) {
	h := NewHasher(testParams, Budget{Concurrency: 1, PerSecond: 0.01, Wait: 10 * time.Millisecond})
	ctx := context.Background()
	if _, err := h.Verify(ctx, "x", ""); err != nil {
		t.Fatal(err) // the burst
	}
	if _, err := h.Verify(ctx, "x", ""); !tenant.IsCode(err, tenant.CodeUnavailable) {
		t.Fatalf("with the budget spent: %v, want unavailable", err)
	}
	turn, err := h.Turn(ctx, true)
	if err != nil {
		t.Fatalf("known device with the budget spent: %v", err)
	}
	turn.Done()
}

// By default the rate is what a tenth of the CPUs affords at the measured
// cost of one hash: finite, and lower for dearer parameters.
func TestDefaultRateFollowsTheCostOfAHash(t *testing.T) {
	cheap := NewHasher(Params{MemoryKiB: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}, Budget{})
	dear := NewHasher(Params{MemoryKiB: 32 * 1024, Iterations: 2, Parallelism: 1, SaltLen: 16, KeyLen: 32}, Budget{})
	if r := dear.PerSecond(); r <= 0 || r >= cheap.PerSecond() {
		t.Errorf("default rates: %.1f/s for 32 MiB × 2, %.1f/s for 64 KiB: want the dearer lower, both positive", r, cheap.PerSecond())
	}
}
