// Package schema owns tenantkit's database schema: the bootstrap step that
// creates the four database roles and the database, and the numbered SQL
// migrations, embedded in the binary and run as the owner role with goose.
//
// # Roles
//
//   - [OwnerRole] owns the database and every object in it and runs the
//     migrations. Row security is forced on tenant tables, so the owner reads
//     no tenant rows either.
//   - [AppRole] carries every request and job. It is not a superuser, has no
//     BYPASSRLS, owns nothing, holds no TRUNCATE, REFERENCES, CREATE or
//     TEMPORARY privilege, and every tenant-owned table restricts it to the
//     tenant named by the transaction-local setting app.current_tenant_id.
//   - [PlatformRole] carries the audited cross-tenant operations
//     (provisioning, login on the apex host, the platform console), on a pool
//     of its own.
//   - [JobsRole] is River's: it fetches, completes and schedules the jobs
//     of the river schema ([RiverSchema]) and reaches no other table. The
//     work a job does runs as the app role, in the job's tenant.
//
// Roles are created by [Bootstrap], which needs a superuser (or a role with
// CREATEROLE and CREATEDB); migrations only GRANT to them.
package schema

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// The database roles. The names are fixed: the migrations grant to them.
const (
	OwnerRole    = "tenantkit_owner"
	AppRole      = "tenantkit_app"
	PlatformRole = "tenantkit_platform"
	JobsRole     = "tenantkit_jobs"
)

// TenantSetting is the transaction-local setting that names the current
// tenant for row security.
const TenantSetting = "app.current_tenant_id"

// AccountSetting is the transaction-local setting that names the acting
// account for the row security of accounts.
const AccountSetting = "app.current_account_id"

//go:embed migrations/*.sql
var migrations embed.FS

// Migrations returns the embedded migration files.
func Migrations() fs.FS {
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		panic(err)
	}
	return sub
}

// LatestVersion returns the version of the newest embedded migration: a
// database is current when goose has applied it.
func LatestVersion() (int64, error) {
	entries, err := fs.ReadDir(Migrations(), ".")
	if err != nil {
		return 0, err
	}
	var latest int64
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		if !ok || !strings.HasSuffix(e.Name(), ".sql") {
			continue
		}
		v, err := strconv.ParseInt(num, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("migration %s: %w", e.Name(), err)
		}
		latest = max(latest, v)
	}
	return latest, nil
}

// BootstrapOptions configure Bootstrap.
type BootstrapOptions struct {
	// Database is the database to create (if missing), owned by OwnerRole.
	Database string
	// Passwords of the roles. An empty password leaves the role's password
	// as it is (a new role then has none and can log in only where the
	// server trusts the connection, such as a managed cluster's socket).
	OwnerPassword, AppPassword, PlatformPassword, JobsPassword string
}

// roleAttributes are enforced on every bootstrap, so a role that drifted
// (gained SUPERUSER or BYPASSRLS by hand) is put back.
const roleAttributes = "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS"

// roleSettings are per-role server settings: the request path fails fast
// instead of waiting on locks, and an abandoned transaction is ended.
var roleSettings = map[string][][2]string{
	AppRole: {
		{"statement_timeout", "15s"},
		{"lock_timeout", "5s"},
		{"idle_in_transaction_session_timeout", "10s"},
	},
	PlatformRole: {
		{"statement_timeout", "60s"},
		{"lock_timeout", "5s"},
		{"idle_in_transaction_session_timeout", "30s"},
	},
	JobsRole: {
		{"statement_timeout", "60s"},
		{"lock_timeout", "5s"},
		{"idle_in_transaction_session_timeout", "30s"},
	},
}

// Bootstrap creates (or repairs) the four roles and the database, using
// adminURL, a connection as a superuser or a role with CREATEROLE and
// CREATEDB. It is idempotent.
func Bootstrap(ctx context.Context, adminURL string, opts BootstrapOptions) error {
	if opts.Database == "" {
		return errors.New("bootstrap: database name required")
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return fmt.Errorf("connect as admin: %w", err)
	}
	defer conn.Close(ctx)

	for _, r := range []struct{ name, password string }{
		{OwnerRole, opts.OwnerPassword},
		{AppRole, opts.AppPassword},
		{PlatformRole, opts.PlatformPassword},
		{JobsRole, opts.JobsPassword},
	} {
		if err := ensureRole(ctx, conn, r.name, r.password); err != nil {
			return err
		}
	}
	return EnsureDatabase(ctx, conn, opts.Database)
}

// EnsureDatabase creates database name owned by OwnerRole if it is missing,
// and sets its privileges: no role may create temporary tables (a temporary
// table can shadow a real one through search_path) and only the app,
// platform and jobs roles may connect besides the owner. Database privileges are not
// copied from a template, so a database cloned from one needs this too.
func EnsureDatabase(ctx context.Context, conn *pgx.Conn, name string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up database: %w", err)
	}
	if !exists {
		if err := execFormatted(ctx, conn, "CREATE DATABASE %I OWNER %I", name, OwnerRole); err != nil {
			return fmt.Errorf("create database: %w", err)
		}
	}
	if err := execFormatted(ctx, conn, "ALTER DATABASE %I OWNER TO %I", name, OwnerRole); err != nil {
		return fmt.Errorf("set database owner: %w", err)
	}
	if err := execFormatted(ctx, conn, "REVOKE ALL ON DATABASE %I FROM PUBLIC", name); err != nil {
		return fmt.Errorf("revoke database privileges: %w", err)
	}
	if err := execFormatted(ctx, conn, "GRANT CONNECT ON DATABASE %I TO %I, %I, %I", name, AppRole, PlatformRole, JobsRole); err != nil {
		return fmt.Errorf("grant connect: %w", err)
	}
	return nil
}

