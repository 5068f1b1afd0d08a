package jobs

import (
	"context"
	"log/slog"

	"github.com/riverqueue/river"

	"github.com/tenantkit/tenantkit/store"
)

// recurrenceWorker makes one tenant's due occurrences, in its scope.
type recurrenceWorker struct {
	river.WorkerDefaults[Recurrence]
	occurrences func(context.Context) (int, error)
	logger      *slog.Logger
}

func (w *recurrenceWorker) Work(ctx context.Context, _ *river.Job[Recurrence]) error {
	if w.occurrences == nil {
		return nil
	}
	n, err := w.occurrences(ctx)
	if err != nil {
		return err
	}
	if n > 0 {
		w.logger.InfoContext(ctx, "recurring requests made", slog.Int("occurrences", n))
	}
	return nil
}

// recurrenceFanOutWorker inserts one Recurrence per active tenant.
type recurrenceFanOutWorker struct {
	river.WorkerDefaults[RecurrenceFanOut]
	store  *store.Store
	logger *slog.Logger
}

func (w *recurrenceFanOutWorker) Work(ctx context.Context, _ *river.Job[RecurrenceFanOut]) error {
	n, err := FanOut(ctx, w.store, func(t Tenant) store.JobArgs { return Recurrence{Tenant: t} })
	w.logger.InfoContext(ctx, "recurrences queued", slog.Int("tenants", n))
	return err
}
