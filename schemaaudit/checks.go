package schemaaudit

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
)

// tenantAttnums returns the attribute number of the tenant column of each
// table of oids that has one.
func (c *checker) tenantAttnums(ctx context.Context, oids []uint32) (map[uint32]int16, error) {
	out := map[uint32]int16{}
	var oid uint32
	var num int16
	err := queryEach(ctx, c.q, `
		SELECT attrelid, attnum FROM pg_attribute
		WHERE attrelid = ANY($1::oid[]) AND attname = $2 AND attnum > 0 AND NOT attisdropped`,
		[]any{oids, c.cfg.TenantColumn}, []any{&oid, &num}, func() error { out[oid] = num; return nil })
	return out, err
}

// checkTenantColumn: D1. The tenant column is NOT NULL, references the
// tenants table, and leads the primary key or a unique key.
func (c *checker) checkTenantColumn(ctx context.Context) error {
	col := quoteIdent(c.cfg.TenantColumn)
	tenantsRef := "tenants"
	if c.tenants != nil {
		tenantsRef = c.tenants.Ident()
	}
	var oid uint32
	var notNull, hasFK, leadsKey bool
	return queryEach(ctx, c.q, `
		SELECT a.attrelid, a.attnotnull,
		       EXISTS (SELECT 1 FROM pg_constraint f
		               WHERE f.conrelid = a.attrelid AND f.contype = 'f' AND f.confrelid = $3::oid
		                 AND f.conkey = ARRAY[a.attnum]),
		       EXISTS (SELECT 1 FROM pg_index i
		               WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indpred IS NULL
		                 AND i.indkey[0] = a.attnum)
		FROM pg_attribute a
		WHERE a.attrelid = ANY($1::oid[]) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped`,
		[]any{c.ownedOIDs(), c.cfg.TenantColumn, c.tenantsOID()}, []any{&oid, &notNull, &hasFK, &leadsKey},
		func() error {
			t := c.ownedSet[oid]
			if !notNull {
				c.add("TK101", Critical, t.String(),
					"the tenant column is nullable: a row without a tenant is invisible to every tenant, or visible to all if a policy admits NULL",
					fmt.Sprintf("-- backfill NULL rows first (they are orphans), then:\nALTER TABLE %s ALTER COLUMN %s SET NOT NULL;", t.Ident(), col))
			}
			if !hasFK && c.tenants != nil {
				fkName := quoteIdent(t.Name + "_" + c.cfg.TenantColumn + "_fkey")
				c.add("TK102", High, t.String(),
					"the tenant column does not reference the tenants table: a row can name a tenant that does not exist and survives its deletion",
					fmt.Sprintf("ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (id) NOT VALID;\nALTER TABLE %s VALIDATE CONSTRAINT %s;",
						t.Ident(), fkName, col, tenantsRef, t.Ident(), fkName))
			}
			if !leadsKey {
				c.add("TK103", Medium, t.String(),
					"the tenant column does not lead the primary key or a unique key: composite same-tenant foreign keys cannot reference this table",
					fmt.Sprintf("ALTER TABLE %s ADD UNIQUE (%s, id);", t.Ident(), col))
			}
			return nil
		})
}

func (c *checker) tenantsOID() uint32 {
	if c.tenants == nil {
		return 0
	}
	return c.tenants.OID
}

// checkRowSecurity: D4. Row security is enabled and forced.
func (c *checker) checkRowSecurity(ctx context.Context) error {
	var oid uint32
	var enabled, forced bool
	return queryEach(ctx, c.q,
		`SELECT oid, relrowsecurity, relforcerowsecurity FROM pg_class WHERE oid = ANY($1::oid[])`,
		[]any{c.ownedOIDs()}, []any{&oid, &enabled, &forced}, func() error {
			t := c.ownedSet[oid]
			if !enabled {
				c.add("TK201", Critical, t.String(),
					"row level security is not enabled: the database does not filter this table by tenant",
					fmt.Sprintf("ALTER TABLE %s ENABLE ROW LEVEL SECURITY;", t.Ident()))
			}
			if !forced {
				c.add("TK202", High, t.String(),
					"row level security is not forced: the table owner (and anything running as it) reads every tenant's rows",
					fmt.Sprintf("ALTER TABLE %s FORCE ROW LEVEL SECURITY;", t.Ident()))
			}
			return nil
		})
}

var plainIdent = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

var settingRef = regexp.MustCompile(`current_setting\('([^']+)'`)

// tenantCasts are the types the setting may be cast to in the tenant
// predicate ("" is a text tenant column, compared without a cast).
var tenantCasts = []string{"uuid", "", "bigint", "integer"}

// tenantPredicates returns the accepted normalized forms of the tenant
// predicate: evaluated once per statement (the sub-select), and per row.
func (c *checker) tenantPredicates() (perStatement, perRow []string) {
	col := c.cfg.TenantColumn
	if !plainIdent.MatchString(col) {
		col = quoteIdent(col)
	}
	setting := strings.ReplaceAll(c.cfg.Setting, "'", "''")
	for _, cast := range tenantCasts {
		inner := fmt.Sprintf(`NULLIF(current_setting('%s'::text, true), ''::text)`, setting)
		if cast != "" {
			inner = fmt.Sprintf(`(%s)::%s`, inner, cast)
		}
		perStatement = append(perStatement, normalize(fmt.Sprintf(`(%s = ( SELECT %s AS "nullif"))`, col, inner)))
		perRow = append(perRow, normalize(fmt.Sprintf(`(%s = %s)`, col, inner)))
	}
	return perStatement, perRow
}

