package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgcluster"
	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/store/schema"
)

const (
	benchDatabase = "tenantkit"
	// baselineRole is variant b's login: the app role's grants, and
	// BYPASSRLS. It exists only in the bench's own throwaway cluster.
	baselineRole  = "tenantkit_bench_norls"
	benchPassword = "bench-password-1"
)

// database is the bench's throwaway cluster, migrated, with its URLs.
type database struct {
	cluster                          *pgcluster.Cluster
	appURL, baselineURL, platformURL string
	adminURL                         string
}

// startDatabase starts a throwaway cluster in dir, bootstraps and
// migrates it, and adds the baseline role.
func startDatabase(ctx context.Context, dir string, statements bool, log io.Writer) (*database, error) {
	settings := map[string]string{"max_connections": "200", "shared_buffers": "512MB"}
	if statements {
		settings["shared_preload_libraries"] = "pg_stat_statements"
		settings["pg_stat_statements.track"] = "all"
		settings["pg_stat_statements.track_planning"] = "on"
	}
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Ephemeral: true, Settings: settings})
	if err != nil {
		return nil, err
	}
	db := &database{cluster: c, adminURL: c.AdminURL(benchDatabase),
		appURL:      c.SocketURL(schema.AppRole, benchDatabase),
		baselineURL: c.SocketURL(baselineRole, benchDatabase),
		platformURL: c.SocketURL(schema.PlatformRole, benchDatabase)}
	if err := schema.Bootstrap(ctx, c.AdminURL("postgres"), schema.BootstrapOptions{Database: benchDatabase}); err != nil {
		_ = c.Stop()
		return nil, err
	}
	logger := slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := schema.Migrate(ctx, c.SocketURL(schema.OwnerRole, benchDatabase), logger); err != nil {
		_ = c.Stop()
		return nil, err
	}
	conn, err := pgx.Connect(ctx, db.adminURL)
	if err != nil {
		_ = c.Stop()
		return nil, err
	}
	defer conn.Close(ctx)
	for _, sql := range []string{
		"CREATE ROLE " + baselineRole + " LOGIN BYPASSRLS NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE " + schema.AppRole,
		"GRANT CONNECT ON DATABASE " + benchDatabase + " TO " + baselineRole,
		// The app role's settings (schema.Bootstrap).
		"ALTER ROLE " + baselineRole + " SET statement_timeout = '15s'",
		"ALTER ROLE " + baselineRole + " SET lock_timeout = '5s'",
		"ALTER ROLE " + baselineRole + " SET idle_in_transaction_session_timeout = '10s'",
	} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			_ = c.Stop()
			return nil, fmt.Errorf("%s: %w", sql, err)
		}
	}
	if statements {
		if _, err := conn.Exec(ctx, "CREATE EXTENSION pg_stat_statements"); err != nil {
			_ = c.Stop()
			return nil, err
		}
	}
	return db, nil
}

