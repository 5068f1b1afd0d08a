package store

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/store/internal/platformdb"
)

// UsageRow is one tenant's usage of one minute on one instance (see
// package usage): its request counts, latency quantiles and the counts of
// the fixed latency buckets.
type UsageRow = TenantUsage

// WriteUsage writes rows, every tenant's, on the audited platform path:
// one transaction, whose audit row names the flush, and one INSERT for all
// the rows — one write per flush, whatever the number of tenants. Nothing
// is sent when rows is empty.
func (s *Store) WriteUsage(ctx context.Context, instanceID uuid.UUID, rows []UsageRow) error {
	if len(rows) == 0 {
		return nil
	}
	p := platformdb.InsertUsageParams{
		InstanceID: instanceID,
		TenantIds:  make([]uuid.UUID, len(rows)), Minutes: make([]time.Time, len(rows)),
		Requests: make([]int64, len(rows)), ClientErrors: make([]int64, len(rows)), ServerErrors: make([]int64, len(rows)),
		Refused: make([]int64, len(rows)), P50Ms: make([]float64, len(rows)), P99Ms: make([]float64, len(rows)),
		Buckets: make([]string, len(rows)),
	}
	tenants := map[uuid.UUID]struct{}{}
	for i, r := range rows {
		p.TenantIds[i], p.Minutes[i] = r.TenantID, r.Minute
		p.Requests[i], p.ClientErrors[i], p.ServerErrors[i], p.Refused[i] = r.Requests, r.ClientErrors, r.ServerErrors, r.Refused
		p.P50Ms[i], p.P99Ms[i] = r.P50Ms, r.P99Ms
		p.Buckets[i] = arrayLiteral(r.LatencyBuckets)
		tenants[r.TenantID] = struct{}{}
	}
	op := PlatformOp{
		Actor: "system:usage", Action: "usage.flush",
		Reason: "an instance writes the per-tenant usage it measured, every tenant's in one statement",
		Detail: map[string]any{"rows": len(rows), "tenants": len(tenants), "instance_id": instanceID.String()},
	}
	return s.InPlatform(ctx, op, func(tx *PlatformTx) error {
		_, err := tx.InsertUsage(ctx, p)
		return err
	})
}

// arrayLiteral writes counts as a PostgreSQL array literal: {1,2,3}.
func arrayLiteral(counts []int64) string {
	var b strings.Builder
	b.WriteByte('{')
	for i, c := range counts {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(c, 10))
	}
	b.WriteByte('}')
	return b.String()
}

// MigrationVersion returns the version of the newest migration applied to
// the database (goose's table, readable by the app role since migration
// 00019), for the readiness check.
func (s *Store) MigrationVersion(ctx context.Context) (int64, error) {
	conn, err := s.acquire(ctx, s.app)
	if err != nil {
		return 0, translate(err)
	}
	defer conn.Release()
	var v int64
	err = conn.QueryRow(ctx, "SELECT coalesce(max(version_id), 0) FROM goose_db_version WHERE is_applied").Scan(&v)
	return v, translate(err)
}