// policy is one row-security policy of a tenant-owned table.
type policy struct {
	table       uint32
	name, cmd   string
	qual, check string
	permissive  bool
	// appliesToApp: the policy is for PUBLIC or a role the app role is a
	// member of.
	appliesToApp bool
	// columns of its own table the expressions read, and how many other
	// tenant-owned tables they read (from pg_depend, not from the text).
	// Global tables do not count: sharded, they are reference tables,
	// the same on every node (a suspension check reading tenants, a grant
	// check reading platform_grants).
	columns   []string
	otherRels int
}

func (c *checker) policies(ctx context.Context) (map[uint32][]policy, error) {
	byTable := map[uint32][]policy{}
	var p policy
	err := queryEach(ctx, c.q, `
		SELECT pol.polrelid, pol.polname, pol.polcmd::text, pol.polpermissive,
		       coalesce(pg_get_expr(pol.polqual, pol.polrelid), ''),
		       coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), ''),
		       0 = ANY(pol.polroles) OR EXISTS (
		           SELECT 1 FROM unnest(pol.polroles) r WHERE pg_has_role($2, r, 'MEMBER')),
		       ARRAY(SELECT DISTINCT a.attname::text
		             FROM pg_depend d JOIN pg_attribute a ON a.attrelid = d.refobjid AND a.attnum = d.refobjsubid
		             WHERE d.classid = 'pg_policy'::regclass AND d.objid = pol.oid
		               AND d.refclassid = 'pg_class'::regclass AND d.refobjid = pol.polrelid
		               AND d.refobjsubid > 0
		             ORDER BY 1),
		       (SELECT count(DISTINCT d.refobjid)::int FROM pg_depend d
		        WHERE d.classid = 'pg_policy'::regclass AND d.objid = pol.oid
		          AND d.refclassid = 'pg_class'::regclass AND d.refobjid <> pol.polrelid
		          AND d.refobjid = ANY($1::oid[]))
		FROM pg_policy pol
		WHERE pol.polrelid = ANY($1::oid[])
		ORDER BY pol.polrelid, pol.polname`,
		[]any{c.ownedOIDs(), c.cfg.AppRole},
		[]any{&p.table, &p.name, &p.cmd, &p.permissive, &p.qual, &p.check, &p.appliesToApp, &p.columns, &p.otherRels},
		func() error { byTable[p.table] = append(byTable[p.table], p); return nil })
	return byTable, err
}

// checkPolicies: D4, D5. A restrictive tenant policy for the app role on all
// commands; no policy that fails open or grants access on a setting alone.
// With CitusReady, policies read no column but the tenant column.
func (c *checker) checkPolicies(ctx context.Context) error {
	byTable, err := c.policies(ctx)
	if err != nil {
		return err
	}
	for _, t := range c.owned {
		hasRestrictive, perRowOnly, hasPermissive := false, false, false
		var openPolicies []string
		for _, p := range byTable[t.OID] {
			if c.cfg.CitusReady {
				c.checkCitusPolicy(t, p)
			}
			if !p.appliesToApp {
				continue
			}
			q, w := normalize(p.qual), normalize(p.check)
			if p.permissive {
				hasPermissive = true
				if (q == "" || q == "true") && (w == "" || w == "true") {
					openPolicies = append(openPolicies, p.name)
				}
			}
			if restricts, perRow := c.tenantRestriction(p); restricts {
				hasRestrictive = true
				perRowOnly = perRowOnly || perRow
			}
			c.checkPolicyExpressions(t, p, q, w)
		}
		if !hasRestrictive {
			c.add("TK203", Critical, t.String(),
				"no RESTRICTIVE policy for the app role on all commands compares the tenant column with the setting: a permissive policy (such as USING (true)) admits every tenant's rows",
				fmt.Sprintf("CREATE POLICY tenant_isolation ON %s AS RESTRICTIVE FOR ALL TO %s\n"+
					"    USING (%s = (SELECT nullif(current_setting('%s', true), '')::uuid))\n"+
					"    WITH CHECK (%s = (SELECT nullif(current_setting('%s', true), '')::uuid));",
					t.Ident(), quoteIdent(c.cfg.AppRole), quoteIdent(c.cfg.TenantColumn), c.cfg.Setting,
					quoteIdent(c.cfg.TenantColumn), c.cfg.Setting))
			for _, name := range openPolicies {
				c.add("TK209", Critical, t.String()+" policy "+name,
					"a permissive policy that admits every row, with no restrictive tenant policy beside it: every tenant reads and writes this table",
					fmt.Sprintf("-- add the restrictive tenant policy (see TK203) before relying on %s", quoteIdent(name)))
			}
		} else if perRowOnly {
			c.add("TK207", Low, t.String(),
				"the tenant policy calls current_setting per row: wrap it in (SELECT …) so it is evaluated once per statement",
				fmt.Sprintf("-- recreate the policy with (SELECT nullif(current_setting('%s', true), '')::uuid)", c.cfg.Setting))
		}
		if !hasPermissive {
			c.add("TK208", Medium, t.String(),
				"no permissive policy grants the app role access: every query returns nothing and every write fails",
				fmt.Sprintf("CREATE POLICY app_all ON %s FOR ALL TO %s USING (true) WITH CHECK (true);",
					t.Ident(), quoteIdent(c.cfg.AppRole)))
		}
	}
	return nil
}

