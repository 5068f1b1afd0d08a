package probe

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
)

// Report is the outcome of a run.
type Report struct {
	BaseURL string `json:"base_url"`
	TenantA string `json:"tenant_a"`
	TenantB string `json:"tenant_b"`
	// Operations lists every operation of both OpenAPI documents with the
	// variants run on it.
	Operations []*OperationResult `json:"operations"`
	// Flows are the multi-step attacks (see [Flow]).
	Flows []*FlowResult `json:"flows"`
	// Injection sums up the SQL-injection pass.
	Injection *InjectionResult `json:"injection,omitempty"`
	// Edges sums up the input-edge pass.
	Edges *EdgeResult `json:"edges,omitempty"`
	// Soak is the soak's outcome, when one ran.
	Soak *SoakResult `json:"soak,omitempty"`
	// Failures lists every failed check, one line each.
	Failures []Failure `json:"failures"`
	// Requests counts every request the probe sent (setup included).
	Requests int64 `json:"requests"`
	// SignIns counts the requests that open (or try to open) a session:
	// the server limits them per client address.
	SignIns              int64   `json:"sign_ins"`
	MatrixSeconds        float64 `json:"matrix_seconds"`
	RateLimitWaitSeconds float64 `json:"rate_limit_wait_seconds"`

	mu sync.Mutex
}

// OperationResult is one operation and its variants.
type OperationResult struct {
	Operation
	Variants []*VariantResult `json:"variants"`
	// NotCovered says why the operation could not be exercised at all
	// (which fails the run).
	NotCovered string `json:"not_covered,omitempty"`
}

