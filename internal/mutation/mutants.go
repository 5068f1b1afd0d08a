// Package mutation breaks tenantkit's isolation protections on purpose, one
// at a time, to show that the tests notice: a protection whose removal no
// test notices is not tested.
//
// # Mutants
//
// A schema mutant is SQL run after the migrations, as the schema's owner:
// it drops, loosens or bypasses a database protection. A code mutant is a
// set of exact edits to the source. Each mutant names the test packages
// that should kill it, cheapest first.
//
// # Where they run
//
// `make mutation` (cmd/tenantkit-mutate) copies the module to a temporary
// directory per mutant, applies it there (a schema mutant as one more
// migration, so every test database is built with it), and runs the named
// packages' tests; the mutant is killed when at least one test fails. Each
// run starts its own throwaway PostgreSQL cluster, so even mutants that
// change roles stay in their copy.
//
// Every `go test` also applies the schema mutants, in process, to fresh test
// databases and runs the database suite of package store against them
// (store/mutants_test.go), and checks that every code mutant still applies
// to the source (this package's tests).
package mutation

// Mutant is one deliberate break of a protection.
type Mutant struct {
	// Name identifies the mutant (make mutation RUN=name).
	Name string
	// Breaks says which protection is removed, and how.
	Breaks string
	// SQL, for a schema mutant, runs after the migrations as the owner.
	SQL string
	// Tables are the tables a schema mutant changes: the in-process run
	// attacks them.
	Tables []string
	// Edits, for a code mutant, are applied to the source.
	Edits []Edit
	// Packages are the test packages run against the mutant, cheapest
	// first.
	Packages []string
}

// Edit replaces Old, which must occur exactly once in File (relative to
// the module root), by New.
type Edit struct {
	File, Old, New string
}

// Schema reports whether m is a schema mutant.
func (m Mutant) Schema() bool { return m.SQL != "" }

// policyPredicate is the tenant predicate of every restrictive policy.
const policyPredicate = "tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid)"

var dbPackages = []string{"./store/", "./web/", "./probe/"}

var webPackages = []string{"./web/...", "./probe/"}

