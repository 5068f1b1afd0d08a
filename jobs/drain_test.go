package jobs_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/jobs"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/scheduling"
)

// gate is a sender that holds each message until released, or until the
// job's context ends — except a booking's reminder, which it lets through
// (see confirmations): the tests hold the confirmation's job alone.
type gate struct {
	started chan struct{}
	release chan struct{}
	sent    recorder
}

func newGate() *gate { return &gate{started: make(chan struct{}, 16), release: make(chan struct{})} }

func (g *gate) Send(ctx context.Context, m mailer.Message) error {
	if isReminder(m) {
		return g.sent.Send(ctx, m)
	}
	g.started <- struct{}{}
	select {
	case <-g.release:
		return g.sent.Send(ctx, m)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// runner starts a runner over e's store that mails through sender.
func (e *env) runner(t *testing.T, sender mailer.Sender) *jobs.Runner {
	t.Helper()
	r, err := jobs.New(jobs.Config{
		Store: e.Store, Sender: sender, Now: func() time.Time { return now }, PurgeInterval: -1, PollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	return r
}

// confirmationJob confirms a pending booking of acme and returns the id of
// the mail job it inserted.
func (e *env) confirmationJob(t *testing.T) int64 {
	t.Helper()
	ctx := e.As(t.Context(), "acme", "staff")
	pending := e.booking(t, "acme", "pending")
	if _, err := scheduling.New(e.Store, func() time.Time { return now }).ConfirmBooking(ctx, pending); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := e.admin.QueryRow(t.Context(), "SELECT id FROM river.river_job WHERE kind = 'booking_confirmation_mail' AND args->>'booking_id' = $1",
		pending.String()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// confirmations are the messages r recorded but the booking's reminder:
// a booking confirmed inside its reminder window gets its reminder at
// once, a job of its own that any runner may or may not have worked by
// the time the test looks (as in TestConfirmingABookingMailsTheClient).
func confirmations(r *recorder) []mailer.Message {
	var out []mailer.Message
	for _, m := range r.messages() {
		if !isReminder(m) {
			out = append(out, m)
		}
	}
	return out
}

func isReminder(m mailer.Message) bool { return strings.Contains(m.Subject, "reminder") }

func (e *env) state(t *testing.T, id int64) string {
	t.Helper()
	var s string
	if err := e.admin.QueryRow(t.Context(), "SELECT state::text FROM river.river_job WHERE id = $1", id).Scan(&s); err != nil {
		t.Fatal(err)
	}
	return s
}

// At shutdown the worker drains: a job in progress finishes within the
// drain, and Stop returns once it has.
func TestStopLetsTheRunningJobFinish(t *testing.T) {
	e := setup(t)
	g := newGate()
	r := e.runner(t, g)
	id := e.confirmationJob(t)
	<-g.started
	stopped := make(chan error, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		stopped <- r.Stop(ctx)
	}()
	select {
	case err := <-stopped:
		t.Fatalf("Stop returned (%v) with a job in progress", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(g.release)
	if err := <-stopped; err != nil {
		t.Fatalf("stop: %v", err)
	}
	if st := e.state(t, id); st != "completed" {
		t.Fatalf("the job is %s after the drain, want completed", st)
	}
	if n := len(confirmations(&g.sent)); n != 1 {
		t.Fatalf("%d messages, want 1", n)
	}
}

// A job that outlasts the drain is cancelled and left to be worked again:
// the next runner finishes it, and the mail is sent once.
func TestAJobPastTheDrainIsLeftForRetry(t *testing.T) {
	e := setup(t)
	g := newGate()
	r := e.runner(t, g)
	id := e.confirmationJob(t)
	<-g.started
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_ = r.Stop(ctx) // the drain ends first: the job is cancelled
	if st := e.state(t, id); st == "completed" || st == "cancelled" || st == "discarded" {
		t.Fatalf("the interrupted job is %s: it would never run again", st)
	}
	if n := len(confirmations(&g.sent)); n != 0 {
		t.Fatalf("%d messages sent by an interrupted job", n)
	}
	// Retry without waiting for the backoff.
	if _, err := e.admin.Exec(t.Context(), "UPDATE river.river_job SET scheduled_at = now() WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	next := &recorder{}
	e.runner(t, next)
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("the retried job is %s", st)
	}
	if n := len(confirmations(next)); n != 1 {
		t.Fatalf("%d messages after the retry, want 1", n)
	}
}
