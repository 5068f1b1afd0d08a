// Package pgtest gives tests a real PostgreSQL database with tenantkit's
// schema, reached as the app role.
//
// One server serves a whole test process: the server named by
// TEST_DATABASE_URL (a superuser connection; the roles are bootstrapped on
// it), or else a throwaway cluster started from the local PostgreSQL
// binaries (see internal/pgcluster) and removed when the tests end. The
// schema is migrated once per process into a template database; each test
// gets its own database cloned from the template, owned by the owner role,
// and dropped when the test ends.
//
// A package that uses it runs its tests through Main:
//
//	func TestMain(m *testing.M) { pgtest.Main(m) }
package pgtest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgcluster"
	"github.com/tenantkit/tenantkit/store/schema"
)

// Passwords the roles get on a server named by TEST_DATABASE_URL, where
// connections may need one. Test-only servers only.
const testPassword = "tenantkit-test"

type server struct {
	adminURL string // superuser, database "postgres"
	cluster  *pgcluster.Cluster
	dir      string
	template string
}

var (
	once   sync.Once
	srv    *server
	srvErr error
)

// Main runs the package's tests, then stops the throwaway cluster if one was
// started. It exits with the tests' status.
func Main(m *testing.M) {
	code := m.Run()
	if srv != nil && srv.cluster != nil {
		if err := srv.cluster.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "pgtest: stop cluster:", err)
		}
		os.RemoveAll(srv.dir)
	}
	os.Exit(code)
}

func start() (*server, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	s := &server{}
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		s.adminURL = u
	} else {
		dir, err := os.MkdirTemp("", "tenantkit-pgtest-")
		if err != nil {
			return nil, err
		}
		s.dir = dir
		c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Ephemeral: true})
		if err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
		s.cluster = c
		s.adminURL = c.AdminURL("postgres")
	}
	if err := s.prepareTemplate(ctx); err != nil {
		if s.cluster != nil {
			s.cluster.WriteLogTail(os.Stderr)
			s.cluster.Stop()
			os.RemoveAll(s.dir)
		}
		return nil, err
	}
	return s, nil
}

// migrationsHash names the template after the migrations it holds, so a
// shared server keeps one template per schema version.
func migrationsHash() (string, error) {
	h := sha256.New()
	fsys := schema.Migrations()
	var names []string
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			names = append(names, p)
		}
		return err
	})
	if err != nil {
		return "", err
	}
	sort.Strings(names)
	for _, n := range names {
		b, err := fs.ReadFile(fsys, n)
		if err != nil {
			return "", err
		}
		fmt.Fprintf(h, "%s\x00%d\x00", n, len(b))
		h.Write(b)
	}
	return hex.EncodeToString(h.Sum(nil))[:16], nil
}

func (s *server) prepareTemplate(ctx context.Context) error {
	hash, err := migrationsHash()
	if err != nil {
		return err
	}
	s.template = "tenantkit_tpl_" + hash
	admin, err := pgx.Connect(ctx, s.adminURL)
	if err != nil {
		return fmt.Errorf("connect to test server: %w", err)
	}
	defer admin.Close(ctx)
	// Processes sharing a server take turns building the template.
	if _, err := admin.Exec(ctx, "SELECT pg_advisory_lock(hashtext('tenantkit-pgtest-template'))"); err != nil {
		return err
	}
	defer admin.Exec(ctx, "SELECT pg_advisory_unlock(hashtext('tenantkit-pgtest-template'))")
	var ready bool
	err = admin.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate)", s.template).Scan(&ready)
	if err != nil || ready {
		return err
	}
	if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{s.template}.Sanitize()); err != nil {
		return err
	}
	pw := ""
	if s.cluster == nil {
		pw = testPassword
	}
	err = schema.Bootstrap(ctx, s.adminURL, schema.BootstrapOptions{
		Database: s.template, OwnerPassword: pw, AppPassword: pw, PlatformPassword: pw, JobsPassword: pw,
	})
	if err != nil {
		return fmt.Errorf("bootstrap: %w", err)
	}
	if err := schema.Migrate(ctx, s.url(schema.OwnerRole, s.template), nil); err != nil {
		return err
	}
	_, err = admin.Exec(ctx, "ALTER DATABASE "+pgx.Identifier{s.template}.Sanitize()+" IS_TEMPLATE true")
	return err
}

func (s *server) tcpAddr() string {
	if s.cluster == nil {
		return ""
	}
	return fmt.Sprintf("127.0.0.1:%d", s.cluster.Port())
}

