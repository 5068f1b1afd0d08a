package schemaaudit

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// The checks of this file ask what a role can become, beyond what it is
// granted on tables: the attributes it holds, and every role it reaches
// through pg_auth_members, directly or through other roles, whether it
// inherits their privileges or must SET ROLE to use them. After an SQL
// injection, any of these is the way from one tenant to all of them.

// auditedRole is a role whose attributes and memberships are checked.
type auditedRole struct {
	name  string
	label string // how messages name it: "the app role"
	// confined: row security holds it to one tenant, so a role it can
	// become that is not held so is a way out (TK519).
	confined bool
}

func (c *checker) auditedRoles() []auditedRole {
	roles := []auditedRole{{name: c.cfg.AppRole, label: "the app role", confined: true}}
	if p := c.cfg.PlatformRole; p != "" && p != c.cfg.AppRole {
		roles = append(roles, auditedRole{name: p, label: "the platform role"})
	}
	return roles
}

// reachedRole is a role that an audited role can act as through grants of
// role membership.
type reachedRole struct {
	oid  uint32
	name string
	// settable: the audited role can SET ROLE to it. Otherwise it only
	// inherits its privileges (a role attribute such as SUPERUSER or
	// BYPASSRLS is never inherited).
	settable bool
	// path names the granted roles in turn, from the one granted to the
	// audited role to this one (its last element).
	path []string

	super, bypassRLS, createRole, createDB, replication bool
	// ownsTables: it owns a relation of the checked schemas.
	ownsTables bool
}

// how says in a message how the audited role reaches r.
func (r reachedRole) how() string {
	via := ""
	if len(r.path) > 1 {
		via = " (granted through " + strings.Join(r.path[:len(r.path)-1], " → ") + ")"
	}
	if r.settable {
		return "can SET ROLE " + r.name + via
	}
	return "inherits the privileges of " + r.name + via
}

// revoke is the SQL that cuts the path from role to r at its first grant.
func (r reachedRole) revoke(role string) string {
	fix := fmt.Sprintf("REVOKE %s FROM %s;", quoteIdent(r.path[0]), quoteIdent(role))
	if len(r.path) > 1 {
		fix += "\n-- or revoke another grant of the path " + role + " → " + strings.Join(r.path, " → ")
	}
	return fix
}

// reachedRoles walks pg_auth_members from role, transitively, and returns
// every role it reaches, each once, with a path that can SET ROLE where one
// exists, and the shortest such.
//
// Which grants carry what changed in PostgreSQL 16. Before, every grant
// lets the member SET ROLE (NOINHERIT only stops the privileges flowing
// without it), and privileges are inherited through members that have the
// INHERIT attribute. From 16, each grant has its own SET and INHERIT
// options (pg_auth_members.set_option, inherit_option). The walk reads the
// options where the columns exist and the attribute otherwise, through
// to_jsonb so that one query runs on both. A grant WITH ADMIN OPTION counts
// as both: its holder can grant the role to itself again with them.
//
// A role reached by SET ROLE passes on what it can SET ROLE to and what it
// inherits; a role whose privileges are only inherited passes on only what
// it inherits.
func (c *checker) reachedRoles(ctx context.Context, role string) ([]reachedRole, error) {
	var out []reachedRole
	var r reachedRole
	err := queryEach(ctx, c.q, `
		WITH RECURSIVE grants AS (
			SELECT m.member, m.roleid, m.admin_option AS admin,
			       coalesce((to_jsonb(m) ->> 'set_option')::boolean, true) AS can_set,
			       coalesce((to_jsonb(m) ->> 'inherit_option')::boolean, r.rolinherit) AS can_inherit
			FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.member
		), reach(roleid, settable, path) AS (
			SELECT oid, true, ARRAY[oid] FROM pg_roles WHERE rolname = $1
			UNION ALL
			SELECT g.roleid, (r.settable AND g.can_set) OR g.admin, r.path || g.roleid
			FROM reach r JOIN grants g ON g.member = r.roleid
			WHERE ((r.settable AND g.can_set) OR g.can_inherit OR g.admin) AND g.roleid <> ALL (r.path)
		), best AS (
			SELECT DISTINCT ON (roleid) roleid, settable, path FROM reach
			WHERE cardinality(path) > 1
			ORDER BY roleid, settable DESC, cardinality(path)
		)
		SELECT t.oid, t.rolname, b.settable,
		       ARRAY(SELECT p.rolname::text FROM unnest(b.path[2:]) WITH ORDINALITY u(oid, i)
		             JOIN pg_roles p ON p.oid = u.oid ORDER BY u.i),
		       t.rolsuper, t.rolbypassrls, t.rolcreaterole, t.rolcreatedb, t.rolreplication,
		       EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		               WHERE c.relowner = t.oid AND n.nspname = ANY($2))
		FROM best b JOIN pg_roles t ON t.oid = b.roleid
		ORDER BY t.rolname`,
		[]any{role, c.schemas},
		[]any{&r.oid, &r.name, &r.settable, &r.path, &r.super, &r.bypassRLS, &r.createRole, &r.createDB, &r.replication, &r.ownsTables},
		func() error { out = append(out, r); return nil })
	return out, err
}

