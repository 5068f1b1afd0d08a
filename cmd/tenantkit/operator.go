package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenants"
)

const operatorUsage = `Usage: tenantkit operator <command> [flags]

The platform operator role, on the audited platform path
(PLATFORM_DATABASE_URL). An operator's account may run the tenant lifecycle
over the API on the apex host (/api/platform/tenants...); only this command
grants it. Every command writes a platform audit row with who ran it and why.

Commands:
  grant  EMAIL --reason R           make the account with EMAIL an operator
  revoke EMAIL --reason R           end it: the account's next operator request is refused
  list                              every operator, when and why it was granted

Flags of every command: --reason (required for grant and revoke), --json.
`

// runOperator runs `tenantkit operator <command>`.
func runOperator(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, operatorUsage)
		if len(args) == 0 {
			return errUsage
		}
		return nil
	}
	name := args[0]
	if name != "grant" && name != "revoke" && name != "list" {
		fmt.Fprintf(stderr, "unknown operator command %q\n\n%s", name, operatorUsage)
		return errUsage
	}
	fs := flag.NewFlagSet("operator "+name, flag.ContinueOnError)
	reason := fs.String("reason", "", "why: recorded in the platform audit log")
	asJSON := fs.Bool("json", false, "print JSON")
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
	change := name != "list"
	if change && strings.TrimSpace(*reason) == "" {
		return errors.New("operator " + name + ": --reason is required")
	}
	if change && len(positional) != 1 {
		return errors.New("operator " + name + ": one EMAIL argument is required")
	}
	if !change && len(positional) != 0 {
		return errors.New("operator list: no arguments")
	}
	if *reason == "" {
		*reason = "an operator runs operator " + name
	}
	url := getenv("PLATFORM_DATABASE_URL")
	if url == "" {
		return errors.New("operator: PLATFORM_DATABASE_URL is required (the platform role's connection)")
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
	ops := tenants.NewOperators(st, time.Now)
	t := &tenantTool{op: tenants.Operator{Actor: "cli:" + actor, Reason: *reason}, args: positional, json: *asJSON, stdout: stdout, stderr: stderr}
	switch name {
	case "grant":
		var g tenants.OperatorGrant
		if g, err = ops.Grant(ctx, t.op, positional[0]); err == nil {
			err = t.print(operatorJSON(g), "%s (%s) is an operator\n", g.Email, g.AccountID)
		}
	case "revoke":
		if err = ops.Revoke(ctx, t.op, positional[0]); err == nil {
			err = t.print(map[string]string{"email": strings.ToLower(strings.TrimSpace(positional[0])), "revoked": "true"},
				"%s is no longer an operator\n", positional[0])
		}
	case "list":
		err = operatorList(ctx, t, ops)
	}
	if err != nil {
		return fmt.Errorf("operator %s: %s", name, cliMessage(err))
	}
	return nil
}

type operatorOut struct {
	AccountID string    `json:"account_id"`
	Email     string    `json:"email"`
	GrantedAt time.Time `json:"granted_at"`
	GrantedBy string    `json:"granted_by"`
	Reason    string    `json:"reason"`
}

func operatorJSON(g tenants.OperatorGrant) operatorOut {
	return operatorOut{AccountID: g.AccountID.String(), Email: g.Email, GrantedAt: g.GrantedAt.UTC(), GrantedBy: g.GrantedBy, Reason: g.Reason}
}

func operatorList(ctx context.Context, t *tenantTool, ops *tenants.Operators) error {
	list, err := ops.List(ctx, t.op)
	if err != nil {
		return err
	}
	if t.json {
		out := make([]operatorOut, 0, len(list))
		for _, g := range list {
			out = append(out, operatorJSON(g))
		}
		return t.print(out, "")
	}
	w := tabwriter.NewWriter(t.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "EMAIL\tGRANTED\tBY\tREASON")
	for _, g := range list {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", g.Email, g.GrantedAt.UTC().Format(time.RFC3339), g.GrantedBy, g.Reason)
	}
	return w.Flush()
}
