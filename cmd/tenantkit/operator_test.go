package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/internal/pgtest"
)

func operatorCLI(t *testing.T, db *pgtest.DB, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	env := map[string]string{"PLATFORM_DATABASE_URL": db.PlatformURL, "USER": "alice"}
	err := run(context.Background(), append([]string{"operator"}, args...), func(k string) string { return env[k] }, &out, &errb)
	return out.String(), err
}

// The operator role from the command line: grant, list, revoke, each
// change refused without a reason, an unknown email or a second grant
// refused, and every change in the platform audit log.
func TestOperatorCommands(t *testing.T) {
	db := pgtest.New(t)
	ctx := context.Background()
	admin := pgtest.Connect(t, db.AdminURL)
	if _, err := admin.Exec(ctx, "INSERT INTO accounts (email) VALUES ('ops@example.test')"); err != nil {
		t.Fatal(err)
	}
	if _, err := operatorCLI(t, db, "grant", "ops@example.test"); err == nil || !strings.Contains(err.Error(), "--reason") {
		t.Fatalf("a grant without a reason: %v", err)
	}
	if _, err := operatorCLI(t, db, "grant", "nobody@example.test", "--reason", "r"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a grant to an unknown email: %v", err)
	}
	out, err := operatorCLI(t, db, "grant", "OPS@example.test", "--reason", "on call", "--json")
	var g struct {
		Email, Reason string
		GrantedBy     string `json:"granted_by"`
	}
	if err != nil || json.Unmarshal([]byte(out), &g) != nil || g.Email != "ops@example.test" || g.Reason != "on call" || g.GrantedBy != "cli:alice" {
		t.Fatalf("grant: %s %v", out, err)
	}
	if _, err := operatorCLI(t, db, "grant", "ops@example.test", "--reason", "again"); err == nil || !strings.Contains(err.Error(), "already") {
		t.Fatalf("a second grant: %v", err)
	}
	if out, err := operatorCLI(t, db, "list"); err != nil || !strings.Contains(out, "ops@example.test") || !strings.Contains(out, "on call") {
		t.Fatalf("list: %s %v", out, err)
	}
	if _, err := operatorCLI(t, db, "revoke", "ops@example.test", "--reason", "left the team"); err != nil {
		t.Fatal(err)
	}
	if _, err := operatorCLI(t, db, "revoke", "ops@example.test", "--reason", "again"); err == nil || !strings.Contains(err.Error(), "not found") {
		t.Fatalf("a second revoke: %v", err)
	}
	var list []any
	if out, err := operatorCLI(t, db, "list", "--json"); err != nil || json.Unmarshal([]byte(out), &list) != nil || len(list) != 0 {
		t.Fatalf("list after revoke: %s %v", out, err)
	}
	var n int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM platform_audit_log WHERE actor = 'cli:alice' AND "+
		"((action = 'operator.grant' AND reason = 'on call') OR (action = 'operator.revoke' AND reason = 'left the team'))").Scan(&n); err != nil || n != 2 {
		t.Fatalf("%d audit rows, want 2 (%v)", n, err)
	}
	// The app role cannot read the grants.
	app := pgtest.Connect(t, db.AppURL)
	if _, err := app.Exec(ctx, "SELECT * FROM platform_operators"); err == nil || !strings.Contains(err.Error(), "permission denied") {
		t.Fatalf("the app role reads platform_operators: %v", err)
	}
}
