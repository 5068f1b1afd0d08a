// Package adopt brings an existing PostgreSQL database under tenant
// isolation: it derives each table's tenant along foreign keys to the
// root table (the tenants), and writes and runs the migration that gives
// every such table a NOT NULL tenant column, tenant-scoped keys, composite
// foreign keys and forced row security with a restrictive tenant policy.
//
// # Deriving the tenant
//
// A table's tenant comes from, in order: a foreign key to the root; else
// the one foreign key to a table that reaches the root without passing
// back through this one; else the one such key that is NOT NULL. A table
// that already has the tenant column keeps its values, and its NULLs are
// filled the same way. Anything else is refused, not guessed: two possible
// parents ([Config.Via] chooses one), or tables that reference each other
// in a cycle that never reaches the root. Tables with no path to the root
// and no tenant column are global and left alone.
//
// # The migration
//
// It runs in phases, so that no long lock is held while data moves:
//
//  1. expand (one transaction): the quarantine table, the nullable tenant
//     columns; FORCE ROW LEVEL SECURITY lifted where a table had it, since
//     under it the backfill would update no row at all;
//  2. backfill: each table in batches, parents before children, copying
//     the tenant through the join to the parent (one transaction a batch);
//  3. contract (one transaction): catch up on rows written meanwhile; move
//     rows with no tenant (orphans) to the quarantine table, children
//     first; refuse rows whose parents belong to different tenants; NOT
//     NULL; primary and unique keys that start with the tenant column;
//     foreign keys to the root and composite foreign keys, NOT VALID;
//  4. validate: each new foreign key, in a transaction of its own;
//  5. secure (one transaction): ENABLE and FORCE row security, the
//     restrictive tenant policy and a permissive policy for the app role,
//     no TRUNCATE or REFERENCES for the app role.
//
// A run that stops part way can run again: each step looks at the catalog
// as it is.
package adopt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
)

// QuarantineTable receives the rows adopt cannot give a tenant, as JSON
// with the table they came from and the reason. No role but its owner may
// read it.
const QuarantineTable = "tenantkit_quarantine"

// ErrCannotRun wraps the errors of a run that could not start: no
// connection, no root table, a missing setting.
var ErrCannotRun = errors.New("adopt cannot run")

// Config says what to adopt.
type Config struct {
	// Root is the table of tenants (name, in Schema). Required.
	Root string
	// Schema holds the tables to adopt. Defaults to "public".
	Schema string
	// TenantColumn is the tenant column, added where missing and reused
	// where present. Defaults to "tenant_id".
	TenantColumn string
	// Setting is the transaction-local setting the tenant policy reads.
	// Defaults to "app.current_tenant_id".
	Setting string
	// AppRole is the role the policies are for. Required.
	AppRole string
	// Via chooses, as TABLE.COLUMN (or TABLE.CONSTRAINT), the foreign key
	// a table's tenant comes through where more than one could.
	Via []string
	// BatchSize is the number of rows a backfill batch updates. Defaults
	// to 1000.
	BatchSize int
}

func (c *Config) defaults() {
	if c.Schema == "" {
		c.Schema = "public"
	}
	if c.TenantColumn == "" {
		c.TenantColumn = "tenant_id"
	}
	if c.Setting == "" {
		c.Setting = "app.current_tenant_id"
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 1000
	}
}

// Phase names a phase of the migration.
type Phase string

// The phases, in order.
const (
	Expand   Phase = "expand"
	Backfill Phase = "backfill"
	Contract Phase = "contract"
	Validate Phase = "validate"
	Secure   Phase = "secure"
)

// Step is one statement of the migration.
type Step struct {
	Phase Phase // the phase the step belongs to
	// Title says what the step does, for the plan and the progress.
	Title string
	SQL   string // the statement(s) to run
	// Batched steps run again until they update no row; Count, if set,
	// counts the rows they will update, for the progress.
	Batched bool
	Count   string
	// Check steps are queries that must return 0: Problem explains a
	// count above it.
	Check   bool
	Problem string
	// Table is the table a step moves rows of, for the report.
	Table string
}

// TablePlan is one adopted table and where its tenant comes from.
type TablePlan struct {
	Table string // the table, quoted where SQL needs it
	From  string // where its tenant comes from, in words
}