// adminURLFor returns the superuser connection string for database db.
func (s *server) adminURLFor(db string) string {
	u, err := url.Parse(s.adminURL)
	if err != nil {
		panic(err)
	}
	u.Path = "/" + db
	return u.String()
}

// url returns a connection string for role to database db.
func (s *server) url(role, db string) string {
	u, err := url.Parse(s.adminURL)
	if err != nil {
		panic(err)
	}
	if s.cluster != nil {
		u.User = url.User(role)
	} else {
		u.User = url.UserPassword(role, testPassword)
	}
	u.Path = "/" + db
	return u.String()
}

// DB is one test's database.
type DB struct {
	Name string
	// AppURL connects as the app role: what every data test must use.
	AppURL string
	// PlatformURL connects as the platform role.
	PlatformURL string
	// JobsURL connects as the jobs role (River's queue).
	JobsURL string
	// OwnerURL connects as the owner role, for tests that change the schema
	// (knock-outs); never for reading tenant data.
	OwnerURL string
	// AdminURL connects as a superuser to this database, for tests that
	// create roles or inspect the server.
	AdminURL string
	// TCPAddr is the server's 127.0.0.1 address when pgtest manages the
	// cluster ("" on a TEST_DATABASE_URL server). TCP connections need a
	// password, which a test sets on the role it uses.
	TCPAddr string
}

// New returns a fresh migrated database for tb, dropped when tb ends.
func New(tb testing.TB) *DB {
	tb.Helper()
	return newDB(tb, "")
}

// newDB clones a database for tb from template, or from the migrated
// template when template is "".
func newDB(tb testing.TB, template string) *DB {
	tb.Helper()
	once.Do(func() { srv, srvErr = start() })
	if srvErr != nil {
		tb.Fatalf("pgtest: %v", srvErr)
	}
	if template == "" {
		template = srv.template
	}
	ctx := context.Background()
	var b [6]byte
	rand.Read(b[:])
	name := "tenantkit_test_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, srv.adminURL)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	defer admin.Close(ctx)
	stmt := fmt.Sprintf("CREATE DATABASE %s TEMPLATE %s OWNER %s STRATEGY FILE_COPY",
		pgx.Identifier{name}.Sanitize(), pgx.Identifier{template}.Sanitize(), pgx.Identifier{schema.OwnerRole}.Sanitize())
	if _, err := admin.Exec(ctx, stmt); err != nil {
		tb.Fatalf("pgtest: create database: %v", err)
	}
	if err := schema.EnsureDatabase(ctx, admin, name); err != nil {
		tb.Fatalf("pgtest: secure database: %v", err)
	}
	tb.Cleanup(func() {
		ctx := context.Background()
		admin, err := pgx.Connect(ctx, srv.adminURL)
		if err != nil {
			tb.Errorf("pgtest: connect for cleanup: %v", err)
			return
		}
		defer admin.Close(ctx)
		if _, err := admin.Exec(ctx, "DROP DATABASE "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			tb.Errorf("pgtest: drop database: %v", err)
		}
	})
	return &DB{
		Name:        name,
		AppURL:      srv.url(schema.AppRole, name),
		PlatformURL: srv.url(schema.PlatformRole, name),
		JobsURL:     srv.url(schema.JobsRole, name),
		OwnerURL:    srv.url(schema.OwnerRole, name),
		AdminURL:    srv.adminURLFor(name),
		TCPAddr:     srv.tcpAddr(),
	}
}

// Connect opens a single connection to url, closed when tb ends.
func Connect(tb testing.TB, url string) *pgx.Conn {
	tb.Helper()
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		tb.Fatalf("pgtest: connect: %v", err)
	}
	tb.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Fingerprint digests every row of every table of conn's database, for a
// test that compares the whole database before and after requests that
// must change nothing. conn should be a superuser's (AdminURL), which row
// security does not filter.
func Fingerprint(ctx context.Context, conn *pgx.Conn) (string, error) {
	rows, err := conn.Query(ctx, "SELECT schemaname, tablename FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1, 2")
	if err != nil {
		return "", err
	}
	tables, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (pgx.Identifier, error) {
		var schema, table string
		err := r.Scan(&schema, &table)
		return pgx.Identifier{schema, table}, err
	})
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, t := range tables {
		var n int64
		var digest string
		err := conn.QueryRow(ctx, "SELECT count(*), coalesce(md5(string_agg(r::text, '|' ORDER BY r::text)), '') FROM "+t.Sanitize()+" r").Scan(&n, &digest)
		if err != nil {
			return "", fmt.Errorf("fingerprint %s: %w", t.Sanitize(), err)
		}
		fmt.Fprintf(h, "%s %d %s\n", t.Sanitize(), n, digest)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
