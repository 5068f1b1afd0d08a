// Package ratelimit limits events per key (an email, a client address, a
// tenant) with token buckets from golang.org/x/time/rate, keeping at most a
// fixed number of keys: the least recently used bucket is dropped first, so
// a flood of distinct keys costs bounded memory.
//
// Limits are per process. Behind a load balancer each instance limits on its
// own, which bounds an attacker by the number of instances times the limit.
package ratelimit

import (
	"container/list"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Limiter limits events per key.
type Limiter struct {
	every time.Duration
	burst int
	max   int

	mu    sync.Mutex
	lru   *list.List
	items map[string]*list.Element
	now   func() time.Time
}

type entry struct {
	key string
	lim *rate.Limiter
}

// New returns a Limiter allowing burst events at once and one more every
// interval, per key, for at most maxKeys keys.
func New(every time.Duration, burst, maxKeys int) *Limiter {
	return &Limiter{every: every, burst: burst, max: maxKeys, lru: list.New(), items: map[string]*list.Element{}, now: time.Now}
}

// Allow reports whether an event for key may happen now and, if not, how
// long until one may. An allowed event is counted.
func (l *Limiter) Allow(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	r := l.bucket(key).ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// SetLimit changes the interval and burst of every key, the keys already
// seen included: tokens a bucket holds beyond the new burst are dropped.
// It walks every bucket, so it is meant for rare changes, such as the
// number of instances that share a limit.
func (l *Limiter) SetLimit(every time.Duration, burst int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if every == l.every && burst == l.burst {
		return
	}
	l.every, l.burst = every, burst
	now := l.now()
	for el := l.lru.Front(); el != nil; el = el.Next() {
		lim := el.Value.(*entry).lim
		lim.SetLimitAt(now, rate.Every(every))
		lim.SetBurstAt(now, burst)
	}
}

// Blocked reports whether an event for key would be refused now and, if
// so, how long until it would not, without counting one. With Allow after
// the fact it limits only some events, such as failed sign-ins: check
// Blocked first, and count with Allow the attempts that failed.
func (l *Limiter) Blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	tokens := l.bucket(key).TokensAt(now)
	if tokens >= 1 {
		return false, 0
	}
	return true, time.Duration((1 - tokens) * float64(l.every))
}

// bucket returns the token bucket of key, creating it (and dropping the
// least recently used one beyond the bound) if needed. l.mu must be held.
func (l *Limiter) bucket(key string) *rate.Limiter {
	if el, ok := l.items[key]; ok {
		l.lru.MoveToFront(el)
		return el.Value.(*entry).lim
	}
	lim := rate.NewLimiter(rate.Every(l.every), l.burst)
	l.items[key] = l.lru.PushFront(&entry{key: key, lim: lim})
	if l.lru.Len() > l.max {
		oldest := l.lru.Back()
		l.lru.Remove(oldest)
		delete(l.items, oldest.Value.(*entry).key)
	}
	return lim
}
