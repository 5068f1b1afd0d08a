// Package schemaaudit checks a PostgreSQL database for the relational rules that
// make tenant isolation hold in the database itself: the tenant column on
// every tenant-owned table, row security forced with a restrictive tenant
// policy, composite same-tenant foreign keys, tenant-scoped unique keys, no
// view, function or materialized view that reads past row security, and an
// application role that can neither bypass nor rebuild any of it, nor
// become a role that can.
//
// It works on any schema, not only tenantkit's: the tenant column, the
// setting, the tenants table and the application role are configuration.
// Each [Finding] carries a stable code, why it breaks isolation and the SQL
// that fixes it.
//
// # Finding codes
//
// Codes are stable; each has a broken schema in testdata/ that shows it.
//
//	TK101 tenant column nullable            TK301 foreign key between tenant tables without the tenant column
//	TK102 no foreign key to the tenants     TK302 unique key without the tenant column
//	TK103 tenant column leads no key        TK303 references a tenant table but has no tenant column
//	TK104 no index leads with it            TK304 exclusion constraint without tenant column =
//	TK201 row security not enabled          TK401 view without security_invoker
//	TK202 row security not forced           TK402 SECURITY DEFINER function the app role can run
//	TK203 no restrictive tenant policy      TK403 materialized view the app role can read
//	TK204 policy fails open (IS NULL, ...)  TK404 partition or child without its own row security
//	TK205 access on a setting alone         TK405 IMMUTABLE function reading the tenant setting
//	TK206 setting compared to another col   TK406 LEAKPROOF user function
//	TK207 setting read per row              TK601, TK602 (CitusReady) policy reads other columns;
//	TK208 no permissive policy                    tenant column type
//	                                        TK603, TK604 (CitusReady) reference table's foreign key
//	                                              to a tenant table; tenant table without primary key
//	TK209 USING (true) with no restrictive
//
// The TK5xx codes are about roles. TK503-TK507 and TK519 hold for the app
// role; the others for the app role and, when [Config.PlatformRole] names
// it, the platform role too. "Can become" is SET ROLE, or inheriting a
// role's privileges, through any chain of grants in pg_auth_members.
//
//	TK501 superuser                         TK511 CREATEDB
//	TK502 BYPASSRLS                         TK512 can become a role with CREATEROLE
//	TK503 app role owns an object           TK513 can become a role with REPLICATION
//	TK504 app role can TRUNCATE             TK514 can become a role with CREATEDB
//	TK505 app role holds REFERENCES         TK515 member of pg_execute_server_program, pg_read/write_server_files
//	TK506 app role can CREATE in a schema   TK516 member of pg_read_all_data, pg_write_all_data
//	TK507 app role can create temp tables   TK517 member of pg_read_all_stats (pg_monitor)
//	TK508 can become a superuser, BYPASSRLS TK518 member of pg_signal_backend
//	      or owner role                     TK519 app role can become a role its policies do not confine
//	TK509 CREATEROLE                        TK520 default privileges open future tables
//	TK510 REPLICATION                       TK521 app role reaches a table of an allowed schema
//	                                              that has no row security
package schemaaudit

import (
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/jackc/pgx/v5"
)

