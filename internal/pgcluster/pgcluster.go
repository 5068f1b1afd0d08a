// Package pgcluster runs a PostgreSQL server that tenantkit manages itself:
// the persistent cluster behind `tenantkit dev` and the throwaway clusters of
// the tests. It finds the server binaries, creates a cluster with initdb,
// starts it on a Unix socket inside the cluster directory and on a free
// 127.0.0.1 port, waits until it accepts connections, and stops it.
//
// PostgreSQL refuses to run as root. When the calling process is root, the
// server runs as the "postgres" system user and the cluster directory is
// handed to that user. When that user cannot reach the directory (a
// checkout in a mode-700 home or a `mktemp -d` folder), the cluster lives
// under [Options.FallbackRoot] instead, in a directory named after the one
// asked for, and a symbolic link Dir/cluster points to it: the same
// checkout finds the same cluster again, and removing the directory the
// link names removes the cluster.
//
// The package never installs anything: when the binaries are missing it
// returns [ErrNoBinaries] naming the command that would install them.
//
// Local connections over the socket use trust authentication; the socket
// lives in a directory only the server's user (and root) can enter, so the
// socket is as private as the data directory. TCP connections on 127.0.0.1
// require a password (SCRAM).
package pgcluster

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Superuser is the name of the superuser every managed cluster is created with.
const Superuser = "postgres"

// ErrNoBinaries is returned when the PostgreSQL server binaries cannot be found.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found on PATH or in /usr/lib/postgresql/*/bin; " +
	"install them with: sudo apt-get install -y postgresql (Debian/Ubuntu), or put their directory on PATH")

// Options configure a managed cluster.
type Options struct {
	// Dir holds the cluster: the data directory (Dir/data), the socket
	// directory (Dir/run) and the server log (Dir/postgres.log). It is
	// created when missing. Required.
	Dir string
	// Ephemeral tunes the server for throwaway test clusters: no fsync, no
	// synchronous commit, no full-page writes, and the server is killed if
	// this process dies. Never use it for data you want to keep.
	Ephemeral bool
	// Settings are extra server settings passed as -c name=value.
	Settings map[string]string
	// StartTimeout bounds how long Start waits for the server to accept
	// connections. Defaults to 60s.
	StartTimeout time.Duration
	// Port is the TCP port on 127.0.0.1, which also names the Unix socket.
	// Defaults to a free port; a restart that clients must find again at
	// the same address passes the port of the cluster it replaces.
	Port int
	// FallbackRoot holds the cluster when the process is root and the
	// server's user cannot reach Dir. Defaults to /var/lib/tenantkit.
	FallbackRoot string
}

// ClusterLink is the name of the symbolic link, in Options.Dir, to a
// cluster placed under Options.FallbackRoot.
const ClusterLink = "cluster"

// Cluster is a running PostgreSQL server started by Start.
type Cluster struct {
	dir       string
	dataDir   string
	socketDir string
	port      int
	cmd       *exec.Cmd
	exited    chan struct{}
	exitErr   error
	logPath   string
}

// distroBinGlob is where Debian and Ubuntu install the server binaries.
var distroBinGlob = "/usr/lib/postgresql/*/bin"

// FindBinaries returns the directory holding initdb and postgres: the one
// on PATH, else the newest /usr/lib/postgresql/*/bin.
func FindBinaries() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			p = real
		}
		dir := filepath.Dir(p)
		if isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	dirs, _ := filepath.Glob(distroBinGlob)
	sort.Slice(dirs, func(i, j int) bool { return versionOf(dirs[i]) > versionOf(dirs[j]) })
	for _, dir := range dirs {
		if isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres")) {
			return dir, nil
		}
	}
	return "", ErrNoBinaries
}

func versionOf(binDir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return v
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0
}

// Start creates the cluster in opts.Dir if it does not exist yet, starts the
// server and waits until it accepts connections. The caller must call Stop.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Options.Dir is required")
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	bin, err := FindBinaries()
	if err != nil {
		return nil, err
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("cluster directory: %w", err)
	}
	cred, err := serverCredential()
	if err != nil {
		return nil, err
	}
	if cred != nil {
		if dir, err = reachableDir(dir, opts.FallbackRoot, cred); err != nil {
			return nil, err
		}
	}
	c := &Cluster{
		dir:       dir,
		dataDir:   filepath.Join(dir, "data"),
		socketDir: filepath.Join(dir, "run"),
		logPath:   filepath.Join(dir, "postgres.log"),
		exited:    make(chan struct{}),
	}
	if err := c.prepareDirs(cred); err != nil {
		return nil, err
	}
	if _, err := os.Stat(filepath.Join(c.dataDir, "PG_VERSION")); errors.Is(err, os.ErrNotExist) {
		if err := c.initdb(ctx, bin, cred, opts.Ephemeral); err != nil {
			return nil, err
		}
	}
	if err := c.start(bin, cred, opts); err != nil {
		return nil, err
	}
	waitCtx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := c.waitReady(waitCtx); err != nil {
		_ = c.Stop()
		return nil, err
	}
	return c, nil
}