// tenantRestriction reports whether p is a restrictive policy on all
// commands that compares the tenant column with the setting, and whether
// it reads the setting per row rather than once per statement.
func (c *checker) tenantRestriction(p policy) (restricts, perRow bool) {
	if p.permissive || p.cmd != "*" {
		return false, false
	}
	perStatement, perRowForms := c.tenantPredicates()
	q, w := normalize(p.qual), normalize(p.check)
	switch {
	case slices.Contains(perStatement, q) && (w == "" || slices.Contains(perStatement, w)):
		return true, false
	case (slices.Contains(perStatement, q) || slices.Contains(perRowForms, q)) &&
		(w == "" || slices.Contains(perStatement, w) || slices.Contains(perRowForms, w)):
		return true, true
	}
	return false, false
}

// checkPolicyExpressions reports a policy of t that can fail open (TK204),
// grants access on a setting alone (TK205) or compares the tenant setting
// with another column (TK206). q and w are its normalized expressions.
func (c *checker) checkPolicyExpressions(t Table, p policy, q, w string) {
	object := t.String() + " policy " + p.name
	for _, expr := range []string{q, w} {
		if strings.Contains(expr, "current_setting(") &&
			(strings.Contains(expr, "isnull") || strings.Contains(expr, "coalesce(") || strings.Contains(expr, "isnottrue")) {
			c.add("TK204", Critical, object,
				"the policy can fail open: with the setting unset (NULL or '') it admits rows through IS NULL or coalesce",
				fmt.Sprintf("DROP POLICY %s ON %s; -- compare the tenant column with nullif(current_setting(...), '')::uuid only",
					quoteIdent(p.name), t.Ident()))
			break
		}
	}
	var settings []string
	for _, expr := range []string{p.qual, p.check} {
		for _, r := range settingRef.FindAllStringSubmatch(expr, -1) {
			settings = append(settings, r[1])
		}
	}
	if len(settings) == 0 {
		return
	}
	if p.permissive && len(p.columns) == 0 && p.otherRels == 0 {
		c.add("TK205", Critical, object,
			fmt.Sprintf("the policy grants access on the setting %s alone: any session can set it with set_config and bypass the tenant filter", settings[0]),
			fmt.Sprintf("DROP POLICY %s ON %s; -- give cross-tenant access to a separate database role instead",
				quoteIdent(p.name), t.Ident()))
		return
	}
	if slices.Contains(settings, c.cfg.Setting) && !slices.Contains(p.columns, c.cfg.TenantColumn) {
		c.add("TK206", High, object,
			fmt.Sprintf("the policy compares the tenant setting with %s, not with the tenant column", strings.Join(p.columns, ", ")),
			fmt.Sprintf("-- compare %s with the setting in %s", quoteIdent(c.cfg.TenantColumn), quoteIdent(p.name)))
	}
}

// checkCitusPolicy: DB-30. A sharded engine enforces a policy only through
// the distribution column: a policy of t that reads another column or
// another tenant-owned (distributed) table is not Citus-ready.
func (c *checker) checkCitusPolicy(t Table, p policy) {
	var other []string
	for _, col := range p.columns {
		if col != c.cfg.TenantColumn {
			other = append(other, col)
		}
	}
	if len(other) == 0 && p.otherRels == 0 {
		return
	}
	what := "columns " + strings.Join(other, ", ")
	if p.otherRels > 0 {
		what = fmt.Sprintf("%d other relation(s)", p.otherRels)
		if len(other) > 0 {
			what = "columns " + strings.Join(other, ", ") + " and " + what
		}
	}
	c.add("TK601", Medium, t.String()+" policy "+p.name,
		fmt.Sprintf("the policy reads %s besides the tenant column: once the table is distributed by the tenant column, such a policy is not enforced alike on every shard", what),
		fmt.Sprintf("-- move the rule into the application or a check constraint; keep %s's policies on %s only",
			t.Ident(), quoteIdent(c.cfg.TenantColumn)))
}