func ensureRole(ctx context.Context, conn *pgx.Conn, name, password string) error {
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", name).Scan(&exists); err != nil {
		return fmt.Errorf("look up role %s: %w", name, err)
	}
	if !exists {
		// Two bootstraps may race (test processes sharing a server): a
		// duplicate is fine.
		if err := execFormatted(ctx, conn, "CREATE ROLE %I", name); err != nil && !isDuplicate(err) {
			return fmt.Errorf("create role %s: %w", name, err)
		}
	}
	if err := execFormatted(ctx, conn, "ALTER ROLE %I "+roleAttributes, name); err != nil {
		return fmt.Errorf("alter role %s: %w", name, err)
	}
	if password != "" {
		if err := execFormatted(ctx, conn, "ALTER ROLE %I PASSWORD %L", name, password); err != nil {
			return fmt.Errorf("set password of %s: %w", name, err)
		}
	}
	for _, s := range roleSettings[name] {
		if err := execFormatted(ctx, conn, "ALTER ROLE %I SET %I = %L", name, s[0], s[1]); err != nil {
			return fmt.Errorf("set %s for %s: %w", s[0], name, err)
		}
	}
	return nil
}

func isDuplicate(err error) bool {
	var pgErr interface{ SQLState() string }
	return errors.As(err, &pgErr) && (pgErr.SQLState() == "42710" || pgErr.SQLState() == "23505")
}

// execFormatted runs a utility statement whose identifiers and literals are
// quoted by the server's format() (utility statements take no parameters).
func execFormatted(ctx context.Context, conn *pgx.Conn, format string, args ...any) error {
	placeholders := "$1"
	for i := range args {
		placeholders += fmt.Sprintf(", $%d::text", i+2)
	}
	var stmt string
	if err := conn.QueryRow(ctx, "SELECT format("+placeholders+")", append([]any{format}, args...)...).Scan(&stmt); err != nil {
		return err
	}
	_, err := conn.Exec(ctx, stmt)
	return err
}

// Migrate applies every pending migration, connected with ownerURL. It
// refuses to run as a superuser or a role with BYPASSRLS: objects it creates
// would belong to that role, and the owner must not skip row security.
func Migrate(ctx context.Context, ownerURL string, logger *slog.Logger) error {
	cfg, err := pgx.ParseConfig(ownerURL)
	if err != nil {
		return fmt.Errorf("parse owner url: %w", err)
	}
	db := stdlib.OpenDB(*cfg)
	defer db.Close()
	if err := checkMigrator(ctx, db); err != nil {
		return err
	}
	locker, err := lock.NewPostgresSessionLocker()
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	p, err := goose.NewProvider(goose.DialectPostgres, db, Migrations(),
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
	)
	if err != nil {
		return fmt.Errorf("migrations: %w", err)
	}
	results, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if logger != nil {
		for _, r := range results {
			logger.InfoContext(ctx, "migration applied",
				slog.Int64("version", r.Source.Version),
				slog.String("file", r.Source.Path),
				slog.Duration("duration", r.Duration))
		}
	}
	return migrateRiver(ctx, cfg, logger)
}

func checkMigrator(ctx context.Context, db *sql.DB) error {
	var user string
	var super, bypass bool
	err := db.QueryRowContext(ctx,
		"SELECT current_user, rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user").Scan(&user, &super, &bypass)
	if err != nil {
		return fmt.Errorf("connect as owner: %w", err)
	}
	if super || bypass {
		return fmt.Errorf("migrations must run as the owner role %s, not as %s (superuser or BYPASSRLS): objects would belong to the wrong role", OwnerRole, user)
	}
	return nil
}

// GlobalTables are tenantkit's tables that are global by design although
// they carry a tenant column or reference tenant-owned tables:
// tenant_domains maps a host to its tenant before any scope exists (a
// domain is unique across tenants), and accounts are login identities whose
// default tenant must be one of their memberships.
var GlobalTables = []string{"tenant_domains", "accounts"}

// CitusDropForeignKeys are the foreign keys from a global table to a
// tenant-owned one, with the reason each may go when the tables are
// sharded by tenant with Citus, which refuses a foreign key from a
// reference table to a distributed table (schemaaudit.Config).
var CitusDropForeignKeys = map[string]string{
	"accounts.accounts_default_membership_fkey": "an account's default tenant must be one of its memberships; " +
		"sharded, the database no longer holds that, so the platform path that sets the default must check the " +
		"membership in its transaction and removing a membership must clear it (today the key's ON DELETE SET NULL does)",
}

// AllowedSchemas are the schemas that hold no tenant data by design, with
// the reason the audit reports (schemaaudit.Config.AllowSchemas).
var AllowedSchemas = map[string]string{
	RiverSchema: "River's job queue. A job's tenant travels in its arguments and its worker rebuilds the scope from them; " +
		"the app role may only insert jobs that name its transaction's tenant and read those back (row security on river.river_job), " +
		"and reaches no other table here; River's own role (" + JobsRole + ") reaches nothing outside it.",
}