// serverCredential returns the credential to run the server binaries with:
// nil for a non-root caller, the "postgres" user for root.
func serverCredential() (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, fmt.Errorf("running as root needs the postgres system user to run the server (initdb refuses root): %w", err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func (c *Cluster) prepareDirs(cred *syscall.Credential) error {
	for _, d := range []string{c.dir, c.socketDir} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", d, err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return fmt.Errorf("chmod %s: %w", d, err)
		}
	}
	if cred == nil {
		return nil
	}
	// The server user must own the cluster directory and reach it.
	for _, d := range []string{c.dir, c.socketDir} {
		if err := os.Chown(d, int(cred.Uid), int(cred.Gid)); err != nil {
			return fmt.Errorf("chown %s: %w", d, err)
		}
	}
	if p, ok := blocked(filepath.Dir(c.dir), cred); !ok {
		return fmt.Errorf("the postgres user cannot enter %s: choose a cluster directory it can reach", p)
	}
	return nil
}

// blocked returns the first directory on the way from / to dir that the
// user of cred may not enter (by its mode bits), and false; or "", true.
func blocked(dir string, cred *syscall.Credential) (string, bool) {
	var path []string
	for p := dir; ; p = filepath.Dir(p) {
		path = append([]string{p}, path...)
		if p == "/" || p == "." {
			break
		}
	}
	for _, p := range path {
		fi, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return "", true // created by root with mode 0700 and handed over below
			}
			return p, false
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		perm := fi.Mode().Perm()
		switch {
		case ok && st.Uid == cred.Uid:
			perm &= 0o100
		case ok && st.Gid == cred.Gid:
			perm &= 0o010
		default:
			perm &= 0o001
		}
		if perm == 0 {
			return p, false
		}
	}
	return "", true
}

// reachableDir returns dir if the server's user can reach it, and
// otherwise a directory under fallbackRoot named after dir, to which
// dir/ClusterLink then points.
func reachableDir(dir, fallbackRoot string, cred *syscall.Credential) (string, error) {
	// Parents made here are made as mkdir -p would: 0755, enterable.
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", filepath.Dir(dir), err)
	}
	if _, ok := blocked(filepath.Dir(dir), cred); ok {
		return dir, nil
	}
	if fallbackRoot == "" {
		fallbackRoot = "/var/lib/tenantkit"
	}
	if p, ok := blocked(fallbackRoot, cred); !ok {
		return "", fmt.Errorf("the postgres user can reach neither %s nor the fallback %s (blocked at %s)", dir, fallbackRoot, p)
	}
	if err := os.MkdirAll(fallbackRoot, 0o755); err != nil {
		return "", fmt.Errorf("create %s: %w", fallbackRoot, err)
	}
	sum := sha256.Sum256([]byte(dir))
	alt := filepath.Join(fallbackRoot, filepath.Base(filepath.Dir(dir))+"-"+hex.EncodeToString(sum[:6]))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", fmt.Errorf("create %s: %w", dir, err)
	}
	link := filepath.Join(dir, ClusterLink)
	switch target, err := os.Readlink(link); {
	case err == nil && target == alt:
	case err == nil || !errors.Is(err, os.ErrNotExist):
		return "", fmt.Errorf("%s exists and does not point to %s: remove it", link, alt)
	default:
		if err := os.Symlink(alt, link); err != nil {
			return "", fmt.Errorf("link the cluster: %w", err)
		}
	}
	return alt, nil
}

