package pgcluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestMissingBinariesAreOneClearError(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	saved := distroBinGlob
	distroBinGlob = t.TempDir() + "/*/bin"
	defer func() { distroBinGlob = saved }()
	_, err := FindBinaries()
	if !errors.Is(err, ErrNoBinaries) || !strings.Contains(err.Error(), "apt-get install") {
		t.Fatalf("want ErrNoBinaries, got %v", err)
	}
}

// A cluster starts, accepts connections over its socket, keeps data across
// a restart in the same directory, and stops.
func TestStartRestartStop(t *testing.T) {
	if _, err := FindBinaries(); err != nil {
		t.Fatalf("the PostgreSQL binaries are required: %v", err)
	}
	// Not t.TempDir: its parent is private to this user, and a root test
	// run starts the server as the postgres user, who must reach the dir.
	dir, err := os.MkdirTemp("", "tenantkit-pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	ctx := context.Background()
	c, err := Start(ctx, Options{Dir: dir, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c2, err := Start(ctx, Options{Dir: dir, Ephemeral: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	conn, err = pgx.Connect(ctx, c2.AdminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var x int
	if err := conn.QueryRow(ctx, "SELECT x FROM kept").Scan(&x); err != nil || x != 42 {
		t.Fatalf("data after restart: %v %v", x, err)
	}
	// TCP requires a password: the trust rule covers the private socket only.
	if _, err := pgx.Connect(ctx, c2.TCPURL("postgres", "wrong", "postgres")); err == nil {
		t.Fatal("TCP connection without the right password was accepted")
	}
}

// As root, a cluster asked for in a directory the postgres user cannot
// reach (a checkout in a mode-700 `mktemp -d` folder) starts all the same:
// it is placed under the fallback root, linked from the directory asked
// for, found again by the next start, and removed with the link's target.
func TestStartWhereThePostgresUserCannotReach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("only root hands the cluster to the postgres user")
	}
	private, err := os.MkdirTemp("", "tenantkit-private-") // mode 0700, root's
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(private) })
	fallback, err := os.MkdirTemp("", "tenantkit-fallback-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(fallback) })
	if err := os.Chmod(fallback, 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(private, "checkout", ".tenantkit")
	opts := Options{Dir: dir, Ephemeral: true, FallbackRoot: filepath.Join(fallback, "clusters")}
	ctx := context.Background()
	c, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	target, err := os.Readlink(filepath.Join(dir, ClusterLink))
	if err != nil || target != c.Dir() || !strings.HasPrefix(target, opts.FallbackRoot) {
		t.Fatalf("link %q (%v), cluster in %s", target, err, c.Dir())
	}
	conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, "CREATE TABLE kept (x int)"); err != nil {
		t.Fatal(err)
	}
	conn.Close(ctx)
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	c2, err := Start(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Stop()
	if c2.Dir() != c.Dir() {
		t.Fatalf("the second start chose %s, the first %s", c2.Dir(), c.Dir())
	}
	conn, err = pgx.Connect(ctx, c2.AdminURL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "SELECT x FROM kept"); err != nil {
		t.Fatalf("the second start did not find the first's data: %v", err)
	}
}