// checkCitusTypes: a distributed table is colocated with the tenants table
// only if its tenant column has the same type as the tenants key.
func (c *checker) checkCitusTypes(ctx context.Context) error {
	if !c.cfg.CitusReady || c.tenants == nil {
		return nil
	}
	var oid uint32
	var typ, want string
	return queryEach(ctx, c.q, `
		SELECT a.attrelid, format_type(a.atttypid, a.atttypmod), format_type(k.atttypid, k.atttypmod)
		FROM pg_attribute a
		JOIN pg_index i ON i.indrelid = $3::oid AND i.indisprimary AND i.indnatts = 1
		JOIN pg_attribute k ON k.attrelid = i.indrelid AND k.attnum = i.indkey[0]
		WHERE a.attrelid = ANY($1::oid[]) AND a.attname = $2 AND a.attnum > 0 AND NOT a.attisdropped
		  AND (a.atttypid, a.atttypmod) <> (k.atttypid, k.atttypmod)`,
		[]any{c.ownedOIDs(), c.cfg.TenantColumn, c.tenantsOID()}, []any{&oid, &typ, &want}, func() error {
			t := c.ownedSet[oid]
			c.add("TK602", Medium, t.String(),
				fmt.Sprintf("the tenant column is %s but the tenants key is %s: the table cannot be colocated with the tenants when distributed", typ, want),
				fmt.Sprintf("-- drop the policies that read the column, then:\nALTER TABLE %s ALTER COLUMN %s TYPE %s;\n-- and create them again",
					t.Ident(), quoteIdent(c.cfg.TenantColumn), want))
			return nil
		})
}

// checkForeignKeys: D2. A foreign key between tenant-owned tables pairs the
// tenant columns.
func (c *checker) checkForeignKeys(ctx context.Context) error {
	oids := c.ownedOIDs()
	attnums, err := c.tenantAttnums(ctx, oids)
	if err != nil {
		return err
	}
	var name string
	var from, to uint32
	var conkey, confkey []int16
	var cols, refCols []string
	return queryEach(ctx, c.q, `
		SELECT con.conname, con.conrelid, con.confrelid, con.conkey, con.confkey,
		       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, i)
		             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.i),
		       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, i)
		             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.i)
		FROM pg_constraint con
		WHERE con.contype = 'f' AND con.conrelid = ANY($1::oid[]) AND con.confrelid = ANY($1::oid[])`,
		[]any{oids}, []any{&name, &from, &to, &conkey, &confkey, &cols, &refCols}, func() error {
			paired := false
			for i := range conkey {
				if conkey[i] == attnums[from] && i < len(confkey) && confkey[i] == attnums[to] {
					paired = true
				}
			}
			if !paired {
				ft, tt := c.ownedSet[from], c.ownedSet[to]
				col := quoteIdent(c.cfg.TenantColumn)
				// The fixed key pairs the two tenant columns and keeps the
				// other pairs.
				var keep, keepRef []string
				for i := range cols {
					if i < len(refCols) && refCols[i] != c.cfg.TenantColumn {
						keep, keepRef = append(keep, cols[i]), append(keepRef, refCols[i])
					}
				}
				cols, refCols = keep, keepRef
				c.add("TK301", Critical, ft.String()+" constraint "+name,
					fmt.Sprintf("the foreign key to %s does not include the tenant column: a row can reference another tenant's row, and cascades cross tenants", tt),
					fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT %s,\n    ADD CONSTRAINT %s FOREIGN KEY (%s, %s) REFERENCES %s (%s, %s) NOT VALID;\nALTER TABLE %s VALIDATE CONSTRAINT %s;",
						ft.Ident(), quoteIdent(name), quoteIdent(name), col, identList(cols), tt.Ident(), col, identList(refCols),
						ft.Ident(), quoteIdent(name)))
			}
			return nil
		})
}

// identList quotes and joins column names.
func identList(cols []string) string {
	quoted := make([]string, len(cols))
	for i, c := range cols {
		quoted[i] = quoteIdent(c)
	}
	return strings.Join(quoted, ", ")
}

// checkUniques: D3. Every unique key of a tenant-owned table includes the
// tenant column, and so does every exclusion constraint, compared with =:
// both refuse a row because of another tenant's rows.
func (c *checker) checkUniques(ctx context.Context) error {
	var oid uint32
	var index, def string
	var exclusion bool
	return queryEach(ctx, c.q, `
		SELECT i.indrelid, ic.relname, pg_get_indexdef(i.indexrelid), i.indisexclusion
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attname = $2
		WHERE i.indrelid = ANY($1::oid[])
		  AND ((i.indisunique AND NOT (a.attnum = ANY(i.indkey)))
		    OR (i.indisexclusion AND NOT EXISTS (
		          SELECT 1 FROM pg_constraint x
		          JOIN LATERAL unnest(x.conkey, x.conexclop) AS k(attnum, op) ON true
		          JOIN pg_operator o ON o.oid = k.op
		          WHERE x.conindid = i.indexrelid AND k.attnum = a.attnum AND o.oprname = '=')))`,
		[]any{c.ownedOIDs(), c.cfg.TenantColumn}, []any{&oid, &index, &def, &exclusion}, func() error {
			t := c.ownedSet[oid]
			if exclusion {
				c.add("TK304", High, t.String()+" index "+index,
					"an exclusion constraint that does not compare the tenant column with =: another tenant's rows make an insert fail, which reveals them",
					fmt.Sprintf("-- replace %s\n-- with an exclusion constraint that starts with (%s WITH =) (needs btree_gist)", def, quoteIdent(c.cfg.TenantColumn)))
				return nil
			}
			c.add("TK302", High, t.String()+" index "+index,
				"a unique key without the tenant column: inserting a duplicate reveals that another tenant holds the value",
				fmt.Sprintf("-- replace %s\n-- with a unique key that starts with %s", def, quoteIdent(c.cfg.TenantColumn)))
			return nil
		})
}