func (c *Cluster) initdb(ctx context.Context, bin string, cred *syscall.Credential, ephemeral bool) error {
	args := []string{
		"--pgdata", c.dataDir,
		"--username", Superuser,
		"--auth-local", "trust",
		"--auth-host", "scram-sha-256",
		"--encoding", "UTF8",
		"--no-locale",
		"--no-instructions",
	}
	if ephemeral {
		args = append(args, "--no-sync")
	}
	cmd := exec.CommandContext(ctx, filepath.Join(bin, "initdb"), args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	cmd.Dir = c.dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %w\n%s", err, out)
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func (c *Cluster) start(bin string, cred *syscall.Credential, opts Options) error {
	port := opts.Port
	if port == 0 {
		var err error
		if port, err = freePort(); err != nil {
			return fmt.Errorf("find a free port: %w", err)
		}
	}
	c.port = port
	settings := map[string]string{
		"listen_addresses":        "127.0.0.1",
		"port":                    strconv.Itoa(port),
		"unix_socket_directories": c.socketDir,
		"unix_socket_permissions": "0700",
		"max_connections":         "200",
		"lc_messages":             "C",
		"log_min_messages":        "warning",
		"log_min_error_statement": "panic",
	}
	if opts.Ephemeral {
		settings["fsync"] = "off"
		settings["synchronous_commit"] = "off"
		settings["full_page_writes"] = "off"
	}
	for k, v := range opts.Settings {
		settings[k] = v
	}
	keys := make([]string, 0, len(settings))
	for k := range settings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	args := []string{"-D", c.dataDir}
	for _, k := range keys {
		args = append(args, "-c", k+"="+settings[k])
	}
	logFile, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open server log: %w", err)
	}
	// The server is not started with a context: Stop shuts it down cleanly.
	cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
	cmd.Dir = c.dir
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
	if opts.Ephemeral {
		// SIGQUIT is an immediate shutdown: a test binary that dies does
		// not leave servers behind.
		cmd.SysProcAttr.Pdeathsig = syscall.SIGQUIT
	}
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return fmt.Errorf("start postgres: %w", err)
	}
	c.cmd = cmd
	go func() {
		c.exitErr = cmd.Wait()
		logFile.Close()
		close(c.exited)
	}()
	return nil
}

func (c *Cluster) waitReady(ctx context.Context) error {
	for {
		conn, err := pgx.Connect(ctx, c.AdminURL("postgres"))
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		select {
		case <-c.exited:
			return fmt.Errorf("postgres exited during start (%v); log %s:\n%s", c.exitErr, c.logPath, c.logTail())
		case <-ctx.Done():
			return fmt.Errorf("postgres did not accept connections in time: %w; log %s:\n%s", err, c.logPath, c.logTail())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (c *Cluster) logTail() string {
	b, err := os.ReadFile(c.logPath)
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

// Stop shuts the server down: a fast shutdown (open sessions are
// disconnected, data is flushed), then an immediate one if that takes more
// than 30 seconds. It is safe to call more than once.
func (c *Cluster) Stop() error {
	if c.cmd == nil || c.cmd.Process == nil {
		return nil
	}
	select {
	case <-c.exited:
		return nil
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-c.exited:
		return nil
	case <-time.After(30 * time.Second):
	}
	_ = c.cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-c.exited:
		return nil
	case <-time.After(10 * time.Second):
		return errors.New("postgres did not stop")
	}
}

// Port returns the TCP port on 127.0.0.1.
func (c *Cluster) Port() int { return c.port }

// SocketDir returns the directory holding the server's Unix socket.
func (c *Cluster) SocketDir() string { return c.socketDir }

// Dir returns the cluster directory.
func (c *Cluster) Dir() string { return c.dir }

// AdminURL returns a superuser connection string for database db over the
// Unix socket.
func (c *Cluster) AdminURL(db string) string { return c.SocketURL(Superuser, db) }

// SocketURL returns a connection string for user to database db over the
// Unix socket (trust authentication).
func (c *Cluster) SocketURL(user, db string) string {
	q := url.Values{"host": {c.socketDir}, "port": {strconv.Itoa(c.port)}, "sslmode": {"disable"}}
	return (&url.URL{Scheme: "postgres", User: url.User(user), Path: "/" + db, RawQuery: q.Encode()}).String()
}

// TCPURL returns a connection string for user with password to database db
// over TCP on 127.0.0.1.
func (c *Cluster) TCPURL(user, password, db string) string {
	u := &url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(user, password),
		Host:     net.JoinHostPort("127.0.0.1", strconv.Itoa(c.port)),
		Path:     "/" + db,
		RawQuery: "sslmode=disable",
	}
	return u.String()
}

// WriteLogTail copies the last part of the server log to w, for a failing
// start or test.
func (c *Cluster) WriteLogTail(w io.Writer) {
	_, _ = io.WriteString(w, strings.TrimSpace(c.logTail())+"\n")
}
