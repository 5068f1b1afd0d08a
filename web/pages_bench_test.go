package web_test

import (
	"slices"
	"testing"
	"time"
)

// BenchmarkWorkspacePages renders the dashboard and the week calendar of a
// tenant with 10,000 bookings and 5,000 requests, through the whole
// server (HTTP, binding, the services, PostgreSQL as the app role), and
// reports the median and the 99th percentile of each page.
//
//	go test -run '^$' -bench WorkspacePages -benchtime 300x ./web/
func BenchmarkWorkspacePages(b *testing.B) {
	e := newEnv(b)
	e.seedVolume(b, "acme", 10_000, 5_000)
	owner := e.login("acme", "owner@acme.test")
	for _, page := range []string{"/app", "/app/bookings", "/app/requests", "/app/services"} {
		b.Run(page, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				start := time.Now()
				r := e.page("GET", "acme", page, owner, nil)
				took = append(took, time.Since(start))
				if r.Status != 200 {
					b.Fatalf("%s: %d", page, r.Status)
				}
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

// seedVolume gives tenant slug bookings (ten a day for each of two staff
// members, around the test's today) and requests, as the database owner.
func (e *env) seedVolume(tb testing.TB, slug string, bookings, requests int) {
	tb.Helper()
	conn := e.admin()
	ctx := tb.Context()
	tid := e.seeded[slug].TenantID
	staff := []string{e.seeded[slug].Members["staff"].ID.String(), e.seeded[slug].Members["consultant"].ID.String()}
	client := e.seeded[slug].Members["client"].ID
	days := bookings / 20
	start := time.Date(e.now().Year(), e.now().Month(), e.now().Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -days/2)
	// Ten fifty-minute bookings a day for each, from 02:00 UTC: the night
	// of the demo's zone, clear of its own bookings.
	if _, err := conn.Exec(ctx, `
		INSERT INTO bookings (tenant_id, service_id, staff_member_id, client_member_id, starts_at, ends_at, status, cancelled_at,
		                      cancellation_notice_minutes, reschedule_notice_minutes, price_minor, currency)
		SELECT $1, (SELECT id FROM services WHERE tenant_id = $1 ORDER BY name LIMIT 1), staff, $4, at, at + interval '50 minutes',
		       status, CASE WHEN status = 'cancelled' THEN at END, 0, 0, 10000, 'USD'
		FROM (SELECT (ARRAY[$2, $3]::uuid[])[1 + (i / 10) % 2] AS staff,
		             $5::timestamptz + (i / 20) * interval '1 day' + (2 + i % 10) * interval '1 hour' AS at,
		             (ARRAY['confirmed', 'pending', 'completed', 'cancelled'])[1 + i % 4] AS status
		      FROM generate_series(0, $6 - 1) AS i) AS g`,
		tid, staff[0], staff[1], client, start, bookings); err != nil {
		tb.Fatalf("seed bookings: %v", err)
	}
	if _, err := conn.Exec(ctx, `
		INSERT INTO service_requests (tenant_id, client_member_id, title, status, source, created_at)
		SELECT $1, $2, 'Volume request ' || i,
		       (ARRAY['submitted', 'in_review', 'approved', 'scheduled', 'in_progress', 'completed', 'cancelled'])[1 + i % 7],
		       'portal', $3::timestamptz - i * interval '1 hour'
		FROM generate_series(1, $4) AS i`, tid, client, e.now(), requests); err != nil {
		tb.Fatalf("seed requests: %v", err)
	}
	if _, err := conn.Exec(ctx, "ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	var nb, nr int
	if err := conn.QueryRow(ctx, "SELECT (SELECT count(*) FROM bookings WHERE tenant_id = $1), (SELECT count(*) FROM service_requests WHERE tenant_id = $1)", tid).Scan(&nb, &nr); err != nil {
		tb.Fatal(err)
	}
	if nb < bookings || nr < requests {
		tb.Fatalf("seeded %d bookings and %d requests", nb, nr)
	}
}
