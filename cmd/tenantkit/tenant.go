package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
	tenantusage "github.com/tenantkit/tenantkit/usage"
)

const tenantUsage = `Usage: tenantkit tenant <command> [flags]

The tenant lifecycle, on the audited platform path (PLATFORM_DATABASE_URL):
every command writes a platform audit row with the operator and the reason,
and every change also goes to the tenant's own audit log.

Commands:
  list                              every tenant, its status and members
  create  --slug S --name N         a new, active tenant with its settings and no members
  suspend SLUG                      its hosts answer 403; the database refuses its rows to the app role
  resume  SLUG                      serve it again
  export  SLUG --out FILE           every row it owns, one NDJSON file per table, in a zip with a manifest
                                    of counts and checksums (--out - writes to stdout)
  delete  SLUG --dry-run            count, per tenant-owned table, the rows that would go
  delete  SLUG --confirm SLUG       delete a suspended tenant in batches (--batch, default 1000), then
                                    verify that no table holds a row of it; the result goes to the
                                    platform audit log
  support SLUG --reason R [--for 30m]
                                    read access to the tenant's rows for a support case, ending by itself
                                    (the database's clock; default 30m, at most 4h); the tenant's owners
                                    see it, its reason and every read in their audit log, and can end it
  support-read SLUG [TABLE] [--limit N] [--offset N]
                                    under your live support access: without TABLE, every tenant-owned
                                    table and the tenant's row count; with it, its rows as NDJSON (values
                                    of hash and token columns hidden). Every read is audited, for the
                                    platform and for the tenant's owners
  support-end SLUG                  end every live support access to the tenant now
  top [--last 1h] [--until T] [--limit 10]
                                    the loudest tenants (most requests) and the failing ones (server
                                    errors and refused bindings) of the last hour, from the usage table

Flags of every command: --reason (required for changes), --json.
`

// tenantCommand is one tenant subcommand: its flags are added to fs, and
// run does the work once they are parsed.
type tenantCommand struct {
	change bool // needs --reason
	flags  func(fs *flag.FlagSet) func(ctx context.Context, t *tenantTool) error
}

// tenantTool is what every tenant subcommand works with.
type tenantTool struct {
	admin  *tenants.Admin
	usage  *tenantusage.Service
	op     tenants.Operator
	args   []string
	json   bool
	stdout io.Writer
	stderr io.Writer
}

var tenantCommands = map[string]tenantCommand{
	"list": {flags: func(*flag.FlagSet) func(context.Context, *tenantTool) error { return tenantList }},
	"create": {change: true, flags: func(fs *flag.FlagSet) func(context.Context, *tenantTool) error {
		slug := fs.String("slug", "", "the tenant's slug: its host is {slug}.{base domain}")
		name := fs.String("name", "", "the organization's name")
		return func(ctx context.Context, t *tenantTool) error {
			tn, err := t.admin.Create(ctx, t.op, *slug, *name)
			if err != nil {
				return err
			}
			return t.print(tenantJSON(tn), "created %s (%s), %s\n", tn.Slug, tn.ID, tn.Status)
		}
	}},
	"suspend": {change: true, flags: func(*flag.FlagSet) func(context.Context, *tenantTool) error { return tenantStatus(true) }},
	"resume":  {change: true, flags: func(*flag.FlagSet) func(context.Context, *tenantTool) error { return tenantStatus(false) }},
	"export": {change: true, flags: func(fs *flag.FlagSet) func(context.Context, *tenantTool) error {
		out := fs.String("out", "", "the archive to write (a zip); - for stdout")
		return func(ctx context.Context, t *tenantTool) error { return tenantExport(ctx, t, *out) }
	}},
	"delete": {change: true, flags: func(fs *flag.FlagSet) func(context.Context, *tenantTool) error {
		dry := fs.Bool("dry-run", false, "count what would go; change nothing")
		confirm := fs.String("confirm", "", "the tenant's slug again: required to delete")
		batch := fs.Int("batch", 1000, "rows per transaction")
		return func(ctx context.Context, t *tenantTool) error { return tenantDelete(ctx, t, *dry, *confirm, *batch) }
	}},
	"support": {change: true, flags: func(fs *flag.FlagSet) func(context.Context, *tenantTool) error {
		d := fs.Duration("for", tenants.DefaultSupportAccess, "how long the access lasts (at most 4h)")
		return func(ctx context.Context, t *tenantTool) error { return tenantSupport(ctx, t, *d) }
	}},
	"support-read": {flags: func(fs *flag.FlagSet) func(context.Context, *tenantTool) error {
		limit := fs.Int("limit", tenants.DefaultSupportRows, "rows to print (at most 1000)")
		offset := fs.Int("offset", 0, "rows to skip (in the order of their JSON text)")
		return func(ctx context.Context, t *tenantTool) error { return tenantSupportRead(ctx, t, *limit, *offset) }
	}},
	"support-end": {flags: func(*flag.FlagSet) func(context.Context, *tenantTool) error { return tenantSupportEnd }},
	"top": {flags: func(fs *flag.FlagSet) func(context.Context, *tenantTool) error {
		last := fs.Duration("last", time.Hour, "the window: this long before --until (at most 24h)")
		until := fs.String("until", "", "the window's end, RFC 3339 (default: the end of the current minute)")
		limit := fs.Int("limit", 10, "tenants per list (1 to 100)")
		return func(ctx context.Context, t *tenantTool) error { return tenantTop(ctx, t, *last, *until, *limit) }
	}},
}

