package store_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/store"
)

// A flush of every tenant's usage is one write, whatever the number of
// tenants: the same round trips for 2 rows as for 200.
func TestWriteUsageIsOneStatement(t *testing.T) {
	var writes atomic.Int64
	f := setup(t, store.WithPlatformDialCounter(func() { writes.Add(1) }))
	ctx := context.Background()
	tenants := []uuid.UUID{f.Seeded["acme"].TenantID, f.Seeded["globex"].TenantID}
	minute := time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)
	rows := func(n int) []store.UsageRow {
		out := make([]store.UsageRow, 0, n)
		for i := range n {
			out = append(out, store.UsageRow{
				TenantID: tenants[i%2], Minute: minute.Add(time.Duration(i/2) * time.Minute),
				Requests: 10, ClientErrors: 2, ServerErrors: 1, Refused: 1, P50Ms: 5, P99Ms: 50, LatencyBuckets: []int64{0, 0, 5, 4, 0, 0, 1},
			})
		}
		return out
	}
	// The first flush also opens the platform pool's connection.
	if err := f.Store.WriteUsage(ctx, uuid.New(), rows(2)); err != nil {
		t.Fatal(err)
	}
	var trips []int64
	for _, n := range []int{2, 200} {
		before := writes.Load()
		if err := f.Store.WriteUsage(ctx, uuid.New(), rows(n)); err != nil {
			t.Fatal(err)
		}
		trips = append(trips, writes.Load()-before)
	}
	if trips[0] != trips[1] || trips[0] > 3 {
		t.Fatalf("round trips of a flush: %d for 2 rows, %d for 200; want the same, at most 3 (BEGIN with the audit row, the INSERT, COMMIT)", trips[0], trips[1])
	}
	t.Logf("a flush costs %d round trips for 2 rows and for 200", trips[0])
	if err := f.Store.WriteUsage(ctx, uuid.New(), nil); err != nil {
		t.Fatal(err)
	}
}
