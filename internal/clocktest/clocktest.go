// Package clocktest is the clock of tests: it reads an instant the test
// chose, not today's date, so no test depends on the day, the hour or the
// time zone it runs in.
//
// Time moves only when the test moves it ([Clock.Set], [Clock.Advance]),
// except that every reading is one microsecond after the one before: rows
// written one after another keep their order, as they would with a real
// clock, and a test that sets an instant reads exactly that instant plus a
// few microseconds.
package clocktest

import (
	"sync"
	"time"
)

// Clock is a settable clock. Its zero value is not usable: call [New].
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// New returns a clock whose next reading is at (plus a microsecond).
func New(at time.Time) *Clock { return &Clock{now: at.Truncate(time.Microsecond)} }

// Now returns the clock's time and moves it on by a microsecond.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(time.Microsecond)
	return c.now
}

// Peek returns the clock's time without moving it.
func (c *Clock) Peek() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to at, forwards or back.
func (c *Clock) Set(at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = at.Truncate(time.Microsecond)
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