// runTenant runs `tenantkit tenant <command>`.
func runTenant(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, tenantUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	cmd, ok := tenantCommands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "unknown tenant command %q\n\n%s", args[0], tenantUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("tenant "+args[0], flag.ContinueOnError)
	reason := fs.String("reason", "", "why: recorded in the platform audit log and the tenant's")
	asJSON := fs.Bool("json", false, "print JSON")
	work := cmd.flags(fs)
	// Flags may follow the SLUG (tenant suspend acme --reason …).
	var positional []string
	for rest := args[1:]; ; {
		if help, err := parseFlags(fs, rest, stderr, false); help || err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		positional, rest = append(positional, fs.Arg(0)), fs.Args()[1:]
	}
	if cmd.change && strings.TrimSpace(*reason) == "" {
		return errors.New("tenant " + args[0] + ": --reason is required")
	}
	if *reason == "" {
		*reason = "an operator runs tenant " + args[0]
	}
	url := getenv("PLATFORM_DATABASE_URL")
	if url == "" {
		return errors.New("tenant: PLATFORM_DATABASE_URL is required (the platform role's connection)")
	}
	st, err := store.Open(ctx, store.Config{PlatformURL: url})
	if err != nil {
		return err
	}
	defer st.Close()
	actor := getenv("USER")
	if actor == "" {
		actor = "unknown"
	}
	t := &tenantTool{
		admin: tenants.NewAdmin(st, tenants.New(st), time.Now), op: tenants.Operator{Actor: "cli:" + actor, Reason: *reason},
		usage: tenantusage.New(tenantusage.Config{Store: st, Now: time.Now}),
		args:  positional, json: *asJSON, stdout: stdout, stderr: stderr,
	}
	if err := work(ctx, t); err != nil {
		return fmt.Errorf("tenant %s: %s", args[0], cliMessage(err))
	}
	return nil
}

// cliMessage is what an operator reads of err: the message and the
// fields a tenant error names, and the cause of an internal one.
func cliMessage(err error) string {
	var te *tenant.Error
	if !errors.As(err, &te) || te.Code == tenant.CodeInternal {
		return err.Error()
	}
	msg := te.Message
	for f, why := range te.Fields {
		msg += fmt.Sprintf(" (%s: %s)", strings.TrimPrefix(f, "body."), why)
	}
	return msg
}

