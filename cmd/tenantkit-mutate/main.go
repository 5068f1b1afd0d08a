// Command tenantkit-mutate runs the mutation test of tenantkit's isolation
// protections (see internal/mutation): each mutant is applied to a copy of
// the module and the test packages it names run against it; a mutant is
// killed when at least one test fails.
//
//	go run ./cmd/tenantkit-mutate [-run REGEXP] [-quick] [-json]
//
// Run it from the module's root (make mutation). It exits 1 if a mutant
// survived or could not be tried.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"regexp"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/tenantkit/tenantkit/internal/mutation"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "tenantkit-mutate:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tenantkit-mutate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pattern := fs.String("run", "", "only the mutants whose name matches this regular expression")
	quick := fs.Bool("quick", false, "stop trying a mutant at the first package that kills it")
	keep := fs.Bool("keep", false, "keep each mutated copy of the module (for debugging)")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	verbose := fs.Bool("v", false, "print progress and the failures that killed each mutant")
	if err := fs.Parse(args); err != nil {
		return err
	}
	re, err := regexp.Compile(*pattern)
	if err != nil {
		return err
	}
	if _, err := os.Stat("go.mod"); err != nil {
		return fmt.Errorf("run from the module's root: %w", err)
	}
	root, err := os.Getwd()
	if err != nil {
		return err
	}
	opts := mutation.Options{Root: root, Quick: *quick, Keep: *keep}
	if *verbose {
		opts.Log = stderr
	}
	var results []mutation.Result
	for _, m := range mutation.Mutants {
		if !re.MatchString(m.Name) {
			continue
		}
		fmt.Fprintf(stderr, "mutant %s: %s\n", m.Name, m.Breaks)
		r := mutation.Try(ctx, m, opts)
		switch {
		case r.Error != "":
			fmt.Fprintf(stderr, "  could not be tried: %s\n", r.Error)
		case r.Killed:
			fmt.Fprintf(stderr, "  killed in %.0fs by %d test(s)\n", r.Seconds, len(r.Killers))
		default:
			fmt.Fprintf(stderr, "  SURVIVED %s (%.0fs)\n", strings.Join(r.Passed, " "), r.Seconds)
		}
		results = append(results, r)
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	killed, tried := mutation.Score(results)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(map[string]any{"killed": killed, "tried": tried, "mutants": len(results), "results": results}); err != nil {
			return err
		}
	} else {
		writeTable(stdout, results)
		fmt.Fprintf(stdout, "\nmutation score: %d of %d mutants killed", killed, tried)
		if tried < len(results) {
			fmt.Fprintf(stdout, " (%d could not be tried)", len(results)-tried)
		}
		fmt.Fprintln(stdout)
	}
	if killed < len(results) {
		return fmt.Errorf("%d of %d mutants not killed", len(results)-killed, len(results))
	}
	return nil
}

func writeTable(w io.Writer, results []mutation.Result) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "mutant\tkilled\tby (the failing tests)\tsurvived in")
	for _, r := range results {
		verdict := "yes"
		switch {
		case r.Error != "":
			verdict = "ERROR: " + r.Error
		case !r.Killed:
			verdict = "NO"
		}
		killers := r.Killers
		more := ""
		if len(killers) > 4 {
			killers, more = killers[:4], fmt.Sprintf(" (+%d more)", len(r.Killers)-4)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s%s\t%s\n", r.Mutant, verdict, strings.Join(killers, ", "), more, strings.Join(r.Passed, " "))
	}
	tw.Flush()
}
