package store

import (
	"context"
	"sync/atomic"
)

// CommitHook runs inside the next read-write tenant transaction of a
// context, as its last statement before COMMIT: what it records commits
// with that transaction's work or not at all. The web layer uses it to mark
// an idempotency key as committed atomically with the write it guards.
type CommitHook struct {
	fn  func(ctx context.Context, tx *Tx) error
	ran atomic.Bool
}

type commitHookKey struct{}

// WithCommitHook returns ctx carrying a hook that InTenant runs once, in
// the first transaction that commits.
func WithCommitHook(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) (context.Context, *CommitHook) {
	h := &CommitHook{fn: fn}
	return context.WithValue(ctx, commitHookKey{}, h), h
}

// Ran reports whether the hook ran in a transaction that committed.
func (h *CommitHook) Ran() bool { return h.ran.Load() }

func commitHookFrom(ctx context.Context) *CommitHook {
	h, _ := ctx.Value(commitHookKey{}).(*CommitHook)
	if h == nil || h.ran.Load() {
		return nil
	}
	return h
}
