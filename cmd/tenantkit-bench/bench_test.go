package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestMain lets the test binary serve a variant, as the bench binary
// does: the bench starts its servers by running itself with "serve".
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := serve(context.Background(), os.Args[2:]); err != nil {
			os.Stderr.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestBenchEndToEnd runs the whole bench small: its own cluster, the
// seed, a signed-in load over the full stack and the floor (and the
// baseline when built with its tag), the flood, and the section it
// writes into a markdown file. Every request must succeed.
func TestBenchEndToEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// The baseline and the floor exist only in a bench build (make test
	// runs this test in one too).
	variants, want := "a", []string{"(a) full stack"}
	if _, err := baselineOption(); err == nil {
		variants, want = "a,b,c", append(want, "(b) same handlers", "(c) floor", "Throughput a/b, round by round", "Throughput a/c, round by round")
	}
	doc := filepath.Join(t.TempDir(), "BENCHMARKS.md")
	if err := os.WriteFile(doc, []byte("# Benchmarks\n\n<!-- make bench: start -->\nold\n<!-- make bench: end -->\n\nafter\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out, log bytes.Buffer
	err := bench(ctx, []string{"-tenants", "20", "-rows", "60", "-sessions", "8", "-clients", "4", "-requests", "300",
		"-rounds", "2", "-flood", "2", "-variants", variants, "-out", doc}, &out, &log)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, log.String())
	}
	b, err := os.ReadFile(doc)
	if err != nil {
		t.Fatal(err)
	}
	md := string(b)
	for _, want := range append(want, "Sign-in (", "A flood of wrong passwords", "without a hashing budget", "\n\nafter\n") {
		if !strings.Contains(md, want) {
			t.Errorf("the written section lacks %q:\n%s", want, md)
		}
	}
	if strings.Contains(md, "\nold\n") {
		t.Errorf("the old section is still there:\n%s", md)
	}
	if !strings.Contains(log.String(), "(0 errors)") {
		t.Errorf("no run reported 0 errors:\n%s", log.String())
	}
}
