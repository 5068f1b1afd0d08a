// Command tenantkit-bench measures tenantkit's whole server over HTTP
// against two baselines, on a throwaway PostgreSQL it seeds itself:
//
//	(a) the full stack: the application as `tenantkit serve` builds it;
//	(b) the same application over a store connected as a role that
//	    bypasses row security, so that only the explicit WHERE tenant_id
//	    of each query separates tenants (needs -tags tenantkit_bench;
//	    never reachable from serve);
//	(c) a floor: the same SQL, each request in one pgx batch with the
//	    tenant setting, under row security, with no authentication and no
//	    middleware.
//
// Each variant runs in its own child process (so that the CPU it reports
// is the server's alone), on the same database, interleaved round by
// round with the order rotated. The workload mixes a keyset page of 20
// services (50 %), one service by id (25 %), a create (10 %), an update
// (10 %) and a switch of organization with its redemption (5 %), over
// signed-in owners spread evenly across the tenants.
//
//	make bench
//	go run -tags tenantkit_bench ./cmd/tenantkit-bench -tenants 1000 -rows 1000 -out docs/BENCHMARKS.md
//
// It also measures sign-in (the sign-ins of the load's sessions) and what
// a flood of wrong passwords from many addresses does to the other
// tenants' latency (-flood), and, with -curve, the same rows over 10,
// 1,000 and 100,000 tenants.
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
	var err error
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		err = serve(ctx, os.Args[2:])
	} else {
		err = bench(ctx, os.Args[1:], os.Stdout, os.Stderr)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tenantkit-bench:", err)
		os.Exit(1)
	}
}
