package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The short scale-out run (scripts/scaleout.sh with SHORT=1): two
// instances behind PgBouncer in transaction mode and nginx, a mixed load
// over two tenants with canary markers, and not one foreign row (issue 15,
// item 8). It needs pgbouncer and nginx: without them it is skipped
// locally and fails under CI=true, where scripts/ensure-test-tools.sh
// installs them.
func TestScaleOutShort(t *testing.T) {
	for _, tool := range []string{"pgbouncer", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err == nil {
				continue
			}
			if os.Getenv("CI") != "" {
				t.Fatalf("%s is required in CI (scripts/ensure-test-tools.sh installs it)", tool)
			}
			t.Skipf("skipped: no %s binary (scripts/ensure-test-tools.sh installs it)", tool)
		}
	}
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "scaleout.sh"))
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "SHORT=1")
	cmd.WaitDelay = 10 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("scaleout.sh: %v", err)
	}
	for _, want := range []string{"two instance(s)", "one instance(s)", "FOREIGN ROWS 0", "canary rows stored under another tenant: 0", "(2 announced)"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the output does not say %q", want)
		}
	}
	if strings.Contains(string(out), "FOREIGN ROWS ") && strings.Count(string(out), "FOREIGN ROWS 0") != strings.Count(string(out), "FOREIGN ROWS ") {
		t.Error("a run saw foreign rows")
	}
}
