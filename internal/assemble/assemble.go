// Package assemble builds the services the HTTP layer calls over one store.
// It is the single list of them: the command and every test that boots the
// server take it from here, so none of them can leave an area unwired.
package assemble

import (
	"log/slog"
	"time"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/idempotency"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/web"
)

// Deps returns the web layer's dependencies over st: the identity service
// a, the domain services reading the time from now, and cursors signed
// with cursorKey.
func Deps(st *store.Store, a *auth.Service, now func() time.Time, mail mailer.Sender, urls auth.URLs, cursorKey []byte, logger *slog.Logger) web.Deps {
	return web.Deps{
		DB:          st,
		Auth:        a,
		Catalog:     catalog.New(st, now),
		Settings:    settings.New(st),
		Idempotency: idempotency.New(st, now),
		Scheduling:  scheduling.New(st, now),
		Requests:    requests.New(st, requests.Config{Now: now, Mailer: mail, Link: urls.Tenant, Logger: logger}),
		CursorKey:   cursorKey,
		Logger:      logger,
	}
}
