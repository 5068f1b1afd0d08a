package pgtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// PgBouncer runs a PgBouncer in transaction pooling mode in front of db with
// one server connection per (database, role), and returns the connection
// string for role through it (exec query mode: PgBouncer 1.18 keeps no
// prepared statements across transactions). The bouncer stops when tb ends.
//
// Without the pgbouncer binary the test is skipped locally, with the reason,
// and fails under CI=true, where .ci/run installs it.
func PgBouncer(tb testing.TB, db *DB, roles ...string) func(role string) string {
	tb.Helper()
	bin, err := exec.LookPath("pgbouncer")
	if err != nil {
		if _, statErr := os.Stat("/usr/sbin/pgbouncer"); statErr == nil {
			bin = "/usr/sbin/pgbouncer"
		} else {
			if os.Getenv("CI") != "" {
				tb.Fatal("pgbouncer is required in CI (.ci/run installs the Debian package)")
			}
			tb.Skip("skipped: no pgbouncer binary (apt-get install -y pgbouncer); CI installs it and runs this test")
		}
	}
	if srv.cluster == nil {
		tb.Skip("skipped: PgBouncer tests need the managed test cluster, not TEST_DATABASE_URL")
	}
	dir, err := os.MkdirTemp("", "tenantkit-pgbouncer-")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(dir) })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	users := ""
	for _, r := range roles {
		users += fmt.Sprintf("%q \"\"\n", r)
	}
	ini := fmt.Sprintf(`[databases]
%s = host=%s port=%d dbname=%s

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = %d
unix_socket_dir =
auth_type = trust
auth_file = %s
pool_mode = transaction
default_pool_size = 1
max_client_conn = 200
server_reset_query =
ignore_startup_parameters = extra_float_digits,options
logfile = %s
pidfile =
`, db.Name, srv.cluster.SocketDir(), srv.cluster.Port(), db.Name, port,
		filepath.Join(dir, "users.txt"), filepath.Join(dir, "pgbouncer.log"))
	for name, body := range map[string]string{"pgbouncer.ini": ini, "users.txt": users} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
	cmd := exec.Command(bin, filepath.Join(dir, "pgbouncer.ini"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if os.Geteuid() == 0 {
		// PgBouncer refuses to run as root.
		u, err := user.Lookup("postgres")
		if err != nil {
			tb.Fatal(err)
		}
		uid, _ := strconv.ParseUint(u.Uid, 10, 32)
		gid, _ := strconv.ParseUint(u.Gid, 10, 32)
		cmd.SysProcAttr.Credential = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, int(uid), int(gid)); err != nil {
			tb.Fatal(err)
		}
	}
	out, err := os.Create(filepath.Join(dir, "stderr.log"))
	if err != nil {
		tb.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		tb.Fatalf("start pgbouncer: %v", err)
	}
	tb.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out.Close()
	})
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			b, _ := os.ReadFile(filepath.Join(dir, "pgbouncer.log"))
			e, _ := os.ReadFile(filepath.Join(dir, "stderr.log"))
			tb.Fatalf("pgbouncer did not start:\n%s\n%s", b, e)
		}
	}
	return func(role string) string {
		return fmt.Sprintf("postgres://%s@%s/%s?sslmode=disable&default_query_exec_mode=exec", role, addr, db.Name)
	}
}