// Config says what to check.
type Config struct {
	// AppRole is the role requests and jobs connect as. Required.
	AppRole string
	// PlatformRole is the role of the audited cross-tenant path, if the
	// database has one. It crosses tenants by design, through its
	// policies, but it is checked as the app role is for what it could
	// become beyond that: superuser, BYPASSRLS, CREATEROLE, REPLICATION
	// or CREATEDB, membership in roles that hold them or own the tables,
	// in PostgreSQL's predefined roles, and default privileges. Empty: no
	// platform role.
	PlatformRole string
	// TenantColumn is the column naming a row's tenant. Defaults to "tenant_id".
	TenantColumn string
	// Setting is the transaction-local setting holding the current tenant.
	// Defaults to "app.current_tenant_id".
	Setting string
	// TenantsTable is the table of tenants. Defaults to "tenants".
	TenantsTable string
	// Schemas to check. Defaults to every schema except the system ones.
	Schemas []string
	// AllowGlobal lists tables (name or schema.name) that are global by
	// design: they may carry the tenant column or reference tenant-owned
	// tables without being tenant-owned themselves.
	AllowGlobal []string
	// AllowSchemas lists schemas that hold no tenant data by design, each
	// with the reason, such as a job queue's own tables: none of their
	// tables is tenant-owned, whatever its columns, and the report lists
	// them with their reason. They are still checked for what every
	// schema is (views, functions, the app role's ownership, TRUNCATE,
	// REFERENCES and default privileges), and the app role may reach their
	// tables only under row security (TK521).
	AllowSchemas map[string]string
	// CitusReady adds the rules a database sharded by the tenant column
	// (Citus) needs beyond the ones always checked: policies read only the
	// tenant column (TK601), every tenant column has the type of the
	// tenants key (TK602), no table that is not tenant-owned (a reference
	// table once sharded) has a foreign key to a tenant-owned one (TK603),
	// and every tenant-owned table has a primary key (TK604). TK301, TK302
	// and TK304 already require the tenant column in every foreign key,
	// primary and unique key and exclusion constraint. The report then
	// lists the distributed and the reference tables ([CitusPlan]).
	CitusReady bool
	// CitusDropForeignKeys lists foreign keys from a table that is not
	// tenant-owned to a tenant-owned one ("table.constraint" or
	// "schema.table.constraint"), each with the reason it may be dropped
	// when the tables are distributed: with CitusReady they are reported
	// in the plan instead of as TK603.
	CitusDropForeignKeys map[string]string
}

func (c *Config) defaults() {
	if c.TenantColumn == "" {
		c.TenantColumn = "tenant_id"
	}
	if c.Setting == "" {
		c.Setting = "app.current_tenant_id"
	}
	if c.TenantsTable == "" {
		c.TenantsTable = "tenants"
	}
}

// Severity ranks findings.
type Severity string

// The severities.
const (
	Critical Severity = "critical" // another tenant's rows can be read or written
	High     Severity = "high"     // one more mistake away from a leak, or an existence oracle
	Medium   Severity = "medium"   // a rule that keeps isolation maintainable is broken
	Low      Severity = "low"      // performance of the isolated path
)

// Finding is one broken rule.
type Finding struct {
	Code     string   `json:"code"`
	Severity Severity `json:"severity"`
	Object   string   `json:"object"`
	Message  string   `json:"message"`
	Fix      string   `json:"fix"`
}

func (f Finding) String() string {
	return fmt.Sprintf("%s %-8s %s: %s", f.Code, f.Severity, f.Object, f.Message)
}

// Querier is what the checks need of a connection (a *pgx.Conn or a pool).
type Querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Table is a table of the checked schemas.
type Table struct {
	OID    uint32
	Schema string
	Name   string
}

// Ident returns the quoted schema-qualified name.
func (t Table) Ident() string { return pgx.Identifier{t.Schema, t.Name}.Sanitize() }

func (t Table) String() string { return t.Schema + "." + t.Name }

// checker carries one run's state.
type checker struct {
	q        Querier
	cfg      Config
	schemas  []string
	tenants  *Table
	owned    []Table // tenant-owned tables
	ownedSet map[uint32]Table
	findings []Finding
}

func (c *checker) add(code string, sev Severity, object, msg, fix string) {
	c.findings = append(c.findings, Finding{Code: code, Severity: sev, Object: object, Message: msg, Fix: fix})
}