// server holds the facts of the server that decide what an attribute is
// worth.
type server struct {
	version  int    // server_version_num: 150004 is 15.4
	walLevel string // minimal, replica or logical
}

// createRole says what CREATEROLE gives on this server, and how bad that is.
func (s server) createRole() (Severity, string) {
	if s.version < 160000 {
		return Critical, "before PostgreSQL 16 it can grant itself any role but a superuser — the tables' owner, " +
			"pg_read_all_data, pg_execute_server_program — and with it every tenant's rows"
	}
	return Medium, "it can create login roles of its own, a way back in that outlives a password change; " +
		"since PostgreSQL 16 it needs ADMIN OPTION to grant roles it did not create"
}

// replication says what REPLICATION gives on this server, to the role
// that holds it (which can open a replication connection where pg_hba.conf
// admits one) and to a role that can only SET ROLE to a holder (which can
// use the replication functions of SQL).
func (s server) replication() (direct, viaSetRole Severity, directMsg, viaSetRoleMsg string) {
	const decode = "pg_create_logical_replication_slot and pg_logical_slot_get_changes decode every row every tenant writes, over plain SQL"
	if s.walLevel == "logical" {
		return Critical, Critical, "wal_level is logical: " + decode, "wal_level is logical: " + decode
	}
	return High, Medium,
		"where pg_hba.conf admits its replication connection it streams the WAL or takes a base backup, " +
			"which carry every tenant's rows; once wal_level is logical, " + decode,
		"a replication slot it creates keeps WAL until the disk fills; once wal_level is logical, " + decode
}

// predefined are PostgreSQL's predefined roles whose members reach past
// row security or into other sessions, with what membership gives. The
// others (pg_read_all_settings, pg_stat_scan_tables, pg_checkpoint,
// pg_use_reserved_connections, pg_create_subscription without CREATE on
// the database, pg_maintain, ...) reach no tenant's rows. pg_monitor is
// a member of pg_read_all_stats, and found through it.
var predefined = map[string]struct {
	code string
	sev  Severity
	what string
}{
	"pg_execute_server_program": {"TK515", Critical,
		"it runs programs on the database server as the server's operating-system user (COPY … TO PROGRAM), who reads every tenant's rows in the data files"},
	"pg_read_server_files": {"TK515", Critical,
		"it reads any file the server's operating-system user can (COPY … FROM a file, into any table it may write outside row security): " +
			"the data files hold every tenant's rows"},
	"pg_write_server_files": {"TK515", Critical,
		"it writes any file the server's operating-system user can (COPY … TO a file): the server's own configuration among them, and with it a program the server runs"},
	"pg_read_all_data": {"TK516", Critical,
		"it reads every table, view and sequence without a grant: row security still filters the tenant tables, " +
			"but not the tables outside it (job queues, logs, the platform's) nor the columns the grants withhold"},
	"pg_write_all_data": {"TK516", Critical,
		"it writes every table without a grant: row security still checks the tenant tables, " +
			"but not the tables outside it, such as the tenants themselves and the job queue whose jobs act in another tenant"},
	"pg_read_all_stats": {"TK517", High,
		"it sees every session's current query (pg_stat_activity) and every statement's statistics: other tenants' queries, and any value written into them"},
	"pg_signal_backend": {"TK518", Medium,
		"it cancels and terminates other sessions (pg_cancel_backend, pg_terminate_backend): other tenants' requests fail"},
}

// checkRoles: D5. No audited role is a superuser, bypasses row security or
// holds an attribute that leads there, and none can become a role that
// does, or that owns the tables.
func (c *checker) checkRoles(ctx context.Context) error {
	var s server
	if err := c.q.QueryRow(ctx, "SELECT current_setting('server_version_num')::int, current_setting('wal_level')").Scan(&s.version, &s.walLevel); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	for _, a := range c.auditedRoles() {
		if err := c.checkRole(ctx, s, a); err != nil {
			return err
		}
	}
	return nil
}