// Mutants are the mutants, schema mutants first.
var Mutants = []Mutant{
	{
		Name: "drop-tenant-policy", Breaks: "DESIGN D4: the restrictive tenant policy of services is dropped; its permissive policy USING (true) is left alone",
		SQL:    "DROP POLICY tenant_isolation ON services;",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "permissive-tenant-policy", Breaks: "DESIGN D4: the tenant policy of services becomes permissive, ORed with the permissive USING (true) beside it",
		SQL: "DROP POLICY tenant_isolation ON services;\n" +
			"CREATE POLICY tenant_isolation ON services AS PERMISSIVE FOR ALL TO tenantkit_app USING (" + policyPredicate + ") WITH CHECK (" + policyPredicate + ");",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "fail-open-policy", Breaks: "THREATS DB-05: the tenant policy of services also matches when no tenant is set",
		SQL: "ALTER POLICY tenant_isolation ON services USING (" + policyPredicate +
			" OR (SELECT nullif(current_setting('app.current_tenant_id', true), '')) IS NULL);",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "no-force", Breaks: "DESIGN D4: services no longer forces row security, so its owner (and anything running as it) reads every tenant",
		SQL:    "ALTER TABLE services NO FORCE ROW LEVEL SECURITY;",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "single-column-fk", Breaks: "DESIGN D2: service_versions references services by id alone, so a version of one tenant can point at another tenant's service",
		SQL: "ALTER TABLE services ADD CONSTRAINT services_id_key UNIQUE (id);\n" +
			"ALTER TABLE service_versions DROP CONSTRAINT service_versions_tenant_id_service_id_fkey;\n" +
			"ALTER TABLE service_versions ADD CONSTRAINT service_versions_service_id_fkey FOREIGN KEY (service_id) REFERENCES services (id) ON DELETE CASCADE;",
		Tables: []string{"services", "service_versions"}, Packages: dbPackages,
	},
	{
		Name: "global-unique-name", Breaks: "DESIGN D3, THREATS DB-11: service names are unique across tenants, so a conflict reveals another tenant's service",
		SQL:    "CREATE UNIQUE INDEX services_name_key ON services (name);",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "truncate-grant", Breaks: "DESIGN D5, THREATS DB-14: the app role may TRUNCATE services, which row security does not cover",
		SQL:    "GRANT TRUNCATE ON services TO tenantkit_app;",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "owner-view", Breaks: "DESIGN D6, THREATS DB-08: a view over services without security_invoker, granted to the app role, reads as its owner",
		SQL:    "CREATE VIEW services_everywhere AS SELECT * FROM services;\nGRANT SELECT ON services_everywhere TO tenantkit_app;",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "owner-view-unforced", Breaks: "DESIGN D4 and D6 together: the owner's view over services, and services no longer forcing row security on its owner, so the view returns every tenant's rows",
		SQL: "ALTER TABLE services NO FORCE ROW LEVEL SECURITY;\n" +
			"CREATE VIEW services_everywhere AS SELECT * FROM services;\nGRANT SELECT ON services_everywhere TO tenantkit_app;",
		Tables: []string{"services"}, Packages: dbPackages,
	},
	{
		Name: "session-setting", Breaks: "DESIGN A2, THREATS POOL-01: the tenant is set with is_local = false, so it outlives the transaction on the pooled connection",
		Edits: []Edit{
			{File: "store/tenant.go", Old: `"', $1, true), set_config('" + schema.AccountSetting + "', $2, true)"
`, New: `"', $1, false), set_config('" + schema.AccountSetting + "', $2, false)"
`},
			{File: "store/tenant.go", Old: `"', $1, true), set_config('" + schema.AccountSetting + "', $2, true), set_config('transaction_read_only'`,
				New: `"', $1, false), set_config('" + schema.AccountSetting + "', $2, false), set_config('transaction_read_only'`},
		},
		Packages: []string{"./store/", "./probe/"},
	},
	{
		Name: "app-filter-dropped", Breaks: "DESIGN step 8: reading a service by id no longer filters tenant_id in SQL; row security alone is left",
		Edits: []Edit{{File: "store/internal/db/services.sql.go",
			Old: "created_at, updated_at FROM services WHERE tenant_id = $1 AND id = $2\n`\n\ntype GetServiceParams",
			New: "created_at, updated_at FROM services WHERE $1::uuid IS NOT NULL AND id = $2\n`\n\ntype GetServiceParams"}},
		Packages: []string{"./store/", "./web/", "./probe/"},
	},
	{
		Name: "binding-skipped", Breaks: "DESIGN step 5: the binding check the middleware runs (auth.AuthenticateTenant) no longer compares the host's tenant with the token's and the cookie's: a session is served on any tenant's host, in its own tenant",
		Edits: []Edit{
			{File: "auth/service.go", Old: "	if sess.TenantID != t.ID {\n		if sess.TenantID == uuid.Nil {\n			return Session{}, forbidden(\"platform session on a tenant host\")\n		}\n		return Session{}, forbidden(\"token names another tenant\")\n	}",
				New: "	if sess.TenantID == uuid.Nil {\n		return Session{}, forbidden(\"platform session on a tenant host\")\n	}"},
			{File: "auth/service.go", Old: "	case sig.TenantID != t.ID:", New: "	case false && sig.TenantID != t.ID:"},
		},
		Packages: webPackages,
	},
	{
		Name: "binding-ignored", Breaks: "DESIGN step 5: the middleware lets a request through when the binding of host, token and tenant cookie is refused (the role check then sees no role)",
		Edits: []Edit{{File: "web/binding.go",
			Old: "		pr, err := s.auth.AuthenticateTenant(ctx, h.Tenant, route.Credentials(r))\n		if err != nil {",
			New: "		pr, err := s.auth.AuthenticateTenant(ctx, h.Tenant, route.Credentials(r))\n		if err != nil && !tenant.IsCode(err, tenant.CodeForbidden) {"}},
		Packages: webPackages,
	},
	{
		Name: "tenant-sig-unchecked", Breaks: "DESIGN step 5, THREATS AUTH-09: the signed tenant cookie is verified but not compared with the host, the token's account and session",
		Edits: []Edit{{File: "auth/service.go",
			Old: "	switch {\n	case sig.TenantID != t.ID:",
			New: "	switch {\n	case false && sig.TenantID != t.ID:"},
			{File: "auth/service.go", Old: "	case sig.AccountID != sess.AccountID:", New: "	case false && sig.AccountID != sess.AccountID:"},
			{File: "auth/service.go", Old: "	case sig.SessionID != sess.ID:", New: "	case false && sig.SessionID != sess.ID:"}},
		Packages: webPackages,
	},
	{
		Name: "header-names-tenant", Breaks: "THREATS REQ-01: X-Tenant-* headers are no longer stripped, and X-Tenant-Id replaces the bound tenant of the scope",
		Edits: []Edit{
			{File: "web/edge.go", Old: `const strippedHeaderPrefix = "x-tenant"`, New: `const strippedHeaderPrefix = "x-tenant-never-sent-by-anyone"`},
			{File: "web/binding.go", Old: "		ctx = pr.Context(ctx)\n",
				New: "		if id, err := uuid.Parse(r.Header.Get(\"X-Tenant-Id\")); err == nil {\n			pr.Scope.TenantID = id\n		}\n		ctx = pr.Context(ctx)\n"},
			{File: "web/binding.go", Old: "	\"go.opentelemetry.io/otel/attribute\"\n",
				New: "	\"github.com/google/uuid\"\n	\"go.opentelemetry.io/otel/attribute\"\n"},
		},
		Packages: webPackages,
	},
	{
		Name: "role-unchecked", Breaks: "DESIGN step 6: a route's minimum role is not enforced",
		Edits:    []Edit{{File: "web/binding.go", Old: "		if !pr.Scope.Role.AtLeast(p.MinRole) {", New: "		if false && !pr.Scope.Role.AtLeast(p.MinRole) {"}},
		Packages: webPackages,
	},
	{
		Name: "service-role-unchecked", Breaks: "a domain service trusts its caller with the role: Require admits everyone",
		Edits:    []Edit{{File: "tenant/tenant.go", Old: "	if !s.Role.AtLeast(min) {\n		return Scope{}, &Error{", New: "	if false && !s.Role.AtLeast(min) {\n		return Scope{}, &Error{"}},
		Packages: []string{"./tenant", "./catalog", "./members", "./settings", "./requests"},
	},
	{
		Name: "revocation-ignored", Breaks: "DESIGN step 4: a session ended by logout or member removal still authenticates",
		// Both forms of the per-request check: the one that records the
		// use, and the one a read-only database falls back to.
		Edits: []Edit{{File: "store/internal/db/identity.sql.go",
			Old: "      AND s.revoked_at IS NULL AND s.expires_at > $4::timestamptz\n",
			New: "      AND s.expires_at > $4::timestamptz\n"}, {File: "store/internal/db/identity.sql.go",
			Old: "      AND m.removed_at IS NULL AND a.disabled_at IS NULL AND a.session_version = $5\n",
			New: "      AND a.disabled_at IS NULL AND a.session_version = $5\n"}, {File: "store/internal/db/identity.sql.go",
			Old: "\n  AND s.revoked_at IS NULL AND s.expires_at > $4::timestamptz\n",
			New: "\n  AND s.expires_at > $4::timestamptz\n"}, {File: "store/internal/db/identity.sql.go",
			Old: "\n  AND m.removed_at IS NULL AND a.disabled_at IS NULL AND a.session_version = $5\n",
			New: "\n  AND a.disabled_at IS NULL AND a.session_version = $5\n"}, {File: "store/sessioncheck.go",
			// And the check that travels with a request's first statement.
			Old: "      AND s.revoked_at IS NULL AND s.expires_at > $7::timestamptz\n",
			New: "      AND s.expires_at > $7::timestamptz\n"}, {File: "store/sessioncheck.go",
			Old: "      AND m.id = $4 AND m.role = $5::text AND m.removed_at IS NULL\n",
			New: "      AND m.id = $4 AND m.role = $5::text\n"}},
		Packages: webPackages,
	},
	{
		Name: "session-check-dropped", Breaks: "DESIGN step 4: the session check deferred to a request's first statement is never sent, so a session ended after its last full check still reads",
		Edits:    []Edit{{File: "store/sessioncheck.go", Old: "	if c == nil || c.state.Load() != checkPending {\n		return false\n	}", New: "	if true {\n		return false\n	}"}},
		Packages: webPackages,
	},
	{
		Name: "cursor-unbound", Breaks: "THREATS API-06: a list cursor is not bound to the tenant and account that were handed it",
		Edits:    []Edit{{File: "web/route/cursor.go", Old: "	if payload.Tenant != s.TenantID || payload.Account != s.AccountID || payload.Operation != op {", New: "	if payload.Operation != op {"}},
		Packages: webPackages,
	},
}
