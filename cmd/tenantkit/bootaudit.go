package main

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"github.com/tenantkit/tenantkit/audit"
	"github.com/tenantkit/tenantkit/store/schema"
)

// auditAtBoot runs the isolation audit on the database the app is about to
// serve, connected as the app role itself, and refuses to start on any
// finding: a schema that lost a policy, a FORCE flag or a composite key
// must not take traffic.
func auditAtBoot(ctx context.Context, appURL string, logger *slog.Logger) error {
	findings, err := audit.RunURL(ctx, appURL, audit.Config{AppRole: schema.AppRole, AllowGlobal: schema.GlobalTables})
	if err != nil {
		return fmt.Errorf("boot audit: %w", err)
	}
	if len(findings) == 0 {
		logger.InfoContext(ctx, "isolation audit clean")
		return nil
	}
	var b strings.Builder
	for _, f := range findings {
		fmt.Fprintf(&b, "\n  %s\n    fix: %s", f, strings.ReplaceAll(f.Fix, "\n", "\n         "))
	}
	return fmt.Errorf("refusing to start: the isolation audit found %d problem(s) in the database:%s", len(findings), b.String())
}