// print writes v as JSON with --json, the formatted line otherwise.
func (t *tenantTool) print(v any, format string, args ...any) error {
	if t.json {
		enc := json.NewEncoder(t.stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := fmt.Fprintf(t.stdout, format, args...)
	return err
}

// slugArg returns the one SLUG argument of a command.
func (t *tenantTool) slugArg() (string, error) {
	if len(t.args) != 1 {
		return "", errors.New("one SLUG argument is required")
	}
	return t.args[0], nil
}

type tenantOut struct {
	ID        string    `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Status    string    `json:"status"`
	Members   *int64    `json:"members,omitempty"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

func tenantJSON(tn tenant.Tenant) tenantOut {
	return tenantOut{ID: tn.ID.String(), Slug: tn.Slug, Name: tn.Name, Status: string(tn.Status)}
}

func tenantList(ctx context.Context, t *tenantTool) error {
	list, err := t.admin.List(ctx, t.op)
	if err != nil {
		return err
	}
	if t.json {
		out := make([]tenantOut, 0, len(list))
		for _, s := range list {
			o := tenantJSON(s.Tenant)
			o.Members, o.CreatedAt = &s.Members, s.CreatedAt.UTC()
			out = append(out, o)
		}
		return t.print(out, "")
	}
	w := tabwriter.NewWriter(t.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "SLUG\tSTATUS\tMEMBERS\tCREATED\tNAME")
	for _, s := range list {
		fmt.Fprintf(w, "%s\t%s\t%d\t%s\t%s\n", s.Slug, s.Status, s.Members, s.CreatedAt.UTC().Format(time.DateOnly), s.Name)
	}
	return w.Flush()
}

func tenantStatus(suspend bool) func(context.Context, *tenantTool) error {
	return func(ctx context.Context, t *tenantTool) error {
		slug, err := t.slugArg()
		if err != nil {
			return err
		}
		change := t.admin.Resume
		if suspend {
			change = t.admin.Suspend
		}
		tn, err := change(ctx, t.op, slug)
		if err != nil {
			return err
		}
		return t.print(tenantJSON(tn), "%s is %s\n", tn.Slug, tn.Status)
	}
}

func tenantExport(ctx context.Context, t *tenantTool, out string) (err error) {
	slug, err := t.slugArg()
	if err != nil {
		return err
	}
	var w io.Writer
	switch out {
	case "":
		return errors.New("--out FILE is required (- for stdout)")
	case "-":
		if t.json {
			return errors.New("--json prints the manifest on stdout: write the archive to a file")
		}
		w = t.stdout
	default:
		f, err := os.OpenFile(out, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
		if err != nil {
			return err
		}
		defer func() {
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				os.Remove(out)
			}
		}()
		w = f
	}
	m, err := t.admin.Export(ctx, t.op, slug, w, progressBar(t.stderr))
	if err != nil {
		return err
	}
	var rows int64
	for _, tm := range m.Tables {
		rows += tm.Rows
	}
	if out == "-" {
		fmt.Fprintf(t.stderr, "exported %s: %d rows in %d tables\n", m.Tenant.Slug, rows, len(m.Tables))
		return nil
	}
	return t.print(m, "exported %s to %s: %d rows in %d tables\n", m.Tenant.Slug, out, rows, len(m.Tables))
}

func tenantDelete(ctx context.Context, t *tenantTool, dry bool, confirm string, batch int) error {
	slug, err := t.slugArg()
	if err != nil {
		return err
	}
	if !dry && confirm != slug {
		return fmt.Errorf("deleting %s cannot be undone: run --dry-run first, then again with --confirm %s", slug, slug)
	}
	rep, err := t.admin.Delete(ctx, t.op, slug, tenants.DeleteOptions{DryRun: dry, BatchSize: batch, Progress: progressBar(t.stderr)})
	if err != nil && rep.Tenant.Slug == "" {
		return err
	}
	if t.json {
		if perr := t.print(rep, ""); perr != nil {
			return perr
		}
		return err
	}
	w := tabwriter.NewWriter(t.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	if dry {
		fmt.Fprintf(t.stdout, "dry run: deleting %s (%s) would remove:\n", rep.Tenant.Slug, rep.Tenant.ID)
		fmt.Fprintln(w, "TABLE\tROWS\t")
		var total int64
		for _, tc := range rep.Tables {
			fmt.Fprintf(w, "%s\t%d\t\n", tc.Table, tc.Rows)
			total += tc.Rows
		}
		fmt.Fprintf(w, "total\t%d\t\n", total)
		return w.Flush()
	}
	fmt.Fprintln(w, "TABLE\tROWS\tDELETED\tREMAINING\tOTHERS BEFORE\tOTHERS AFTER\t")
	for _, tc := range rep.Tables {
		fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%d\t\n", tc.Table, tc.Rows, tc.Deleted, tc.Remaining, tc.OthersBefore, tc.OthersAfter)
	}
	if ferr := w.Flush(); ferr != nil {
		return ferr
	}
	fmt.Fprintf(t.stdout, "%d batches; verified: %v (no row of %s left in %d tables); other tenants' counts unchanged: %v\n",
		rep.Batches, rep.Verified, rep.Tenant.ID, len(rep.Tables), rep.OthersUnchanged)
	if !rep.OthersUnchanged {
		fmt.Fprintf(t.stdout, "tenants whose counts moved during the deletion (their own work, or look closer): %v\n", rep.ChangedTenants)
	}
	return err
}

// progressBar draws long work's progress on w when w is a terminal, and
// a line per finished table otherwise.
func progressBar(w io.Writer) tenants.Progress {
	f, ok := w.(*os.File)
	tty := false
	if ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			tty = true
		}
	}
	return func(table string, done, total int64) {
		switch {
		case tty && total > 0:
			const width = 30
			n := int(done * width / max(total, 1))
			fmt.Fprintf(w, "\r[%s%s] %-28s %d/%d", strings.Repeat("#", n), strings.Repeat(".", width-n), table, done, total)
			if done >= total {
				fmt.Fprintln(w)
			}
		case tty:
			fmt.Fprintf(w, "\r%-28s %d rows", table, done)
		case total > 0 && done >= total:
			fmt.Fprintf(w, "%s: %d rows\n", table, done)
		}
	}
}

type supportGrantOut struct {
	ID        string     `json:"id"`
	Tenant    string     `json:"tenant"`
	Operator  string     `json:"operator"`
	Reason    string     `json:"reason"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
}

func supportJSON(slug string, g tenants.SupportGrant) supportGrantOut {
	return supportGrantOut{ID: g.ID.String(), Tenant: slug, Operator: g.Actor, Reason: g.Reason, CreatedAt: g.CreatedAt.UTC(),
		ExpiresAt: g.ExpiresAt.UTC(), EndedAt: g.EndedAt}
}

func tenantSupport(ctx context.Context, t *tenantTool, d time.Duration) error {
	slug, err := t.slugArg()
	if err != nil {
		return err
	}
	g, err := t.admin.GrantSupport(ctx, t.op, slug, d)
	if err != nil {
		return err
	}
	return t.print(supportJSON(slug, g), "support access to %s for %s until %s (grant %s)\nread with: tenantkit tenant support-read %s [TABLE]\nend with:  tenantkit tenant support-end %s\n",
		slug, t.op.Actor, g.ExpiresAt.UTC().Format(time.RFC3339), g.ID, slug, slug)
}

func tenantSupportEnd(ctx context.Context, t *tenantTool) error {
	slug, err := t.slugArg()
	if err != nil {
		return err
	}
	ended, err := t.admin.EndSupport(ctx, t.op, slug)
	if err != nil {
		return err
	}
	out := make([]supportGrantOut, 0, len(ended))
	for _, g := range ended {
		out = append(out, supportJSON(slug, g))
	}
	return t.print(out, "ended %d support access grant(s) to %s\n", len(ended), slug)
}

// tenantSupportRead prints, under the operator's live support grant, the
// tenant's tables and counts (no TABLE) or a table's rows, one JSON object
// a line.
func tenantSupportRead(ctx context.Context, t *tenantTool, limit, offset int) error {
	if len(t.args) < 1 || len(t.args) > 2 {
		return errors.New("usage: tenant support-read SLUG [TABLE]")
	}
	slug, opts := t.args[0], tenants.SupportReadOptions{Limit: limit, Offset: offset}
	if len(t.args) == 2 {
		opts.Table = t.args[1]
	}
	res, err := t.admin.SupportRead(ctx, t.op, slug, opts)
	if err != nil {
		return err
	}
	if opts.Table == "" {
		if t.json {
			return t.print(res.Tables, "")
		}
		w := tabwriter.NewWriter(t.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "TABLE\tROWS")
		for _, tb := range res.Tables {
			fmt.Fprintf(w, "%s\t%d\n", tb.Table, tb.Rows)
		}
		return w.Flush()
	}
	for _, r := range res.Rows {
		if _, err := fmt.Fprintf(t.stdout, "%s\n", r); err != nil {
			return err
		}
	}
	fmt.Fprintf(t.stderr, "%d rows of %s (support access until %s)\n", len(res.Rows), res.Table, res.Grant.ExpiresAt.UTC().Format(time.RFC3339))
	return nil
}

// tenantTop prints the loudest and the failing tenants of the window.
func tenantTop(ctx context.Context, t *tenantTool, last time.Duration, rawUntil string, limit int) error {
	var until time.Time
	if rawUntil != "" {
		var err error
		if until, err = time.Parse(time.RFC3339, rawUntil); err != nil {
			return errors.New("--until: want an RFC 3339 time")
		}
	} else {
		until = time.Now().UTC().Truncate(time.Minute).Add(time.Minute)
	}
	if last <= 0 {
		return errors.New("--last must be positive")
	}
	top, err := t.usage.Top(ctx, tenantusage.TopQuery{Actor: t.op.Actor, Since: until.Add(-last), Until: until, Limit: limit})
	if err != nil {
		return err
	}
	if t.json {
		return t.print(top, "")
	}
	w := tabwriter.NewWriter(t.stdout, 0, 4, 2, ' ', 0)
	for _, list := range []struct {
		title string
		rows  []tenantusage.TenantTotal
	}{{"LOUDEST", top.Loudest}, {"FAILING", top.Failing}} {
		fmt.Fprintf(w, "%s %s – %s\n", list.title, top.Since.Format(time.RFC3339), top.Until.Format(time.RFC3339))
		fmt.Fprintln(w, "SLUG\tREQUESTS\t4XX\t5XX\tREFUSED\tWORST P99 MS")
		for _, r := range list.rows {
			fmt.Fprintf(w, "%s\t%d\t%d\t%d\t%d\t%.0f\n", r.Slug, r.Requests, r.ClientErrors, r.ServerErrors, r.Refused, r.WorstP99Ms)
		}
		if len(list.rows) == 0 {
			fmt.Fprintln(w, "(none)")
		}
		fmt.Fprintln(w)
	}
	return w.Flush()
}
