package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/app"
	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/internal/pgtest"
)

func TestMain(m *testing.M) {
	if os.Getenv(execAsBinary) != "" {
		// A test's child process: the binary itself (TestServeDrainsOnSIGTERM).
		main()
		os.Exit(0)
	}
	pgtest.Main(m)
}

var (
	testSessionKeys = auth.GenerateKeySpec("t1", 32)
	testSigKeys     = auth.GenerateKeySpec("t1", 32)
)

func TestConfigMasksSecrets(t *testing.T) {
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{
			"DATABASE_URL":          "postgres://tenantkit_app:s3cret@db:5432/tenantkit",
			"PLATFORM_DATABASE_URL": "postgres://tenantkit_platform@db/tenantkit?password=hunter2",
			"SESSION_KEYS":          testSessionKeys, "TENANT_SIG_KEYS": testSigKeys,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s := cfg.String()
	if strings.Contains(s, "s3cret") || strings.Contains(s, "hunter2") || strings.Contains(s, testSigKeys[3:]) || !strings.Contains(s, "ADDR=127.0.0.1:8080") {
		t.Fatalf("config print:\n%s", s)
	}
}

func TestConfigValidate(t *testing.T) {
	cfg, err := loadConfig(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	err = cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") || !strings.Contains(err.Error(), "PLATFORM_DATABASE_URL") {
		t.Fatalf("want both missing URLs reported, got %v", err)
	}
	cfg.TrustedProxies = []string{"10.0.0.0/8", "192.0.2.7", "proxy.internal"}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), `TRUSTED_PROXIES: "proxy.internal"`) {
		t.Fatalf("want the unreadable proxy reported, got %v", err)
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"frobnicate"}, func(string) string { return "" }, &out, &errb); err == nil {
		t.Fatal("unknown command accepted")
	}
	if !strings.Contains(errb.String(), "Usage") {
		t.Fatalf("no usage printed: %s", errb.String())
	}
}

// The whole program boots on 127.0.0.1:0 against a test database, answers
// health and readiness, and drains on cancel.
func TestAppBootsAndDrains(t *testing.T) {
	db := pgtest.New(t)
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{
			"DATABASE_URL": db.AppURL, "PLATFORM_DATABASE_URL": db.PlatformURL, "ADDR": "127.0.0.1:0",
			"SESSION_KEYS": testSessionKeys, "TENANT_SIG_KEYS": testSigKeys,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	app, err := OpenApp(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	done := make(chan error, 1)
	go func() { done <- app.Serve(ctx) }()
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := http.Get("http://" + app.Addr() + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: %d %s", path, resp.StatusCode, body)
		}
	}
	// Without SMTP, serve mails nothing and shows no outbox: the page is
	// public and mail holds one-time links (password resets).
	if code := outboxStatus(t, app); code != http.StatusNotFound {
		t.Errorf("serve without SMTP: /dev/outbox answers %d, want 404", code)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the server did not drain")
	}
}

// The development outbox exists in dev only (the counterpart of the check
// in TestAppBootsAndDrains, which would pass vacuously without it).
func TestOutboxOnlyInDev(t *testing.T) {
	db := pgtest.New(t)
	cfg, err := loadConfig(func(k string) string {
		return map[string]string{
			"DATABASE_URL": db.AppURL, "PLATFORM_DATABASE_URL": db.PlatformURL, "ADDR": "127.0.0.1:0",
			"SESSION_KEYS": testSessionKeys, "TENANT_SIG_KEYS": testSigKeys,
		}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg.dev = true
	app, err := OpenApp(t.Context(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer app.Close(context.Background())
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go app.Serve(ctx)
	if code := outboxStatus(t, app); code != http.StatusOK {
		t.Errorf("dev: /dev/outbox answers %d, want 200", code)
	}
}

// outboxStatus asks app's apex host for the development outbox page.
func outboxStatus(t *testing.T, app *app.App) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+app.Addr()+"/dev/outbox", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "localhost"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestServeRefusesToStartWithoutDatabases(t *testing.T) {
	var out, errb bytes.Buffer
	err := run(context.Background(), []string{"serve"}, func(string) string { return "" }, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("serve without databases: %v", err)
	}
}

// A database that lost a protection is refused at boot, with the finding.
func TestBootRefusesABrokenSchema(t *testing.T) {
	db := pgtest.New(t)
	owner, err := pgx.Connect(context.Background(), db.OwnerURL)
	if err != nil {
		t.Fatal(err)
	}
	defer owner.Close(context.Background())
	if _, err := owner.Exec(context.Background(), "ALTER TABLE bookings NO FORCE ROW LEVEL SECURITY"); err != nil {
		t.Fatal(err)
	}
	cfg, _ := loadConfig(func(k string) string {
		return map[string]string{"DATABASE_URL": db.AppURL, "PLATFORM_DATABASE_URL": db.PlatformURL, "ADDR": "127.0.0.1:0",
			"SESSION_KEYS": testSessionKeys, "TENANT_SIG_KEYS": testSigKeys}[k]
	})
	_, err = OpenApp(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "TK202") || !strings.Contains(err.Error(), "bookings") {
		t.Fatalf("want a refusal naming TK202 on bookings, got %v", err)
	}
}