// Plan is the migration for one database.
type Plan struct {
	Root         string      // the table of tenants
	TenantColumn string      // the tenant column every adopted table gets
	Tables       []TablePlan // the adopted tables, parents before children
	Global       []string    // tables with no path to the root, left alone
	Steps        []Step      // the migration, phase by phase
	cfg          Config
}

// Build reads the catalog over conn and plans the migration. A
// [*RefusalError] lists what adopt will not guess.
func Build(ctx context.Context, conn *pgx.Conn, cfg Config) (*Plan, error) {
	cfg.defaults()
	if cfg.Root == "" || cfg.AppRole == "" {
		return nil, fmt.Errorf("adopt: %w: the root table and the app role are required", ErrCannotRun)
	}
	tables, err := loadCatalog(ctx, conn, cfg.Schema)
	if err != nil {
		return nil, err
	}
	root := tables[cfg.Root]
	if root == nil {
		return nil, fmt.Errorf("adopt: %w: no table %q in schema %q", ErrCannotRun, cfg.Root, cfg.Schema)
	}
	if len(root.pk) != 1 {
		return nil, &RefusalError{Problems: []string{fmt.Sprintf("the root %s needs a single-column primary key", root)}}
	}
	p := &planner{cfg: cfg, root: root, tables: tables, col: cfg.TenantColumn}
	order, global, err := p.derive()
	if err != nil {
		return nil, err
	}
	plan := &Plan{Root: root.String(), TenantColumn: cfg.TenantColumn, cfg: cfg}
	for _, d := range order {
		plan.Tables = append(plan.Tables, TablePlan{Table: d.t.String(), From: d.String()})
	}
	for _, t := range global {
		plan.Global = append(plan.Global, t.String())
	}
	plan.Steps = (&writer{p: p, order: order}).steps()
	return plan, nil
}

// WriteText writes the plan and its SQL, as --dry-run prints it.
func (pl *Plan) WriteText(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "-- tenantkit adopt: root %s, tenant column %s\n--\n", pl.Root, displayName(pl.TenantColumn))
	for _, t := range pl.Tables {
		fmt.Fprintf(&b, "--   %-24s tenant %s\n", t.Table, t.From)
	}
	for _, g := range pl.Global {
		fmt.Fprintf(&b, "--   %-24s global: no path to %s, left as it is\n", g, pl.Root)
	}
	var phase Phase
	for _, s := range pl.Steps {
		if s.Phase != phase {
			phase = s.Phase
			fmt.Fprintf(&b, "\n-- == %s ==\n", phase)
		}
		fmt.Fprintf(&b, "\n-- %s", s.Title)
		switch {
		case s.Batched:
			b.WriteString(" (repeated until it updates no row)")
		case s.Check:
			b.WriteString(" (must count 0)")
		}
		fmt.Fprintf(&b, "\n%s;\n", s.SQL)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writer turns derivations into steps.
type writer struct {
	p     *planner
	order []*derivation
	out   []Step
}

func (w *writer) add(s Step) { w.out = append(w.out, s) }

func ident(parts ...string) string { return pgx.Identifier(parts).Sanitize() }

func identList(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = ident(c)
	}
	return strings.Join(parts, ", ")
}

// joinOn pairs the key's columns of the child alias c with the parent
// alias p.
func joinOn(fk *foreignKey, c, p string) string {
	parts := make([]string, len(fk.cols))
	for i := range fk.cols {
		parts[i] = fmt.Sprintf("%s.%s = %s.%s", c, ident(fk.cols[i]), p, ident(fk.refCols[i]))
	}
	return strings.Join(parts, " AND ")
}

