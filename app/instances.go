package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/google/uuid"
)

// shareLimits keeps the server's per-tenant limits at 1/N of the
// configured ones, N the instances of the deployment that announced
// themselves within the time to live (three heartbeats), until ctx ends;
// then it removes this instance's announcement, so the others take their
// larger share at their next heartbeat. When a heartbeat fails the last
// share stays: the database being away for a while neither loosens nor
// tightens the limits. done is closed when it has returned.
func (a *App) shareLimits(ctx context.Context, done chan<- struct{}) {
	defer close(done)
	every := a.cfg.HeartbeatInterval
	ttl := 3 * every
	id := uuid.New()
	n := 0
	beat := func() {
		bctx, cancel := context.WithTimeout(ctx, every)
		defer cancel()
		live, err := a.Store.Heartbeat(bctx, id, ttl)
		if err != nil {
			if ctx.Err() == nil {
				a.logger.WarnContext(ctx, "instance heartbeat failed; keeping the last share of the limits",
					slog.Int("instances", n), slog.Any("error", err))
			}
			return
		}
		if live != n {
			a.logger.InfoContext(ctx, "per-tenant limits shared", slog.Int("instances", live))
			n = live
			a.Web.ShareLimits(n)
		}
	}
	beat()
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
			defer cancel()
			if err := a.Store.Leave(lctx, id); err != nil {
				a.logger.Warn("instance left without removing its heartbeat", slog.Any("error", err))
			}
			return
		case <-tick.C:
			beat()
		}
	}
}
