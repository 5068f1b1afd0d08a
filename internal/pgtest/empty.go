package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/store/schema"
)

// NewEmpty returns an empty database for tb, dropped when tb ends: no
// tenantkit migrations, cloned from template0, as `tenantkit bootstrap`
// leaves a new database (owned by the owner role, CONNECT for the app and
// platform roles only, no TEMPORARY). Tests of migrations, of the audit on
// hand-written schemas, and of adopt on legacy schemas start from it.
func NewEmpty(tb testing.TB) *DB {
	tb.Helper()
	return newDB(tb, "template0")
}

// Role is a login role created for one test.
type Role struct {
	// Name is the role's name, unique on the server.
	Name string
	// URL connects as the role to the database it was created for.
	URL string
}

// NewRole creates a login role for tb that may connect to db: not a
// superuser, no BYPASSRLS, no other privilege. Whatever it owns or was
// granted in db goes when tb ends. Tests that change a role's
// attributes or memberships use one instead of the shared tenantkit roles,
// which every parallel test relies on.
func (db *DB) NewRole(tb testing.TB) Role {
	tb.Helper()
	ctx := context.Background()
	name := "tenantkit_role_" + randomHex(6)
	admin := mustAdmin(tb, db.AdminURL)
	defer admin.Close(ctx)
	ident := pgx.Identifier{name}.Sanitize()
	stmts := []string{
		"CREATE ROLE " + ident + " LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS",
		"GRANT CONNECT ON DATABASE " + pgx.Identifier{db.Name}.Sanitize() + " TO " + ident,
	}
	if srv.cluster == nil {
		stmts = append(stmts, "ALTER ROLE "+ident+" PASSWORD '"+testPassword+"'")
	}
	for _, s := range stmts {
		if _, err := admin.Exec(ctx, s); err != nil {
			tb.Fatalf("pgtest: create role: %v", err)
		}
	}
	tb.Cleanup(func() {
		admin := mustAdmin(tb, db.AdminURL)
		defer admin.Close(context.Background())
		// What it owns goes to the database's owner (objects of others may
		// depend on it), what it was granted goes with it.
		for _, s := range []string{
			"REASSIGN OWNED BY " + ident + " TO " + pgx.Identifier{schema.OwnerRole}.Sanitize(),
			"DROP OWNED BY " + ident,
			"DROP ROLE " + ident,
		} {
			if _, err := admin.Exec(context.Background(), s); err != nil {
				tb.Errorf("pgtest: drop role: %v", err)
				return
			}
		}
	})
	return Role{Name: name, URL: srv.url(name, db.Name)}
}

func mustAdmin(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatalf("pgtest: connect as admin: %v", err)
	}
	return conn
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}