func (c *checker) checkRole(ctx context.Context, s server, a auditedRole) error {
	object, qrole := "role "+a.name, quoteIdent(a.name)
	var oid uint32
	var super, bypass, createRole, replication, createDB bool
	err := c.q.QueryRow(ctx, "SELECT oid, rolsuper, rolbypassrls, rolcreaterole, rolreplication, rolcreatedb FROM pg_roles WHERE rolname = $1", a.name).
		Scan(&oid, &super, &bypass, &createRole, &replication, &createDB)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	if super {
		c.add("TK501", Critical, object,
			a.label+" is a superuser: row security does not apply to it, and SET SESSION AUTHORIZATION makes it any role",
			fmt.Sprintf("ALTER ROLE %s NOSUPERUSER;", qrole))
		// A superuser holds everything below: it is moot until this is
		// fixed.
		return nil
	}
	if bypass {
		c.add("TK502", Critical, object, a.label+" has BYPASSRLS: row security does not apply to it",
			fmt.Sprintf("ALTER ROLE %s NOBYPASSRLS;", qrole))
	}
	if createRole {
		sev, what := s.createRole()
		c.add("TK509", sev, object, a.label+" has CREATEROLE: "+what,
			fmt.Sprintf("ALTER ROLE %s NOCREATEROLE;", qrole))
	}
	if replication {
		sev, _, what, _ := s.replication()
		c.add("TK510", sev, object, a.label+" has REPLICATION: "+what,
			fmt.Sprintf("ALTER ROLE %s NOREPLICATION;", qrole))
	}
	if createDB {
		c.add("TK511", Medium, object,
			a.label+" has CREATEDB: it can create databases of its own, where none of these rules hold, fill the disk with them, "+
				"and copy any database marked as a template",
			fmt.Sprintf("ALTER ROLE %s NOCREATEDB;", qrole))
	}
	reached, err := c.reachedRoles(ctx, a.name)
	if err != nil {
		return err
	}
	for _, r := range reached {
		var why []string
		if r.settable && r.super {
			why = append(why, "is a superuser: row security does not apply to it")
		}
		if r.settable && r.bypassRLS {
			why = append(why, "has BYPASSRLS: row security does not apply to it")
		}
		if r.ownsTables {
			why = append(why, "owns tables: an owner can disable row security and rewrite the policies")
		}
		if len(why) > 0 {
			c.add("TK508", Critical, object,
				fmt.Sprintf("%s %s, which %s", a.label, r.how(), strings.Join(why, "; and ")),
				r.revoke(a.name))
		}
		if r.settable && r.super {
			continue // TK508 holds everything below
		}
		// Attributes are used only through SET ROLE.
		if r.settable && r.createRole {
			sev, what := s.createRole()
			c.add("TK512", sev, object, fmt.Sprintf("%s %s, which has CREATEROLE: %s", a.label, r.how(), what), r.revoke(a.name))
		}
		if r.settable && r.replication {
			_, sev, _, what := s.replication()
			c.add("TK513", sev, object, fmt.Sprintf("%s %s, which has REPLICATION: %s", a.label, r.how(), what), r.revoke(a.name))
		}
		if r.settable && r.createDB {
			c.add("TK514", Medium, object,
				fmt.Sprintf("%s %s, which has CREATEDB: it can create databases of its own, where none of these rules hold, and fill the disk with them", a.label, r.how()),
				r.revoke(a.name))
		}
		// Predefined roles give their privileges either way.
		if p, ok := predefined[r.name]; ok {
			c.add(p.code, p.sev, object, fmt.Sprintf("%s %s: %s", a.label, r.how(), p.what), r.revoke(a.name))
		}
		// Policies apply to the current role: as r, the audited role's
		// own restrictive tenant policy no longer does.
		if a.confined && r.settable && len(why) == 0 {
			tables, err := c.unconfinedTables(ctx, r.oid)
			if err != nil {
				return err
			}
			if len(tables) > 0 {
				c.add("TK519", Critical, object,
					fmt.Sprintf("%s %s, which the policies of %s admit with no tenant restriction: as %s it reads (and writes, where its grants allow) every tenant's rows there",
						a.label, r.how(), strings.Join(tables, ", "), r.name),
					r.revoke(a.name))
			}
		}
	}
	return c.checkDefaultPrivileges(ctx, a, oid, reached)
}