// VariantResult is one variant run on one operation.
type VariantResult struct {
	Name   string `json:"name"`
	Want   string `json:"want"`
	Status int    `json:"status,omitempty"`
	OK     bool   `json:"ok"`
	// Skipped says why the variant did not run (it is not counted).
	Skipped string `json:"skipped,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// Failure is one failed check.
type Failure struct {
	Operation string `json:"operation"`
	Variant   string `json:"variant,omitempty"`
	Message   string `json:"message"`
}

// String formats the failure on one line.
func (f Failure) String() string {
	if f.Variant == "" {
		return f.Operation + ": " + f.Message
	}
	return f.Operation + " [" + f.Variant + "]: " + f.Message
}

func (r *Report) fail(op, variant, format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Failures = append(r.Failures, Failure{Operation: op, Variant: variant, Message: fmt.Sprintf(format, args...)})
}

// Failed reports whether any check failed.
func (r *Report) Failed() bool { return len(r.Failures) > 0 }

// Coverage returns the operations exercised and the operations documented.
func (r *Report) Coverage() (covered, total int) {
	for _, o := range r.Operations {
		total++
		if o.NotCovered == "" && len(o.ran()) > 0 {
			covered++
		}
	}
	return covered, total
}

func (o *OperationResult) ran() []*VariantResult {
	var out []*VariantResult
	for _, v := range o.Variants {
		if v.Skipped == "" {
			out = append(out, v)
		}
	}
	return out
}

// Counts returns the variants run, passed and skipped over all operations.
func (r *Report) Counts() (run, passed, skipped int) {
	for _, o := range r.Operations {
		for _, v := range o.Variants {
			switch {
			case v.Skipped != "":
				skipped++
			case v.OK:
				run++
				passed++
			default:
				run++
			}
		}
	}
	return run, passed, skipped
}

// Summary is a one-paragraph account of the run.
func (r *Report) Summary() string {
	covered, total := r.Coverage()
	run, passed, skipped := r.Counts()
	byTenancy := map[string]int{}
	for _, o := range r.Operations {
		byTenancy[o.Host+"/"+o.Tenancy]++
	}
	var parts []string
	for _, k := range sortedKeys(byTenancy) {
		parts = append(parts, fmt.Sprintf("%s %d", k, byTenancy[k]))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "operations: %d of %d covered (%s)\n", covered, total, strings.Join(parts, ", "))
	fmt.Fprintf(&b, "variants: %d run, %d passed, %d failed, %d skipped\n", run, passed, run-passed, skipped)
	if len(r.Flows) > 0 {
		held, steps := 0, 0
		for _, f := range r.Flows {
			steps += len(f.Results)
			if f.OK {
				held++
			}
		}
		fmt.Fprintf(&b, "flows: %d of %d held (%d steps)\n", held, len(r.Flows), steps)
	}
	if r.Injection != nil {
		i := r.Injection
		fmt.Fprintf(&b, "injection: %d payloads x %d string inputs = %d requests, %d rate-limited, %d server errors, %d leaks, %d not exercised\n",
			i.Payloads, i.Inputs, i.Requests, i.RateLimited, i.ServerErrors, i.Leaks, len(i.NotExercised))
	}
	if e := r.Edges; e != nil {
		failed := 0
		for _, row := range e.Rows {
			failed += row.Failed
		}
		checked := "tenant B read back unchanged"
		if e.DatabaseChecked {
			checked = "the database compared whole"
		}
		fmt.Fprintf(&b, "input edges: %d cases over the parsers of every operation, %d requests, %d not refused as wanted, %d not exercised; %s\n",
			len(e.Rows), e.Requests, failed, len(e.NotExercised), checked)
	}
	if s := r.Soak; s != nil {
		fmt.Fprintf(&b, "soak: %d probes over %d tenants in %.1fs (%.0f probes/s), %d cancelled, %d leaks, %d server errors\n",
			s.Probes, s.Tenants, s.Seconds, s.PerSecond, s.Cancelled, s.Leaks, s.ServerErrors)
	}
	fmt.Fprintf(&b, "requests: %d (%d sign-ins) in %.1fs, %.0fs of it waiting out rate limits; failures: %d",
		r.Requests, r.SignIns, r.MatrixSeconds, r.RateLimitWaitSeconds, len(r.Failures))
	return b.String()
}

// WriteText writes the report for people: the matrix of operations and
// variants, then the summary and every failure.
func (r *Report) WriteText(w io.Writer) error {
	names := r.variantNames()
	fmt.Fprintf(w, "tenantkit probe: %s (A = %s, B = %s)\n\n", r.BaseURL, r.TenantA, r.TenantB)
	fmt.Fprintf(w, "legend: ok = as expected, FAIL = not, - = not applicable, skip = not run (reason in JSON)\n")
	for i, n := range names {
		fmt.Fprintf(w, "  v%-2d %s\n", i+1, n)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprint(tw, "operation\thost\ttenancy\trole")
	for i := range names {
		fmt.Fprintf(tw, "\tv%d", i+1)
	}
	fmt.Fprintln(tw)
	for _, o := range r.Operations {
		fmt.Fprintf(tw, "%s %s\t%s\t%s\t%s", o.Method, o.Path, o.Host, o.Tenancy, o.MinRole)
		byName := map[string][]*VariantResult{}
		for _, v := range o.Variants {
			byName[familyOf(v.Name)] = append(byName[familyOf(v.Name)], v)
		}
		for _, n := range names {
			vs := byName[n]
			cell := "-"
			if len(vs) > 0 {
				cell = "ok"
				for _, v := range vs {
					if v.Skipped != "" && cell == "ok" {
						cell = "skip"
					}
					if v.Skipped == "" && !v.OK {
						cell = "FAIL"
					}
				}
			}
			fmt.Fprintf(tw, "\t%s", cell)
		}
		if o.NotCovered != "" {
			fmt.Fprintf(tw, "\tNOT COVERED: %s", o.NotCovered)
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, f := range r.Flows {
		verdict := "held"
		if !f.OK {
			verdict = "BROKEN"
		}
		fmt.Fprintf(w, "\nflow %s (%s): %s\n  %s\n", f.Name, f.Threat, verdict, f.Does)
		for i, st := range f.Steps {
			mark := "ok"
			if i < len(f.Results) && !f.Results[i].OK {
				mark = "FAIL"
			}
			status := "-"
			if i < len(f.Results) && f.Results[i].Status != 0 {
				status = strconv.Itoa(f.Results[i].Status)
			}
			fmt.Fprintf(w, "  %d. %-8s %-5s %-32s want %-4s got %-4s %s\n", i+1, st.As, st.On, st.Op, st.Want, status, mark)
		}
	}
	if r.Edges != nil {
		fmt.Fprintln(w, "\ninput edges (what was tried, per parser):")
		if err := r.Edges.WriteText(w); err != nil {
			return err
		}
	}
	fmt.Fprintf(w, "\n%s\n", r.Summary())
	for _, f := range r.Failures {
		fmt.Fprintf(w, "FAIL %s\n", f)
	}
	if r.Failed() {
		fmt.Fprintln(w, "\nprobe: FAILED")
	} else {
		fmt.Fprintln(w, "\nprobe: PASSED")
	}
	return nil
}

// WriteJSON writes the report as JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// familyOf groups variants that run once per id location under one name.
func familyOf(name string) string {
	n, _, _ := strings.Cut(name, " ")
	return n
}

// variantNames returns the variant families in the order they first ran.
func (r *Report) variantNames() []string {
	var out []string
	seen := map[string]bool{}
	for _, o := range r.Operations {
		for _, v := range o.Variants {
			if f := familyOf(v.Name); !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
