package app

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/store/schema"
)

// The metrics of the parts the HTTP server does not see: the pool, the
// jobs and the mail. Every label is bounded (a pool state, a job kind, an
// outcome); none names a tenant.
type appMetrics struct {
	jobs     *prometheus.CounterVec
	jobTime  *prometheus.HistogramVec
	mail     *prometheus.CounterVec
	mailTime prometheus.Histogram
}

func newAppMetrics() *appMetrics {
	return &appMetrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_jobs_worked_total", Help: "Background jobs worked, by kind and outcome (ok, failed).",
		}, []string{"kind", "outcome"}),
		jobTime: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "tenantkit_job_duration_seconds", Help: "How long background jobs ran, by kind.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"kind"}),
		mail: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "tenantkit_mail_sent_total", Help: "Mail handed to the sender, by outcome (ok, failed).",
		}, []string{"outcome"}),
		mailTime: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "tenantkit_mail_send_duration_seconds", Help: "How long the sender took per message.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}),
	}
}

// collectors returns the metrics with the pool's gauges over st.
func (m *appMetrics) collectors(st *store.Store) []prometheus.Collector {
	pool := func(name, help string, f func(store.Stats) float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, func() float64 { return f(st.Stats()) })
	}
	return []prometheus.Collector{
		m.jobs, m.jobTime, m.mail, m.mailTime,
		pool("tenantkit_db_pool_acquired_connections", "App pool connections in use.", func(s store.Stats) float64 { return float64(s.AcquiredConns) }),
		pool("tenantkit_db_pool_idle_connections", "App pool connections idle.", func(s store.Stats) float64 { return float64(s.IdleConns) }),
		pool("tenantkit_db_pool_total_connections", "App pool connections open.", func(s store.Stats) float64 { return float64(s.TotalConns) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: "tenantkit_db_pool_dirty_connections_total", Help: "Pooled connections destroyed because they still named a tenant.",
		}, func() float64 { return float64(st.Stats().DirtyConnections) }),
	}
}

// observeJob is the job runner's Observe.
func (m *appMetrics) observeJob(kind string, d time.Duration, err error) {
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	m.jobs.WithLabelValues(kind, outcome).Inc()
	m.jobTime.WithLabelValues(kind).Observe(d.Seconds())
}

// countingSender counts and times what a sender delivers.
type countingSender struct {
	next    mailer.Sender
	metrics *appMetrics
}

func (c countingSender) Send(ctx context.Context, msg mailer.Message) error {
	start := time.Now()
	err := c.next.Send(ctx, msg)
	c.metrics.mailTime.Observe(time.Since(start).Seconds())
	outcome := "ok"
	if err != nil {
		outcome = "failed"
	}
	c.metrics.mail.WithLabelValues(outcome).Inc()
	return err
}

// migrations answers the readiness check's question: is the database at
// the binary's newest migration?
type migrations struct{ store *store.Store }

func (m migrations) MigrationVersions(ctx context.Context) (have, want int64, err error) {
	if want, err = schema.LatestVersion(); err != nil {
		return 0, 0, errors.Join(errors.New("embedded migrations"), err)
	}
	have, err = m.store.MigrationVersion(ctx)
	return have, want, err
}