// checkDefaultPrivileges: D5 for the tables not created yet. Default
// privileges (ALTER DEFAULT PRIVILEGES, pg_default_acl) that give the
// audited role, PUBLIC or a role it reaches TRUNCATE or REFERENCES on
// tables created later, anywhere, or any privilege on tables created later
// in a schema of tenant tables (or in every schema): such a table is open
// to the app the moment it exists, before anyone gives it row security.
func (c *checker) checkDefaultPrivileges(ctx context.Context, a auditedRole, oid uint32, reached []reachedRole) error {
	grantees := []uint32{oid}
	how := map[string]string{}
	for _, r := range reached {
		grantees = append(grantees, r.oid)
		how[r.name] = r.how()
	}
	tenantSchemas := map[string]bool{}
	for _, t := range c.owned {
		tenantSchemas[t.Schema] = true
	}
	var owner, schema, grantee string
	var privileges []string
	return queryEach(ctx, c.q, `
		SELECT pg_get_userbyid(d.defaclrole), coalesce(n.nspname, ''),
		       CASE a.grantee WHEN 0 THEN '' ELSE pg_get_userbyid(a.grantee) END,
		       array_agg(a.privilege_type ORDER BY a.privilege_type)
		FROM pg_default_acl d
		LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace
		CROSS JOIN LATERAL aclexplode(d.defaclacl) a
		WHERE d.defaclobjtype = 'r' AND d.defaclrole <> $1::oid AND a.grantee <> d.defaclrole
		  AND (a.grantee = 0 OR a.grantee = ANY($2::oid[]))
		GROUP BY d.defaclrole, n.nspname, a.grantee
		ORDER BY 1, 2, 3`,
		[]any{oid, grantees}, []any{&owner, &schema, &grantee, &privileges}, func() error {
			everywhere := schema == "" || tenantSchemas[schema]
			var flagged, why []string
			for _, p := range privileges {
				if everywhere || p == "TRUNCATE" || p == "REFERENCES" {
					flagged = append(flagged, p)
				}
			}
			if len(flagged) == 0 {
				return nil
			}
			where, object, inSchema := "in any schema", "default privileges of "+owner+" in every schema", ""
			if schema != "" {
				where, object = "in schema "+schema, "default privileges of "+owner+" in schema "+schema
				inSchema = " IN SCHEMA " + quoteIdent(schema)
			}
			if everywhere {
				why = append(why, "a table created there later is open to it the moment it exists, before anyone gives it row security")
			}
			if slices.Contains(flagged, "TRUNCATE") {
				why = append(why, "TRUNCATE ignores row security and empties a table for every tenant")
			}
			if slices.Contains(flagged, "REFERENCES") {
				why = append(why, "REFERENCES lets it create foreign keys that probe other tenants' keys")
			}
			who, from := a.label, quoteIdent(grantee)
			switch {
			case grantee == "":
				who, from = "PUBLIC, and so "+a.label+",", "PUBLIC"
			case grantee != a.name:
				who = fmt.Sprintf("%s (%s %s)", grantee, a.label, how[grantee])
			}
			c.add("TK520", High, object,
				fmt.Sprintf("default privileges give %s %s on every table %s creates %s: %s",
					who, strings.Join(flagged, ", "), owner, where, strings.Join(why, "; ")),
				fmt.Sprintf("ALTER DEFAULT PRIVILEGES FOR ROLE %s%s REVOKE %s ON TABLES FROM %s;",
					quoteIdent(owner), inSchema, strings.Join(flagged, ", "), from))
			return nil
		})
}

// unconfinedTables returns the tenant-owned tables, with row security
// enabled, on which role holds a privilege over rows and whose policies
// for it admit rows with no restrictive tenant policy among them: as role,
// a session reads or writes every tenant's rows there.
func (c *checker) unconfinedTables(ctx context.Context, role uint32) ([]string, error) {
	byTable := map[uint32][]policy{}
	var p policy
	err := queryEach(ctx, c.q, `
		SELECT pol.polrelid, pol.polname, pol.polcmd::text, pol.polpermissive,
		       coalesce(pg_get_expr(pol.polqual, pol.polrelid), ''),
		       coalesce(pg_get_expr(pol.polwithcheck, pol.polrelid), '')
		FROM pg_policy pol JOIN pg_class t ON t.oid = pol.polrelid
		WHERE pol.polrelid = ANY($1::oid[]) AND t.relrowsecurity
		  AND (has_any_column_privilege($2::oid, t.oid, 'SELECT, INSERT, UPDATE') OR has_table_privilege($2::oid, t.oid, 'DELETE'))
		  AND (0 = ANY(pol.polroles) OR EXISTS (
		        SELECT 1 FROM unnest(pol.polroles) r WHERE pg_has_role($2::oid, r, 'USAGE')))`,
		[]any{c.ownedOIDs(), role}, []any{&p.table, &p.name, &p.cmd, &p.permissive, &p.qual, &p.check},
		func() error { byTable[p.table] = append(byTable[p.table], p); return nil })
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range c.owned {
		admitted, restricted := false, false
		for _, p := range byTable[t.OID] {
			admitted = admitted || p.permissive
			if ok, _ := c.tenantRestriction(p); ok {
				restricted = true
			}
		}
		if admitted && !restricted {
			out = append(out, t.String())
		}
	}
	return out, nil
}