// checkReferencesWithoutTenant: a table that references a tenant-owned table
// but has no tenant column belongs to some tenant without saying which.
func (c *checker) checkReferencesWithoutTenant(ctx context.Context) error {
	var name, schema, table, target string
	var from uint32
	return queryEach(ctx, c.q, `
		SELECT con.conname, con.conrelid, n.nspname, r.relname, con.confrelid::regclass::text
		FROM pg_constraint con
		JOIN pg_class r ON r.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = r.relnamespace
		WHERE con.contype = 'f' AND con.confrelid = ANY($1::oid[]) AND NOT (con.conrelid = ANY($1::oid[]))
		  AND n.nspname = ANY($2)`,
		[]any{c.ownedOIDs(), c.schemas}, []any{&name, &from, &schema, &table, &target}, func() error {
			t := Table{OID: from, Schema: schema, Name: table}
			if c.allowedGlobal(t) || (c.tenants != nil && from == c.tenants.OID) {
				return nil
			}
			c.add("TK303", High, t.String()+" constraint "+name,
				fmt.Sprintf("the table references the tenant-owned %s but has no tenant column: its rows belong to a tenant without row security", target),
				fmt.Sprintf("-- tenantkit adopt derives the column through the reference; by hand:\n"+
					"-- ALTER TABLE %s ADD COLUMN %s uuid; backfill it from %s, then NOT NULL, composite keys and row security",
					t.Ident(), quoteIdent(c.cfg.TenantColumn), target))
			return nil
		})
}

// checkViews: D6. No view over tenant tables without security_invoker, no
// materialized view over them that the app role can read.
func (c *checker) checkViews(ctx context.Context) error {
	var v Table
	var kind string
	var invoker, readable bool
	return queryEach(ctx, c.q, `
		WITH RECURSIVE deps(view_oid, base_oid) AS (
			SELECT r.ev_class, d.refobjid
			FROM pg_rewrite r JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
			WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
			UNION
			SELECT deps.view_oid, d.refobjid
			FROM deps JOIN pg_rewrite r ON r.ev_class = deps.base_oid
			JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
			WHERE d.refclassid = 'pg_class'::regclass AND d.refobjid <> r.ev_class
		)
		SELECT DISTINCT n.nspname, v.relname, v.relkind::text,
		       coalesce('security_invoker=true' = ANY(v.reloptions) OR 'security_invoker=on' = ANY(v.reloptions), false),
		       has_table_privilege($2, v.oid, 'SELECT')
		FROM deps JOIN pg_class v ON v.oid = deps.view_oid
		JOIN pg_namespace n ON n.oid = v.relnamespace
		WHERE deps.base_oid = ANY($1::oid[]) AND v.relkind IN ('v', 'm') AND n.nspname = ANY($3)`,
		[]any{c.ownedOIDs(), c.cfg.AppRole, c.schemas}, []any{&v.Schema, &v.Name, &kind, &invoker, &readable}, func() error {
			switch {
			case kind == "m" && readable:
				c.add("TK403", Critical, v.String(),
					"a materialized view over tenant-owned tables is readable by the app role: row security cannot apply to a materialized view",
					fmt.Sprintf("REVOKE ALL ON %s FROM %s; -- serve it through a function that filters by the current tenant", v.Ident(), quoteIdent(c.cfg.AppRole)))
			case kind == "v" && !invoker:
				sev := High
				if readable {
					sev = Critical
				}
				c.add("TK401", sev, v.String(),
					"a view over tenant-owned tables runs with its owner's rights (no security_invoker): it returns every tenant's rows",
					fmt.Sprintf("ALTER VIEW %s SET (security_invoker = true);", v.Ident()))
			}
			return nil
		})
}

// checkFunctions: D6. No SECURITY DEFINER function the app role can run, no
// IMMUTABLE function reading the tenant setting, no LEAKPROOF user function.
func (c *checker) checkFunctions(ctx context.Context) error {
	var name, ident, volatility string
	var definer, leakproof, executable bool
	var src string
	return queryEach(ctx, c.q, `
		SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
		       quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
		       p.prosecdef, p.proleakproof, p.provolatile::text,
		       has_function_privilege($1, p.oid, 'EXECUTE'), coalesce(p.prosrc, '')
		FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE n.nspname = ANY($2) AND p.prokind IN ('f', 'p')
		  AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')`,
		[]any{c.cfg.AppRole, c.schemas}, []any{&name, &ident, &definer, &leakproof, &volatility, &executable, &src}, func() error {
			if definer && executable {
				c.add("TK402", High, name,
					"a SECURITY DEFINER function the app role can execute runs past row security with its owner's rights",
					fmt.Sprintf("REVOKE EXECUTE ON FUNCTION %s FROM PUBLIC, %s; -- or make it SECURITY INVOKER; a reviewed definer function needs SET search_path and an explicit tenant filter", ident, quoteIdent(c.cfg.AppRole)))
			}
			if volatility == "i" && strings.Contains(src, c.cfg.Setting) {
				c.add("TK405", Critical, name,
					"an IMMUTABLE function reads the tenant setting: cached plans keep the first tenant's value and serve its rows to the next",
					fmt.Sprintf("ALTER FUNCTION %s STABLE;", ident))
			}
			if leakproof {
				c.add("TK406", High, name,
					"a user function marked LEAKPROOF runs before the tenant policy and can reveal other tenants' rows through errors or notices",
					fmt.Sprintf("ALTER FUNCTION %s NOT LEAKPROOF;", ident))
			}
			return nil
		})
}

