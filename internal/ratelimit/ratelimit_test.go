package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(time.Minute, 3, 2)
	l.now = func() time.Time { return now }
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d within the burst refused", i)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait <= 0 || wait > time.Minute {
		t.Fatalf("over the burst: ok=%v wait=%v", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key is limited by the first")
	}
	now = now.Add(time.Minute)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("a token did not come back after the interval")
	}
}

// Blocked looks without counting: only the events counted with Allow use
// up the burst.
func TestLimiterBlockedCountsNothing(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(time.Minute, 2, 10)
	l.now = func() time.Time { return now }
	for range 10 {
		if blocked, _ := l.Blocked("a"); blocked {
			t.Fatal("looking used up the burst")
		}
	}
	l.Allow("a")
	l.Allow("a")
	blocked, wait := l.Blocked("a")
	if !blocked || wait <= 0 || wait > time.Minute {
		t.Fatalf("after the burst: blocked=%v wait=%v", blocked, wait)
	}
	now = now.Add(time.Minute)
	if blocked, _ := l.Blocked("a"); blocked {
		t.Fatal("still blocked after the interval")
	}
}

func TestLimiterMemoryIsBounded(t *testing.T) {
	l := New(time.Minute, 1, 100)
	for i := range 10000 {
		l.Allow(fmt.Sprint(i))
	}
	if len(l.items) != 100 || l.lru.Len() != 100 {
		t.Fatalf("%d keys kept", len(l.items))
	}
}

// SetLimit changes the buckets already in use as well as new ones.
func TestLimiterSetLimit(t *testing.T) {
	now := time.Unix(1000, 0)
	l := New(time.Second, 10, 10)
	l.now = func() time.Time { return now }
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("first event refused")
	}
	l.SetLimit(2*time.Second, 2)
	for _, key := range []string{"a", "b"} {
		allowed := 0
		for range 10 {
			if ok, _ := l.Allow(key); ok {
				allowed++
			}
		}
		if allowed != 2 {
			t.Fatalf("%s: %d events allowed at once after the burst became 2", key, allowed)
		}
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); ok {
		t.Fatal("a token came back after 1s at one per 2s")
	}
	now = now.Add(time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("no token after 2s at one per 2s")
	}
}