// Run checks the database and returns its findings, ordered by severity
// and code. An error means the checks could not run.
func Run(ctx context.Context, q Querier, cfg Config) ([]Finding, error) {
	c, err := newChecker(ctx, q, cfg)
	if err != nil {
		return nil, err
	}
	for _, check := range []func(context.Context) error{
		c.checkTenantColumn,
		c.checkRowSecurity,
		c.checkPolicies,
		c.checkForeignKeys,
		c.checkUniques,
		c.checkReferencesWithoutTenant,
		c.checkViews,
		c.checkFunctions,
		c.checkPartitions,
		c.checkRoles,
		c.checkAppRole,
		c.checkIndexes,
		c.checkCitusTypes,
		c.checkCitusReferences,
		c.checkCitusKeys,
		c.checkAllowedSchemas,
	} {
		if err := check(ctx); err != nil {
			return nil, err
		}
	}
	rank := map[Severity]int{Critical: 0, High: 1, Medium: 2, Low: 3}
	sort.SliceStable(c.findings, func(i, j int) bool {
		a, b := c.findings[i], c.findings[j]
		if rank[a.Severity] != rank[b.Severity] {
			return rank[a.Severity] < rank[b.Severity]
		}
		if a.Code != b.Code {
			return a.Code < b.Code
		}
		return a.Object < b.Object
	})
	return c.findings, nil
}

// TenantTables returns the tenant-owned tables: those of the checked
// schemas with the tenant column, except the tenants table and the tables
// allowed as global.
func TenantTables(ctx context.Context, q Querier, cfg Config) ([]Table, error) {
	c, err := newChecker(ctx, q, cfg)
	if err != nil {
		return nil, err
	}
	return c.owned, nil
}

func newChecker(ctx context.Context, q Querier, cfg Config) (*checker, error) {
	cfg.defaults()
	if cfg.AppRole == "" {
		return nil, fmt.Errorf("audit: the application role is required")
	}
	var roleExists bool
	if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", cfg.AppRole).Scan(&roleExists); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if !roleExists {
		return nil, fmt.Errorf("audit: role %q does not exist", cfg.AppRole)
	}
	if cfg.PlatformRole != "" {
		if err := q.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", cfg.PlatformRole).Scan(&roleExists); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		if !roleExists {
			return nil, fmt.Errorf("audit: platform role %q does not exist", cfg.PlatformRole)
		}
	}
	c := &checker{q: q, cfg: cfg, ownedSet: map[uint32]Table{}}
	schemas := cfg.Schemas
	if len(schemas) == 0 {
		rows, err := q.Query(ctx, `
			SELECT nspname FROM pg_namespace
			WHERE nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast')
			  AND nspname NOT LIKE 'pg\_temp\_%' AND nspname NOT LIKE 'pg\_toast\_temp\_%'
			ORDER BY nspname`)
		if err != nil {
			return nil, fmt.Errorf("audit: list schemas: %w", err)
		}
		if schemas, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
			return nil, fmt.Errorf("audit: list schemas: %w", err)
		}
	}
	c.schemas = schemas
	rows, err := q.Query(ctx, `
		SELECT c.oid, n.nspname, c.relname,
		       EXISTS (SELECT 1 FROM pg_attribute a
		               WHERE a.attrelid = c.oid AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND NOT c.relispartition
		ORDER BY n.nspname, c.relname`, schemas, cfg.TenantColumn)
	if err != nil {
		return nil, fmt.Errorf("audit: list tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var t Table
		var hasTenant bool
		if err := rows.Scan(&t.OID, &t.Schema, &t.Name, &hasTenant); err != nil {
			return nil, err
		}
		if t.Name == cfg.TenantsTable && c.tenants == nil {
			tt := t
			c.tenants = &tt
			continue
		}
		if hasTenant && !c.allowedGlobal(t) {
			c.owned = append(c.owned, t)
			c.ownedSet[t.OID] = t
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *checker) allowedGlobal(t Table) bool {
	if _, ok := c.cfg.AllowSchemas[t.Schema]; ok {
		return true
	}
	return slices.Contains(c.cfg.AllowGlobal, t.Name) || slices.Contains(c.cfg.AllowGlobal, t.String())
}

func (c *checker) ownedOIDs() []uint32 {
	oids := make([]uint32, 0, len(c.owned))
	for _, t := range c.owned {
		oids = append(oids, t.OID)
	}
	return oids
}

func quoteIdent(s string) string { return pgx.Identifier{s}.Sanitize() }

// queryEach runs sql and calls fn with each row's values scanned into dest.
func queryEach(ctx context.Context, q Querier, sql string, args []any, dest []any, fn func() error) error {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return fmt.Errorf("audit: %w", err)
		}
		if err := fn(); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	return nil
}

func normalize(expr string) string {
	return strings.ToLower(strings.Join(strings.Fields(expr), ""))
}

// Report is the outcome of one audit: the tenant-owned tables it found and
// the findings, ordered as [Run] orders them.
type Report struct {
	TenantTables   []string        `json:"tenant_tables"`             // schema.name of each tenant-owned table
	AllowedSchemas []AllowedSchema `json:"allowed_schemas,omitempty"` // the schemas allowed to hold no tenant data, and why
	Citus          *CitusPlan      `json:"citus,omitempty"`           // with CitusReady: how the tables would be sharded
	Findings       []Finding       `json:"findings"`                  // never nil, so JSON shows []
}

// AllowedSchema is a schema of [Config.AllowSchemas] and its reason.
type AllowedSchema struct {
	Schema string `json:"schema"`
	Reason string `json:"reason"`
}

// Clean reports whether the audit found nothing.
func (r Report) Clean() bool { return len(r.Findings) == 0 }

// ReportURL connects to url, finds the tenant-owned tables and runs the
// checks. The connection needs no privileges beyond reading the catalog;
// connect as the app role itself to see exactly what it is allowed.
func ReportURL(ctx context.Context, url string, cfg Config) (Report, error) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return Report{}, fmt.Errorf("audit: connect: %w", err)
	}
	defer conn.Close(ctx)
	tables, err := TenantTables(ctx, conn, cfg)
	if err != nil {
		return Report{}, err
	}
	r := Report{TenantTables: make([]string, len(tables)), Findings: []Finding{}}
	for i, t := range tables {
		r.TenantTables[i] = t.String()
	}
	for name, reason := range cfg.AllowSchemas {
		r.AllowedSchemas = append(r.AllowedSchemas, AllowedSchema{Schema: name, Reason: reason})
	}
	sort.Slice(r.AllowedSchemas, func(i, j int) bool { return r.AllowedSchemas[i].Schema < r.AllowedSchemas[j].Schema })
	findings, err := Run(ctx, conn, cfg)
	if err != nil {
		return Report{}, err
	}
	r.Findings = append(r.Findings, findings...)
	if cfg.CitusReady {
		c, err := newChecker(ctx, conn, cfg)
		if err != nil {
			return Report{}, err
		}
		if r.Citus, err = c.citusPlan(ctx); err != nil {
			return Report{}, err
		}
	}
	return r, nil
}