// checkPartitions: partitions and inheritance children of tenant-owned
// tables need their own row security, or no privileges for the app role.
func (c *checker) checkPartitions(ctx context.Context) error {
	var child Table
	var enabled, forced, reachable bool
	return queryEach(ctx, c.q, `
		WITH RECURSIVE tree(child) AS (
			SELECT inhrelid FROM pg_inherits WHERE inhparent = ANY($1::oid[])
			UNION
			SELECT i.inhrelid FROM pg_inherits i JOIN tree ON i.inhparent = tree.child
		)
		SELECT n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity,
		       has_table_privilege($2, c.oid, 'SELECT') OR has_table_privilege($2, c.oid, 'INSERT')
		    OR has_table_privilege($2, c.oid, 'UPDATE') OR has_table_privilege($2, c.oid, 'DELETE')
		FROM tree JOIN pg_class c ON c.oid = tree.child JOIN pg_namespace n ON n.oid = c.relnamespace`,
		[]any{c.ownedOIDs(), c.cfg.AppRole}, []any{&child.Schema, &child.Name, &enabled, &forced, &reachable}, func() error {
			if reachable && !(enabled && forced) {
				c.add("TK404", Critical, child.String(),
					"a partition or inheritance child of a tenant-owned table is reachable by the app role without its own forced row security: querying it directly skips the parent's policy",
					fmt.Sprintf("REVOKE ALL ON %s FROM %s; -- or ENABLE and FORCE row security with the tenant policy on it", child.Ident(), quoteIdent(c.cfg.AppRole)))
			}
			return nil
		})
}

// checkAppRole: D5. The app role owns nothing and cannot truncate,
// reference, create or create temporary tables. Its attributes and the roles
// it can become are checked with the platform role's by checkRoles.
func (c *checker) checkAppRole(ctx context.Context) error {
	role := c.cfg.AppRole
	qrole := quoteIdent(role)
	var super bool
	if err := c.q.QueryRow(ctx, "SELECT rolsuper FROM pg_roles WHERE rolname = $1", role).Scan(&super); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if super {
		// A superuser holds every privilege below: they are moot until
		// TK501 is fixed.
		return nil
	}
	var name, ident, kind, newOwner string
	err := queryEach(ctx, c.q, `
		WITH app AS (SELECT oid FROM pg_roles WHERE rolname = $1)
		SELECT n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname), 'TABLE',
		       coalesce(nullif(pg_get_userbyid(CASE n.nspowner WHEN 'pg_database_owner'::regrole THEN d.datdba ELSE n.nspowner END), $1), '<owner role>')
		FROM pg_class c JOIN pg_database d ON d.datname = current_database() JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relowner = (SELECT oid FROM app) AND n.nspname = ANY($2) AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
		UNION ALL
		SELECT n.nspname || '.' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
		       quote_ident(n.nspname) || '.' || quote_ident(p.proname) || '(' || pg_get_function_identity_arguments(p.oid) || ')',
		       'FUNCTION', coalesce(nullif(pg_get_userbyid(CASE n.nspowner WHEN 'pg_database_owner'::regrole THEN d.datdba ELSE n.nspowner END), $1), '<owner role>')
		FROM pg_proc p JOIN pg_database d ON d.datname = current_database() JOIN pg_namespace n ON n.oid = p.pronamespace
		WHERE p.proowner = (SELECT oid FROM app) AND n.nspname = ANY($2)
		UNION ALL
		SELECT n.nspname, quote_ident(n.nspname), 'SCHEMA', '<owner role>'
		FROM pg_namespace n WHERE n.nspowner = (SELECT oid FROM app)
		ORDER BY 1`,
		[]any{role, c.schemas}, []any{&name, &ident, &kind, &newOwner}, func() error {
			c.add("TK503", Critical, strings.ToLower(kind)+" "+name,
				"the app role owns this object: an owner can disable row security, alter policies and skip them unless forced",
				fmt.Sprintf("ALTER %s %s OWNER TO %s;", kind, ident, quoteIdent(newOwner)))
			return nil
		})
	if err != nil {
		return err
	}
	var truncate, references bool
	err = queryEach(ctx, c.q, `
		SELECT n.nspname || '.' || c.relname, quote_ident(n.nspname) || '.' || quote_ident(c.relname),
		       has_table_privilege($1, c.oid, 'TRUNCATE'), has_any_column_privilege($1, c.oid, 'REFERENCES')
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($2)
		ORDER BY 1`,
		[]any{role, c.schemas}, []any{&name, &ident, &truncate, &references}, func() error {
			if truncate {
				c.add("TK504", Critical, name, "the app role can TRUNCATE: truncation ignores row security and empties the table for every tenant",
					fmt.Sprintf("REVOKE TRUNCATE ON %s FROM %s;", ident, qrole))
			}
			if references {
				c.add("TK505", High, name, "the app role holds REFERENCES: it can create foreign keys that probe other tenants' keys",
					fmt.Sprintf("REVOKE REFERENCES ON %s FROM %s;", ident, qrole))
			}
			return nil
		})
	if err != nil {
		return err
	}
	err = queryEach(ctx, c.q, `
		SELECT nspname FROM pg_namespace
		WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname NOT LIKE 'pg\_%'
		  AND has_schema_privilege($1, oid, 'CREATE') ORDER BY 1`,
		[]any{role}, []any{&name}, func() error {
			c.add("TK506", High, "schema "+name, "the app role can CREATE in this schema: it can build views, functions or tables that read past the rules",
				fmt.Sprintf("REVOKE CREATE ON SCHEMA %s FROM %s, PUBLIC;", quoteIdent(name), qrole))
			return nil
		})
	if err != nil {
		return err
	}
	var temp bool
	var db string
	if err := c.q.QueryRow(ctx, "SELECT current_database(), has_database_privilege($1, current_database(), 'TEMPORARY')", role).Scan(&db, &temp); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if temp {
		c.add("TK507", Medium, "database "+db, "the app role can create temporary tables: a temporary table shadows a real one through search_path",
			fmt.Sprintf("REVOKE TEMPORARY ON DATABASE %s FROM PUBLIC, %s;", quoteIdent(db), qrole))
	}
	return nil
}

