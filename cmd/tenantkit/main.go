// Command tenantkit runs the tenantkit platform: `dev` for the demo on a
// managed local PostgreSQL, `serve` for production, and the operator tools.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tenantkit:", err)
		os.Exit(exitCode(err))
	}
}