// RunURL connects to url and runs the checks, as [ReportURL] does.
func RunURL(ctx context.Context, url string, cfg Config) ([]Finding, error) {
	r, err := ReportURL(ctx, url, cfg)
	return r.Findings, err
}

// WriteText writes the report for a person: each finding with its fix, then
// a summary line.
func (r Report) WriteText(w io.Writer) error {
	var b strings.Builder
	counts := map[Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
		fmt.Fprintf(&b, "%s\n    fix: %s\n\n", f, strings.ReplaceAll(f.Fix, "\n", "\n         "))
	}
	if r.Clean() {
		fmt.Fprintf(&b, "clean: %d tenant-owned tables, no findings\n", len(r.TenantTables))
	} else {
		var parts []string
		for _, s := range []Severity{Critical, High, Medium, Low} {
			if counts[s] > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", counts[s], s))
			}
		}
		fmt.Fprintf(&b, "%d finding(s) (%s) in %d tenant-owned tables\n", len(r.Findings), strings.Join(parts, ", "), len(r.TenantTables))
	}
	for _, a := range r.AllowedSchemas {
		fmt.Fprintf(&b, "allowed schema %s, no tenant data: %s\n", a.Schema, a.Reason)
	}
	if p := r.Citus; p != nil {
		fmt.Fprintf(&b, "citus: distribute %d tenant-owned tables by the tenant column, colocated\n", len(p.Distributed))
		for _, t := range p.Reference {
			fmt.Fprintf(&b, "citus: reference table %s\n", t)
		}
		for _, k := range p.DropForeignKeys {
			fmt.Fprintf(&b, "citus: drop foreign key %s of %s when distributing: %s\n", k.Constraint, k.Table, k.Reason)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}