// checkIndexes: a tenant-owned table has an index that leads with the tenant
// column, so the tenant's rows are found without reading the others'.
func (c *checker) checkIndexes(ctx context.Context) error {
	var oid uint32
	var indexed bool
	return queryEach(ctx, c.q, `
		SELECT a.attrelid, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = a.attrelid AND i.indkey[0] = a.attnum)
		FROM pg_attribute a WHERE a.attrelid = ANY($1::oid[]) AND a.attname = $2`,
		[]any{c.ownedOIDs(), c.cfg.TenantColumn}, []any{&oid, &indexed}, func() error {
			if !indexed {
				t := c.ownedSet[oid]
				c.add("TK104", Low, t.String(), "no index leads with the tenant column: every query reads other tenants' rows before the policy drops them",
					fmt.Sprintf("CREATE INDEX CONCURRENTLY ON %s (%s);", t.Ident(), quoteIdent(c.cfg.TenantColumn)))
			}
			return nil
		})
}

// checkAllowedSchemas holds the tables of the allowed schemas to one rule:
// the app role reaches none of them except under row security. A job
// queue's table the app role may write without it is a way to plant work
// that runs in another tenant's scope.
func (c *checker) checkAllowedSchemas(ctx context.Context) error {
	if len(c.cfg.AllowSchemas) == 0 {
		return nil
	}
	names := make([]string, 0, len(c.cfg.AllowSchemas))
	for n := range c.cfg.AllowSchemas {
		names = append(names, n)
	}
	var schema, table string
	return queryEach(ctx, c.q, `
		SELECT n.nspname, c.relname
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND NOT c.relrowsecurity
		  AND has_schema_privilege($2, n.oid, 'USAGE')
		  AND (has_table_privilege($2, c.oid, 'SELECT, INSERT, UPDATE, DELETE')
		       OR has_any_column_privilege($2, c.oid, 'SELECT, INSERT, UPDATE'))
		ORDER BY 1, 2`,
		[]any{names, c.cfg.AppRole}, []any{&schema, &table}, func() error {
			t := Table{Schema: schema, Name: table}
			c.add("TK521", High, t.String(),
				fmt.Sprintf("the app role can read or write this table of the allowed schema %s, and no row security confines it", schema),
				fmt.Sprintf("REVOKE ALL ON %s FROM %s; -- or ENABLE ROW LEVEL SECURITY with policies that confine the app role", t.Ident(), quoteIdent(c.cfg.AppRole)))
			return nil
		})
}

// checkCitusReferences: with CitusReady, a table that stays whole on every
// node (a reference table: every table that is not tenant-owned) may not
// have a foreign key to a tenant-owned (distributed) table; Citus refuses
// it. A key listed in [Config.CitusDropForeignKeys] is reported in the
// plan instead, to be dropped when the tables are distributed.
func (c *checker) checkCitusReferences(ctx context.Context) error {
	if !c.cfg.CitusReady {
		return nil
	}
	return c.eachReferenceToDistributed(ctx, func(t Table, name, target string) {
		if _, ok := c.cfg.CitusDropForeignKeys[t.String()+"."+name]; ok {
			return
		}
		if _, ok := c.cfg.CitusDropForeignKeys[t.Name+"."+name]; ok {
			return
		}
		c.add("TK603", Medium, t.String()+" constraint "+name,
			fmt.Sprintf("the table is not tenant-owned, so Citus keeps it as a reference table, and a foreign key from a reference table to the distributed %s is refused", target),
			fmt.Sprintf("-- enforce the rule another way (the application, or a trigger on %s), then:\nALTER TABLE %s DROP CONSTRAINT %s;",
				target, t.Ident(), quoteIdent(name)))
	})
}

