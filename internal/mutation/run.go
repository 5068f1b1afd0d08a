package mutation

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Result is the outcome of one mutant.
type Result struct {
	Mutant string `json:"mutant"`
	Breaks string `json:"breaks"`
	// Killed: at least one test failed.
	Killed bool `json:"killed"`
	// Killers are the failed tests, as "package TestName".
	Killers []string `json:"killers,omitempty"`
	// Survived lists the packages whose tests all passed.
	Passed []string `json:"passed,omitempty"`
	// Error says why the mutant could not be tried (it does not apply,
	// or does not build): neither killed nor survived.
	Error   string  `json:"error,omitempty"`
	Seconds float64 `json:"seconds"`
}

// Options configures Try.
type Options struct {
	// Root is the module's directory. Required.
	Root string
	// Quick stops at the first package that kills the mutant.
	Quick bool
	// Keep leaves the mutated copy in place (its path is logged).
	Keep bool
	// Env is added to the environment of go test.
	Env []string
	// Log receives progress and the output of failed packages.
	Log io.Writer
}

func (o Options) logf(format string, args ...any) {
	if o.Log != nil {
		fmt.Fprintf(o.Log, format+"\n", args...)
	}
}

// migrationFile is where a schema mutant goes in the copy: a migration
// after every real one.
const migrationFile = "store/schema/migrations/09999_mutant.sql"

// Apply writes m into the module copy at dir.
func Apply(dir string, m Mutant) error {
	if m.Schema() {
		sql := "-- A mutant of tenantkit-mutate: never commit.\n\n-- +goose Up\n" + m.SQL + "\n\n-- +goose Down\nSELECT 1;\n"
		return os.WriteFile(filepath.Join(dir, migrationFile), []byte(sql), 0o644)
	}
	for _, e := range m.Edits {
		path := filepath.Join(dir, e.File)
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if n := bytes.Count(b, []byte(e.Old)); n != 1 {
			return fmt.Errorf("%s: the text to replace occurs %d times, want once: the mutant is stale", e.File, n)
		}
		if err := os.WriteFile(path, bytes.Replace(b, []byte(e.Old), []byte(e.New), 1), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Try applies m to a copy of the module and runs its packages' tests.
func Try(ctx context.Context, m Mutant, o Options) (res Result) {
	start := time.Now()
	res = Result{Mutant: m.Name, Breaks: m.Breaks}
	defer func() { res.Seconds = time.Since(start).Seconds() }()
	dir, err := os.MkdirTemp("", "tenantkit-mutant-"+m.Name+"-")
	if err != nil {
		res.Error = err.Error()
		return res
	}
	if o.Keep {
		o.logf("mutant %s: copy kept in %s", m.Name, dir)
	} else {
		defer os.RemoveAll(dir)
	}
	if err := copyModule(ctx, o.Root, dir); err != nil {
		res.Error = err.Error()
		return res
	}
	if err := Apply(dir, m); err != nil {
		res.Error = err.Error()
		return res
	}
	for _, pkg := range m.Packages {
		o.logf("mutant %s: go test %s", m.Name, pkg)
		failed, err := goTest(ctx, dir, pkg, o)
		if err != nil {
			res.Error = err.Error()
			return res
		}
		if len(failed) == 0 {
			res.Passed = append(res.Passed, pkg)
			continue
		}
		res.Killed = true
		res.Killers = append(res.Killers, failed...)
		if o.Quick {
			break
		}
	}
	return res
}

// copyModule copies the module's files (tracked, and untracked but not
// ignored) from root to dir.
func copyModule(ctx context.Context, root, dir string) error {
	out, err := exec.CommandContext(ctx, "git", "-C", root, "ls-files", "-z", "--cached", "--others", "--exclude-standard").Output()
	if err != nil {
		return fmt.Errorf("list the module's files: %w", err)
	}
	for _, f := range strings.Split(strings.TrimRight(string(out), "\x00"), "\x00") {
		src := filepath.Join(root, f)
		info, err := os.Lstat(src)
		if errors.Is(err, os.ErrNotExist) {
			continue // deleted in the work tree
		}
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			continue
		}
		b, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(dst, b, info.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

type testEvent struct {
	Action      string
	Package     string
	Test        string
	Output      string
	FailedBuild string
}

// goTest runs pkg's tests in dir and returns the failed tests. A package
// that does not build is an error: the mutant is stillborn.
func goTest(ctx context.Context, dir, pkg string, o Options) ([]string, error) {
	// The in-process schema-mutant test compares the schema with the
	// migrated one: a mutant built into the migrations fails it whatever it
	// breaks, so it would only add noise here.
	cmd := exec.CommandContext(ctx, "go", "test", "-count=1", "-json", "-timeout", "30m", "-skip", "^TestSchemaMutantsAreKilled$", pkg)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), o.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	failed := map[string]bool{}
	output := map[string]*strings.Builder{}
	var buildFailed []string
	sc := bufio.NewScanner(stdout)
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var ev testEvent
		if json.Unmarshal(sc.Bytes(), &ev) != nil {
			continue
		}
		if ev.FailedBuild != "" {
			buildFailed = append(buildFailed, ev.FailedBuild)
		}
		if ev.Test != "" && ev.Action == "output" {
			if output[ev.Test] == nil {
				output[ev.Test] = &strings.Builder{}
			}
			if output[ev.Test].Len() < 4000 {
				output[ev.Test].WriteString(ev.Output)
			}
		}
		if ev.Action == "fail" {
			name := ev.Test
			if name == "" {
				name = "(package)"
			}
			failed[strings.TrimPrefix(ev.Package, "github.com/tenantkit/tenantkit/")+" "+name] = true
		}
	}
	waitErr := cmd.Wait()
	if len(buildFailed) > 0 {
		return nil, fmt.Errorf("the mutant does not build (%s): %s", strings.Join(buildFailed, ", "), lastLines(stderr.String(), 10))
	}
	if waitErr != nil && len(failed) == 0 {
		return nil, fmt.Errorf("go test %s: %v: %s", pkg, waitErr, lastLines(stderr.String(), 10))
	}
	var out []string
	for name := range failed {
		// A parent test fails with its subtests: keep the innermost.
		leaf := true
		for other := range failed {
			if other != name && strings.HasPrefix(other, name+"/") {
				leaf = false
			}
		}
		if leaf && !(strings.HasSuffix(name, " (package)") && len(failed) > 1) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	for _, name := range out {
		if b := output[name[strings.Index(name, " ")+1:]]; b != nil && o.Log != nil {
			o.logf("--- %s\n%s", name, lastLines(b.String(), 8))
		}
	}
	return out, nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// Score returns the killed and the tried mutants (those that applied and
// built).
func Score(rs []Result) (killed, tried int) {
	for _, r := range rs {
		if r.Error != "" {
			continue
		}
		tried++
		if r.Killed {
			killed++
		}
	}
	return killed, tried
}
