package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store/schema"
)

// auditAtBoot runs the isolation audit on the database the app is about to
// serve, connected as the app role itself, and refuses to start on any
// finding: a schema that lost a policy, a FORCE flag or a composite key,
// or an app or platform role that can become more than it is, must not
// take traffic.
func auditAtBoot(ctx context.Context, appURL string, logger *slog.Logger) error {
	r, err := schemaaudit.ReportURL(ctx, appURL, schemaaudit.Config{
		AppRole: schema.AppRole, PlatformRole: schema.PlatformRole, AllowGlobal: schema.GlobalTables,
		AllowSchemas: schema.AllowedSchemas,
	})
	if err != nil {
		return fmt.Errorf("boot audit: %w", err)
	}
	if r.Clean() {
		logger.InfoContext(ctx, "isolation audit clean", slog.Int("tenant_tables", len(r.TenantTables)))
		return nil
	}
	var b strings.Builder
	_ = r.WriteText(&b)
	return fmt.Errorf("refusing to start: the isolation audit found problems in the database:\n\n%s", b.String())
}