// eachReferenceToDistributed calls fn for each foreign key from a table of
// the checked schemas that is not tenant-owned (nor in an allowed schema)
// to a tenant-owned table.
func (c *checker) eachReferenceToDistributed(ctx context.Context, fn func(t Table, name, target string)) error {
	var name, schema, table, target string
	var from uint32
	return queryEach(ctx, c.q, `
		SELECT con.conname, con.conrelid, n.nspname, r.relname, con.confrelid::regclass::text
		FROM pg_constraint con
		JOIN pg_class r ON r.oid = con.conrelid
		JOIN pg_namespace n ON n.oid = r.relnamespace
		WHERE con.contype = 'f' AND con.confrelid = ANY($1::oid[]) AND NOT (con.conrelid = ANY($1::oid[]))
		  AND n.nspname = ANY($2)
		ORDER BY n.nspname, r.relname, con.conname`,
		[]any{c.ownedOIDs(), c.schemas}, []any{&name, &from, &schema, &table, &target}, func() error {
			if _, ok := c.cfg.AllowSchemas[schema]; ok {
				return nil
			}
			fn(Table{OID: from, Schema: schema, Name: table}, name, target)
			return nil
		})
}

// checkCitusKeys: with CitusReady, every tenant-owned table has a primary
// key, which includes the tenant column (TK302 holds every unique key to
// that): a distributed table without one cannot be updated by key on its
// shard, nor replicated logically to a new node when shards move.
func (c *checker) checkCitusKeys(ctx context.Context) error {
	if !c.cfg.CitusReady {
		return nil
	}
	var oid uint32
	return queryEach(ctx, c.q, `
		SELECT c.oid FROM pg_class c
		WHERE c.oid = ANY($1::oid[])
		  AND NOT EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)`,
		[]any{c.ownedOIDs()}, []any{&oid}, func() error {
			t := c.ownedSet[oid]
			c.add("TK604", Medium, t.String(),
				"the tenant-owned table has no primary key: once distributed, its rows cannot be addressed by key on their shard nor moved between nodes by logical replication",
				fmt.Sprintf("ALTER TABLE %s ADD PRIMARY KEY (%s, id);", t.Ident(), quoteIdent(c.cfg.TenantColumn)))
			return nil
		})
}

// CitusPlan is how the checked database would be sharded by the tenant
// column with Citus: which tables are distributed, which are reference
// tables, and which foreign keys must go first.
type CitusPlan struct {
	// Distributed are the tenant-owned tables, distributed by the tenant
	// column and colocated, so a tenant's rows of every table share a node.
	Distributed []string `json:"distributed"`
	// Reference are the other tables of the checked schemas (the tenants
	// table and the ones global by design), copied whole to every node.
	Reference []string `json:"reference"`
	// DropForeignKeys are the foreign keys from a reference table to a
	// distributed one listed in Config.CitusDropForeignKeys, with the
	// reason: Citus refuses them, so they are dropped when distributing.
	DropForeignKeys []CitusForeignKey `json:"drop_foreign_keys,omitempty"`
}

// CitusForeignKey is a foreign key to drop before distributing, and why
// that is acceptable.
type CitusForeignKey struct {
	Table      string `json:"table"`
	Constraint string `json:"constraint"`
	Reason     string `json:"reason"`
}

// citusPlan lists the distributed and reference tables and the listed
// foreign keys to drop.
func (c *checker) citusPlan(ctx context.Context) (*CitusPlan, error) {
	p := &CitusPlan{Distributed: []string{}, Reference: []string{}}
	for _, t := range c.owned {
		p.Distributed = append(p.Distributed, t.String())
	}
	var schema, name string
	err := queryEach(ctx, c.q, `
		SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY($1) AND NOT c.relispartition AND NOT (c.oid = ANY($2::oid[]))
		ORDER BY n.nspname, c.relname`,
		[]any{c.schemas, c.ownedOIDs()}, []any{&schema, &name}, func() error {
			if _, ok := c.cfg.AllowSchemas[schema]; !ok && name != "goose_db_version" {
				p.Reference = append(p.Reference, schema+"."+name)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = c.eachReferenceToDistributed(ctx, func(t Table, name, _ string) {
		reason, ok := c.cfg.CitusDropForeignKeys[t.String()+"."+name]
		if !ok {
			reason, ok = c.cfg.CitusDropForeignKeys[t.Name+"."+name]
		}
		if ok {
			p.DropForeignKeys = append(p.DropForeignKeys, CitusForeignKey{Table: t.String(), Constraint: name, Reason: reason})
		}
	})
	return p, err
}
