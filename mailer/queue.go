package mailer

import (
	"context"
	"errors"
	"log/slog"
	"sync"
)

// ErrQueueFull is returned by [Queue.Send] when the queue holds as many
// messages as it may: the message is dropped, not waited for.
var ErrQueueFull = errors.New("mail queue full")

// ErrQueueClosed is returned by [Queue.Send] after [Queue.Close].
var ErrQueueClosed = errors.New("mail queue closed")

// Queue is a Sender that hands messages to another Sender on a background
// worker. A request that mails (a password reset, an invitation, a public
// form's confirmation) answers without waiting on the mail server, so its
// answer takes the same time whether a message went out or not, and a slow
// mail server slows no request.
//
// A message keeps the values of the context it was sent with (the tenant
// and request ids for the log), not its cancellation. A message the
// delivery fails is logged and dropped: its recipient asks again.
type Queue struct {
	next   Sender
	logger *slog.Logger
	ch     chan queued

	mu      sync.Mutex
	closed  bool
	pending int           // queued or being delivered
	idle    chan struct{} // closed while pending is 0
	done    chan struct{}
}

type queued struct {
	ctx context.Context
	m   Message
}

// NewQueue returns a Queue of at most size waiting messages, delivered by
// next one at a time, and starts its worker. Close stops it.
func NewQueue(next Sender, size int, logger *slog.Logger) *Queue {
	q := &Queue{next: next, logger: logger, ch: make(chan queued, size), idle: make(chan struct{}), done: make(chan struct{})}
	close(q.idle)
	go q.work()
	return q
}

// Send queues m and returns at once.
func (q *Queue) Send(ctx context.Context, m Message) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.closed {
		return ErrQueueClosed
	}
	select {
	case q.ch <- queued{ctx: context.WithoutCancel(ctx), m: m}:
		if q.pending == 0 {
			q.idle = make(chan struct{})
		}
		q.pending++
		return nil
	default:
		return ErrQueueFull
	}
}

func (q *Queue) work() {
	defer close(q.done)
	for j := range q.ch {
		if err := q.next.Send(j.ctx, j.m); err != nil {
			q.logger.ErrorContext(j.ctx, "send mail", slog.String("subject", j.m.Subject), slog.Any("error", err))
		}
		q.mu.Lock()
		if q.pending--; q.pending == 0 {
			close(q.idle)
		}
		q.mu.Unlock()
	}
}

// Flush waits until every message queued before it was handed to the
// next Sender, or until ctx ends.
func (q *Queue) Flush(ctx context.Context) error {
	q.mu.Lock()
	idle := q.idle
	q.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Close stops taking messages and waits until the queued ones are
// delivered or ctx ends, whichever is first.
func (q *Queue) Close(ctx context.Context) error {
	q.mu.Lock()
	if !q.closed {
		q.closed = true
		close(q.ch)
	}
	q.mu.Unlock()
	select {
	case <-q.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