func (w *writer) steps() []Step {
	p := w.p
	col := ident(p.col)
	rootPK := p.root.pk[0]
	colType := p.root.columns[rootPK].typ
	adopted := map[*table]bool{}
	for _, d := range w.order {
		adopted[d.t] = true
	}
	q := ident(p.cfg.Schema, QuarantineTable)

	// 1. expand
	w.add(Step{Phase: Expand, Title: "the quarantine table for rows without a tenant", SQL: fmt.Sprintf(
		"CREATE TABLE IF NOT EXISTS %s (\n    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    source_table text NOT NULL,\n"+
			"    reason text NOT NULL,\n    row_data jsonb NOT NULL,\n    quarantined_at timestamptz NOT NULL DEFAULT now()\n)", q)})
	w.add(Step{Phase: Expand, Title: "only its owner reads the quarantine", SQL: fmt.Sprintf("REVOKE ALL ON %s FROM PUBLIC", q)})
	for _, d := range w.order {
		if !d.own {
			w.add(Step{Phase: Expand, Title: fmt.Sprintf("add the tenant column to %s", d.t), SQL: fmt.Sprintf(
				"ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s %s", d.t.ident(), col, colType)})
		}
		if d.t.forced {
			w.add(Step{Phase: Expand, Title: fmt.Sprintf("lift FORCE ROW LEVEL SECURITY from %s for the backfill (under it an UPDATE touches no row)", d.t),
				SQL: fmt.Sprintf("ALTER TABLE %s NO FORCE ROW LEVEL SECURITY", d.t.ident())})
		}
	}

	// 2. backfill, and the same statements unbatched as the first steps of
	// the contract.
	var catchUp []Step
	for _, d := range w.order {
		t := d.t.ident()
		var set, count, all string
		switch {
		case d.direct != nil && d.direct.cols[0] == p.col:
			continue // the tenant column is the key to the root already
		case d.direct != nil:
			src := ident(d.direct.cols[0])
			where := fmt.Sprintf("%s IS NULL AND %s IS NOT NULL", col, src)
			set = fmt.Sprintf("UPDATE %s SET %s = %s WHERE ctid = ANY (ARRAY (SELECT ctid FROM %s WHERE %s LIMIT %d))",
				t, col, src, t, where, p.cfg.BatchSize)
			count = fmt.Sprintf("SELECT count(*) FROM %s WHERE %s", t, where)
			all = fmt.Sprintf("UPDATE %s SET %s = %s WHERE %s", t, col, src, where)
		case d.parent != nil:
			parent := d.parent.to.ident()
			where := fmt.Sprintf("c.%s IS NULL AND p.%s IS NOT NULL", col, col)
			set = fmt.Sprintf("UPDATE %s AS c SET %s = p.%s FROM %s AS p\nWHERE %s AND c.ctid = ANY (ARRAY (\n    SELECT c.ctid FROM %s AS c JOIN %s AS p ON %s\n    WHERE %s LIMIT %d))",
				t, col, col, parent, joinOn(d.parent, "c", "p"), t, parent, joinOn(d.parent, "c", "p"), where, p.cfg.BatchSize)
			count = fmt.Sprintf("SELECT count(*) FROM %s AS c JOIN %s AS p ON %s WHERE %s", t, parent, joinOn(d.parent, "c", "p"), where)
			all = fmt.Sprintf("UPDATE %s AS c SET %s = p.%s FROM %s AS p WHERE %s AND %s", t, col, col, parent, joinOn(d.parent, "c", "p"), where)
		default:
			continue
		}
		w.add(Step{Phase: Backfill, Title: fmt.Sprintf("%s: tenant %s", d.t, d), SQL: set, Batched: true, Count: count, Table: d.t.String()})
		catchUp = append(catchUp, Step{Phase: Contract, Title: fmt.Sprintf("catch up on %s rows written during the backfill", d.t), SQL: all})
	}

	// 3. contract
	w.add(Step{Phase: Contract, Title: "fail fast instead of queueing behind long transactions", SQL: "SET LOCAL lock_timeout = '5s'"})
	for _, s := range catchUp {
		w.add(s)
	}
	root := p.root.ident()
	for _, d := range deletionOrder(w.order) {
		t := d.t.ident()
		orphan := fmt.Sprintf("o.%s IS NULL OR NOT EXISTS (SELECT FROM %s r WHERE r.%s = o.%s)", col, root, ident(rootPK), col)
		// Rows of other tables still pointing at an orphan would lose
		// their parent: refuse rather than cascade.
		for _, other := range w.order {
			for _, fk := range other.t.fks {
				if fk.to != d.t {
					continue
				}
				w.add(Step{Phase: Contract, Check: true,
					Title:   fmt.Sprintf("no %s row with a tenant references a %s row without one", other.t, d.t),
					Problem: fmt.Sprintf("rows of %s with a tenant reference rows of %s that have none (through %s); give those a tenant or clear the reference, then run adopt again", other.t, d.t, fk.name),
					SQL: fmt.Sprintf("SELECT count(*) FROM %s AS c JOIN %s AS o ON %s WHERE c.%s IS NOT NULL AND (%s)",
						other.t.ident(), t, joinOn(fk, "c", "o"), col, orphan)})
			}
		}
		w.add(Step{Phase: Contract, Table: d.t.String(),
			Title: fmt.Sprintf("move %s rows without a tenant to the quarantine", d.t),
			SQL: fmt.Sprintf("WITH moved AS (DELETE FROM %s AS o WHERE %s RETURNING o.*)\nINSERT INTO %s (source_table, reason, row_data)\n"+
				"SELECT %s, CASE WHEN m.%s IS NULL THEN 'no tenant' ELSE 'unknown tenant' END, to_jsonb(m) FROM moved AS m",
				t, orphan, q, quoteLiteral(d.t.String()), col)})
	}
	for _, d := range w.order {
		for _, fk := range d.t.fks {
			if !adopted[fk.to] {
				continue
			}
			w.add(Step{Phase: Contract, Check: true,
				Title:   fmt.Sprintf("every %s row and its %s parent through %s belong to one tenant", d.t, fk.to, fk.name),
				Problem: fmt.Sprintf("rows of %s reference a %s row of another tenant through %s: such a link is the cross-tenant reference isolation forbids; fix or delete those rows, then run adopt again", d.t, fk.to, fk.name),
				SQL: fmt.Sprintf("SELECT count(*) FROM %s AS c JOIN %s AS p ON %s WHERE c.%s IS DISTINCT FROM p.%s",
					d.t.ident(), fk.to.ident(), joinOn(fk, "c", "p"), col, col)})
		}
	}
	// Keys: drop the foreign keys between adopted tables, rekey, then add
	// them back composite.
	var rekeyed []*foreignKey
	for _, d := range w.order {
		for _, fk := range d.t.fks {
			if adopted[fk.to] && !slices.Contains(fk.cols, p.col) {
				rekeyed = append(rekeyed, fk)
				w.add(Step{Phase: Contract, Title: fmt.Sprintf("drop %s, to add it back with the tenant column", fk.name),
					SQL: fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s", d.t.ident(), ident(fk.name))})
			}
		}
	}
	var validate []Step
	for _, d := range w.order {
		t := d.t.ident()
		w.add(Step{Phase: Contract, Title: fmt.Sprintf("%s: every row has a tenant", d.t), SQL: fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s SET NOT NULL", t, col)})
		if !slices.Contains(d.t.pk, p.col) {
			w.add(Step{Phase: Contract, Title: fmt.Sprintf("%s: the primary key starts with the tenant", d.t), SQL: fmt.Sprintf(
				"ALTER TABLE %s DROP CONSTRAINT %s,\n    ADD CONSTRAINT %s PRIMARY KEY (%s, %s)", t, ident(d.t.pkName), ident(d.t.pkName), col, identList(d.t.pk))})
		}
		for _, u := range d.t.uniques {
			if slices.Contains(u.cols, p.col) {
				continue
			}
			title := fmt.Sprintf("%s: %s is unique per tenant, not across tenants", d.t, displayList(u.cols))
			if u.constraint {
				w.add(Step{Phase: Contract, Title: title, SQL: fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s,\n    ADD CONSTRAINT %s UNIQUE (%s, %s)",
					t, ident(u.name), ident(u.name), col, identList(u.cols))})
				continue
			}
			where := ""
			if u.predicate != "" {
				where = " WHERE " + u.predicate
			}
			w.add(Step{Phase: Contract, Title: title, SQL: fmt.Sprintf("DROP INDEX %s;\nCREATE UNIQUE INDEX %s ON %s (%s, %s)%s",
				ident(p.cfg.Schema, u.name), ident(u.name), t, col, identList(u.cols), where)})
		}
		if d.direct == nil || d.direct.cols[0] != p.col {
			name := d.t.name + "_" + p.col + "_fkey"
			w.add(Step{Phase: Contract, Title: fmt.Sprintf("%s: the tenant column references %s", d.t, p.root), SQL: fmt.Sprintf(
				"ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s) NOT VALID", t, ident(name), col, root, ident(rootPK))})
			validate = append(validate, Step{Phase: Validate, Title: fmt.Sprintf("validate %s", name),
				SQL: fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", t, ident(name))})
		}
	}
	for _, fk := range rekeyed {
		w.add(Step{Phase: Contract, Title: fmt.Sprintf("%s: the parent belongs to the same tenant", fk),
			SQL: fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s, %s) REFERENCES %s (%s, %s)%s NOT VALID",
				fk.from.ident(), ident(fk.name), col, identList(fk.cols), fk.to.ident(), col, identList(fk.refCols), actions(fk))})
		validate = append(validate, Step{Phase: Validate, Title: fmt.Sprintf("validate %s", fk.name),
			SQL: fmt.Sprintf("ALTER TABLE %s VALIDATE CONSTRAINT %s", fk.from.ident(), ident(fk.name))})
	}

	// 4. validate
	w.out = append(w.out, validate...)

	// 5. secure
	app := ident(p.cfg.AppRole)
	cast := "::" + colType
	if colType == "text" {
		cast = ""
	}
	predicate := fmt.Sprintf("%s = (SELECT nullif(current_setting(%s, true), '')%s)", col, quoteLiteral(p.cfg.Setting), cast)
	for _, d := range w.order {
		t := d.t.ident()
		for _, s := range []Step{
			{Title: fmt.Sprintf("%s: row security, forced on the owner too", d.t), SQL: fmt.Sprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY;\nALTER TABLE %s FORCE ROW LEVEL SECURITY", t, t)},
			{Title: fmt.Sprintf("%s: the restrictive tenant policy", d.t), SQL: fmt.Sprintf(
				"DROP POLICY IF EXISTS tenant_isolation ON %s;\nCREATE POLICY tenant_isolation ON %s AS RESTRICTIVE FOR ALL TO %s\n    USING (%s)\n    WITH CHECK (%s)",
				t, t, app, predicate, predicate)},
			{Title: fmt.Sprintf("%s: the app role's access, within its tenant", d.t), SQL: fmt.Sprintf(
				"DROP POLICY IF EXISTS tenant_app_access ON %s;\nCREATE POLICY tenant_app_access ON %s FOR ALL TO %s USING (true) WITH CHECK (true)", t, t, app)},
			{Title: fmt.Sprintf("%s: no TRUNCATE (it ignores row security) and no REFERENCES for the app role", d.t),
				SQL: fmt.Sprintf("REVOKE TRUNCATE, REFERENCES ON %s FROM PUBLIC, %s", t, app)},
		} {
			s.Phase = Secure
			w.add(s)
		}
	}
	return w.out
}

// deletionOrder orders the tables so that a table comes after every table
// that references it: orphans are moved children first, and no referential
// action fires on a row before it is quarantined. Within a cycle the
// derivation order, reversed, decides.
func deletionOrder(order []*derivation) []*derivation {
	remaining := slices.Clone(order)
	var out []*derivation
	referenced := func(t *table) bool {
		for _, o := range remaining {
			if o.t != t && slices.ContainsFunc(o.t.fks, func(fk *foreignKey) bool { return fk.to == t }) {
				return true
			}
		}
		return false
	}
	for len(remaining) > 0 {
		next := len(remaining) - 1
		for i := len(remaining) - 1; i >= 0; i-- {
			if !referenced(remaining[i].t) {
				next = i
				break
			}
		}
		out = append(out, remaining[next])
		remaining = slices.Delete(remaining, next, next+1)
	}
	return out
}

// actions renders the referential actions of fk for its composite form:
// SET NULL and SET DEFAULT on delete touch only the key's own columns, never
// the tenant column.
func actions(fk *foreignKey) string {
	name := map[byte]string{'c': "CASCADE", 'r': "RESTRICT", 'n': "SET NULL", 'd': "SET DEFAULT"}
	var b strings.Builder
	if a, ok := name[fk.onDelete]; ok {
		b.WriteString(" ON DELETE " + a)
		if fk.onDelete == 'n' || fk.onDelete == 'd' {
			b.WriteString(" (" + identList(fk.cols) + ")")
		}
	}
	if a, ok := name[fk.onUpdate]; ok && fk.onUpdate != 'n' && fk.onUpdate != 'd' {
		b.WriteString(" ON UPDATE " + a)
	}
	return b.String()
}

func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
