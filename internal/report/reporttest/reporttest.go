// Package reporttest is the error reporter's transport for tests: it keeps
// the events it is given, and nothing leaves the process.
package reporttest

import (
	"context"
	"sync"
	"time"

	"github.com/getsentry/sentry-go"
)

// Transport is a sentry.Transport that records events. Its zero value is
// ready to use.
type Transport struct {
	mu     sync.Mutex
	events []*sentry.Event
}

func (t *Transport) Configure(sentry.ClientOptions)        {}
func (t *Transport) Flush(time.Duration) bool              { return true }
func (t *Transport) FlushWithContext(context.Context) bool { return true }
func (t *Transport) Close()                                {}

// SendEvent records e.
func (t *Transport) SendEvent(e *sentry.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.events = append(t.events, e)
}

// Events returns the events sent so far.
func (t *Transport) Events() []*sentry.Event {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]*sentry.Event(nil), t.events...)
}