// printStatements writes the statements of the app and baseline roles
// that took PostgreSQL the most time, with their calls and mean time.
func (db *database) printStatements(ctx context.Context, w io.Writer) error {
	conn, err := pgx.Connect(ctx, db.adminURL)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT r.rolname, s.calls, s.total_exec_time, s.mean_exec_time, s.plans, s.mean_plan_time, s.rows, regexp_replace(left(s.query, 160), '\s+', ' ', 'g')
		FROM pg_stat_statements s JOIN pg_roles r ON r.oid = s.userid
		WHERE r.rolname IN ($1, $2) ORDER BY s.total_exec_time + s.total_plan_time DESC LIMIT 40`, schema.AppRole, baselineRole)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var role, query string
		var calls, plans, n int64
		var total, mean, meanPlan float64
		if err := rows.Scan(&role, &calls, &total, &mean, &plans, &meanPlan, &n, &query); err != nil {
			return err
		}
		fmt.Fprintf(w, "%-22s %8d calls %9.0f ms %7.3f ms/call, %8d plans %7.3f ms/plan, %8d rows  %.90s\n", role, calls, total, mean, plans, meanPlan, n, query)
	}
	return rows.Err()
}

// place is a seeded tenant as the load sees it.
type place struct {
	id       uuid.UUID
	slug     string
	services []uuid.UUID
}

// seedTenant is one owner the load signs in: the owner's account, the
// tenant it owns and the next one, where it is staff (switches go back
// and forth between the two).
type seedTenant struct {
	owner  uuid.UUID
	places [2]place
}

// seed fills the database deterministically: tenants bench-000001 … with
// an owner (owner@<slug>.test, who is also staff of the next tenant, for
// switches) and a client each, rows services and rows service requests
// per tenant. It returns the tenants whose owners the load signs in:
// sessions of them, spread evenly over all, with their service ids.
func seed(ctx context.Context, db *database, tenants, rows, sessions int) ([]seedTenant, time.Duration, error) {
	start := time.Now()
	hash, err := password.NewHasher(password.DefaultParams, password.Offline).Hash(ctx, benchPassword)
	if err != nil {
		return nil, 0, err
	}
	conn, err := pgx.Connect(ctx, db.adminURL)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close(ctx)
	steps := []struct {
		sql  string
		args []any
	}{
		{"SET synchronous_commit = off", nil},
		{"INSERT INTO tenants (slug, name) SELECT format('bench-%s', lpad(g::text, 6, '0')), format('Bench %s', g) FROM generate_series(1, $1) g", []any{tenants}},
		{"INSERT INTO accounts (email, password_hash) SELECT format('%s@%s.test', r, t.slug), CASE r WHEN 'owner' THEN $1 END FROM tenants t CROSS JOIN (VALUES ('owner'), ('client')) v(r)", []any{hash}},
		{"INSERT INTO members (tenant_id, account_id, role, display_name) SELECT t.id, a.id, r, initcap(r) || ' of ' || t.name FROM tenants t CROSS JOIN (VALUES ('owner'), ('client')) v(r) JOIN accounts a ON a.email = format('%s@%s.test', r, t.slug)", nil},
		// The owner of tenant n is also staff of tenant n+1 (the last of the first).
		{"INSERT INTO members (tenant_id, account_id, role, display_name) SELECT nt.id, a.id, 'staff', 'Neighbour of ' || nt.name FROM tenants t JOIN accounts a ON a.email = format('owner@%s.test', t.slug) JOIN tenants nt ON nt.slug = format('bench-%s', lpad((substr(t.slug, 7)::int % $1 + 1)::text, 6, '0')) WHERE nt.id <> t.id", []any{tenants}},
		{"UPDATE accounts a SET default_tenant_id = m.tenant_id FROM members m WHERE m.account_id = a.id AND m.role IN ('owner', 'client')", nil},
		{"INSERT INTO services (tenant_id, slug, name, description, duration_minutes, price_minor, currency) SELECT t.id, 'svc-' || g, 'Service ' || substr(md5(t.slug || g), 1, 12), 'Seeded for the benchmark.', 15 + g % 8 * 15, 1000 + g % 50 * 500, 'EUR' FROM tenants t CROSS JOIN generate_series(1, $1) g", []any{rows}},
		{"INSERT INTO service_requests (tenant_id, client_member_id, title, details, source, created_at, updated_at) SELECT t.id, m.id, 'Request ' || g, 'Seeded for the benchmark.', 'portal', timestamptz '2026-01-01' + g * interval '1 minute', timestamptz '2026-01-01' + g * interval '1 minute' FROM tenants t JOIN members m ON m.tenant_id = t.id AND m.role = 'client' CROSS JOIN generate_series(1, $1) g", []any{rows}},
		{"VACUUM (ANALYZE)", nil},
	}
	for _, s := range steps {
		if _, err := conn.Exec(ctx, s.sql, s.args...); err != nil {
			return nil, 0, fmt.Errorf("seed: %s: %w", s.sql, err)
		}
	}
	sessions = min(sessions, tenants)
	out := make([]seedTenant, 0, sessions)
	for i := range sessions {
		n := i*tenants/sessions + 1
		var st seedTenant
		for k, slug := range []string{fmt.Sprintf("bench-%06d", n), fmt.Sprintf("bench-%06d", n%tenants+1)} {
			p := place{slug: slug}
			if err := conn.QueryRow(ctx, "SELECT id FROM tenants WHERE slug = $1", slug).Scan(&p.id); err != nil {
				return nil, 0, err
			}
			r, err := conn.Query(ctx, "SELECT id FROM services WHERE tenant_id = $1", p.id)
			if err != nil {
				return nil, 0, err
			}
			if p.services, err = pgx.CollectRows(r, pgx.RowTo[uuid.UUID]); err != nil {
				return nil, 0, err
			}
			st.places[k] = p
		}
		err := conn.QueryRow(ctx, "SELECT id FROM accounts WHERE email = format('owner@%s.test', $1::text)", st.places[0].slug).Scan(&st.owner)
		if err != nil {
			return nil, 0, err
		}
		out = append(out, st)
	}
	return out, time.Since(start), nil
}
