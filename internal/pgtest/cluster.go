package pgtest

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/pgcluster"
	"github.com/tenantkit/tenantkit/store/schema"
)

// Cluster is a PostgreSQL server of one test's own, for a test that stops
// or restarts the server: the shared server of the other tests must never
// go down under them. It holds one migrated database, reached over the
// Unix socket at the same address across restarts.
type Cluster struct {
	// DB is the cluster's database, with the same roles and connection
	// strings as a database of New.
	*DB
	dir string
	c   *pgcluster.Cluster
}

// NewCluster starts a throwaway cluster for tb from the local PostgreSQL
// binaries, bootstraps the roles, migrates a database as the owner, and
// removes it all when tb ends. It takes a few seconds: use New unless the
// test stops the server.
func NewCluster(tb testing.TB) *Cluster {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	// Not tb.TempDir: its parent is private to this user, and a root test
	// run starts the server as the postgres user, who must reach the dir.
	dir, err := os.MkdirTemp("", "tenantkit-pgcluster-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	c, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir, Ephemeral: true})
	if err != nil {
		tb.Fatalf("pgtest: start a cluster: %v", err)
	}
	cl := &Cluster{dir: dir, c: c}
	tb.Cleanup(func() {
		if err := cl.c.Stop(); err != nil {
			tb.Errorf("pgtest: stop the cluster: %v", err)
		}
	})
	const name = "tenantkit"
	if err := schema.Bootstrap(ctx, c.AdminURL("postgres"), schema.BootstrapOptions{Database: name}); err != nil {
		c.WriteLogTail(os.Stderr)
		tb.Fatalf("pgtest: bootstrap: %v", err)
	}
	if err := schema.Migrate(ctx, c.SocketURL(schema.OwnerRole, name), nil); err != nil {
		tb.Fatalf("pgtest: migrate: %v", err)
	}
	cl.DB = &DB{
		Name:        name,
		AppURL:      c.SocketURL(schema.AppRole, name),
		PlatformURL: c.SocketURL(schema.PlatformRole, name),
		OwnerURL:    c.SocketURL(schema.OwnerRole, name),
		AdminURL:    c.AdminURL(name),
	}
	return cl
}

// Stop shuts the server down as `pg_ctl stop -m fast` does: open sessions
// are ended (57P01), the data is flushed.
func (c *Cluster) Stop() error { return c.c.Stop() }

// Start starts the stopped server again on the same socket and port, and
// returns once it accepts connections.
func (c *Cluster) Start(ctx context.Context) error {
	next, err := pgcluster.Start(ctx, pgcluster.Options{Dir: c.dir, Ephemeral: true, Port: c.c.Port()})
	if err != nil {
		return err
	}
	c.c = next
	return nil
}
