package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/store/schema"
)

// Config configures a Runner.
type Config struct {
	// Store is the path the work takes: tenant transactions as the app
	// role, and the audited platform path for account-level purges; and
	// River's own bookkeeping, on its jobs role's pool (store.Config.JobsURL,
	// required). Required.
	Store *store.Store
	// Sender delivers the mail jobs send. A failed delivery fails the job,
	// which River retries. Required.
	Sender mailer.Sender
	// Now is the clock: what has expired is decided by it. Defaults to
	// time.Now.
	Now func() time.Time
	// Logger receives the workers' and River's events. Defaults to one
	// that discards.
	Logger *slog.Logger
	// Workers is how many jobs run at once. Defaults to 4.
	Workers int
	// PurgeInterval is how often the purges run (and once at start).
	// Defaults to 1h; negative: never (tests).
	PurgeInterval time.Duration
	// Occurrences makes the due occurrences of the recurring service
	// requests of the tenant of its context's scope and returns how many
	// it made (requests.Service.MakeDueOccurrences). Defaults to none:
	// recurrence jobs then do nothing.
	Occurrences func(context.Context) (int, error)
	// RecurrenceInterval is how often the recurrence fan-out runs (and
	// once at start). Defaults to 1h; negative: never (tests).
	RecurrenceInterval time.Duration
	// PollInterval is how often River looks for jobs besides its
	// notifications. Defaults to River's (1s).
	PollInterval time.Duration
	// Observe, when set, is told of every job worked: its kind, how long
	// it ran and its error (nil when it succeeded), for metrics.
	Observe func(kind string, d time.Duration, err error)
}

// Runner works the jobs: a River client on the jobs role's pool with
// tenantkit's workers and the scope middleware.
type Runner struct {
	store   *store.Store
	client  *river.Client[pgx.Tx]
	logger  *slog.Logger
	started atomic.Bool
}

// New builds the River client over the store's jobs pool; Start begins
// working.
func New(cfg Config) (*Runner, error) {
	if cfg.Store == nil || cfg.Sender == nil {
		return nil, errors.New("jobs: Store and Sender are required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 4
	}
	if cfg.PurgeInterval == 0 {
		cfg.PurgeInterval = time.Hour
	}
	if cfg.RecurrenceInterval == 0 {
		cfg.RecurrenceInterval = time.Hour
	}
	driver, err := cfg.Store.JobDriver()
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &confirmationWorker{store: cfg.Store, sender: cfg.Sender, now: cfg.Now, logger: cfg.Logger})
	river.AddWorker(workers, &changeWorker{store: cfg.Store, sender: cfg.Sender, now: cfg.Now, logger: cfg.Logger})
	river.AddWorker(workers, &reminderWorker{store: cfg.Store, sender: cfg.Sender, now: cfg.Now, logger: cfg.Logger})
	river.AddWorker(workers, &staffMailWorker{store: cfg.Store, sender: cfg.Sender, now: cfg.Now, logger: cfg.Logger})
	river.AddWorker(workers, &recurrenceWorker{occurrences: cfg.Occurrences, logger: cfg.Logger})
	river.AddWorker(workers, &recurrenceFanOutWorker{store: cfg.Store, logger: cfg.Logger})
	river.AddWorker(workers, &purgeWorker{store: cfg.Store, now: cfg.Now, logger: cfg.Logger})
	river.AddWorker(workers, &fanOutWorker{store: cfg.Store, logger: cfg.Logger})
	river.AddWorker(workers, &purgeAccountsWorker{store: cfg.Store, now: cfg.Now, logger: cfg.Logger})
	rc := &river.Config{
		Schema:     schema.RiverSchema,
		Logger:     cfg.Logger,
		Queues:     map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:    workers,
		Middleware: []rivertype.Middleware{&observeMiddleware{observe: cfg.Observe}, &scopeMiddleware{store: cfg.Store, logger: cfg.Logger}},
	}
	if cfg.PollInterval > 0 {
		rc.FetchPollInterval = cfg.PollInterval
		rc.FetchCooldown = min(cfg.PollInterval, 100*time.Millisecond)
	}
	if cfg.PurgeInterval > 0 {
		opts := &river.PeriodicJobOpts{RunOnStart: true}
		rc.PeriodicJobs = []*river.PeriodicJob{
			river.NewPeriodicJob(river.PeriodicInterval(cfg.PurgeInterval),
				func() (river.JobArgs, *river.InsertOpts) { return PurgeFanOut{}, nil }, opts),
			river.NewPeriodicJob(river.PeriodicInterval(cfg.PurgeInterval),
				func() (river.JobArgs, *river.InsertOpts) { return PurgeAccounts{}, nil }, opts),
		}
	}
	if cfg.RecurrenceInterval > 0 {
		rc.PeriodicJobs = append(rc.PeriodicJobs, river.NewPeriodicJob(river.PeriodicInterval(cfg.RecurrenceInterval),
			func() (river.JobArgs, *river.InsertOpts) { return RecurrenceFanOut{}, nil }, &river.PeriodicJobOpts{RunOnStart: true}))
	}
	client, err := river.NewClient(driver, rc)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	return &Runner{store: cfg.Store, client: client, logger: cfg.Logger}, nil
}

// Start begins fetching and working jobs, and running the periodic ones,
// until Stop.
func (r *Runner) Start(ctx context.Context) error {
	if err := r.client.Start(ctx); err != nil {
		return fmt.Errorf("jobs: start: %w", err)
	}
	r.started.Store(true)
	return nil
}

// Stop stops fetching, waits for the jobs in progress until ctx ends, then
// cancels them (River puts them back to be worked again).
func (r *Runner) Stop(ctx context.Context) error {
	if !r.started.Swap(false) {
		return nil
	}
	err := r.client.Stop(ctx)
	if err != nil && ctx.Err() != nil {
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		err = r.client.StopAndCancel(cctx)
	}
	return err
}

// Close stops the runner if it still runs (cancelling the jobs in
// progress, which go back to be worked again), waiting for them at most
// until ctx ends. The store, and its jobs pool, stay open.
func (r *Runner) Close(ctx context.Context) {
	if r.started.Swap(false) {
		_ = r.client.StopAndCancel(ctx)
	}
}
