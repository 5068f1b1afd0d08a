package app

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/auth"
)

// An incomplete configuration is refused before anything is opened, and
// the refusal names every missing setting at once.
func TestOpenRefusesAnIncompleteConfig(t *testing.T) {
	_, err := Open(context.Background(), Config{Addr: "127.0.0.1:0"})
	if err == nil {
		t.Fatal("Open accepted an empty configuration")
	}
	for _, name := range []string{"DatabaseURL", "PlatformDatabaseURL", "BaseDomain", "SessionKeys", "TenantSigKeys"} {
		if !strings.Contains(err.Error(), "Config."+name) {
			t.Errorf("the refusal does not name %s: %v", name, err)
		}
	}
}

// A configuration Open cannot use releases the listener it was given.
func TestOpenReleasesTheListenerOnFailure(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := Config{
		DatabaseURL: "postgres://app@127.0.0.1:1/none", PlatformDatabaseURL: "postgres://platform@127.0.0.1:1/none",
		BaseDomain: "tenantkit.test", PublicURL: "ftp://tenantkit.test",
		SessionKeys: auth.GenerateKeySpec("k1", 32), TenantSigKeys: auth.GenerateKeySpec("s1", 32),
	}
	if _, err := Open(context.Background(), cfg, WithListener(ln)); err == nil || !strings.Contains(err.Error(), "public URL") {
		t.Fatalf("Open with an ftp public URL: %v", err)
	}
	if _, err := ln.Accept(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("the listener is still open: %v", err)
	}
}

// Links are built from the configured public URL, never from a request;
// without one they point at the apex over HTTPS, or in development at the
// apex on the listen port over plain HTTP.
func TestPublicURLs(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	for _, tc := range []struct {
		cfg  Config
		want auth.URLs
	}{
		{Config{BaseDomain: "firms.example", PublicURL: "https://firms.example:8443"}, auth.URLs{Scheme: "https", Host: "firms.example:8443"}},
		{Config{BaseDomain: "firms.example"}, auth.URLs{Scheme: "https", Host: "firms.example"}},
		{Config{BaseDomain: "localhost", Dev: true}, auth.URLs{Scheme: "http", Host: "localhost:" + port}},
	} {
		got, err := publicURLs(tc.cfg, ln)
		if err != nil || got != tc.want {
			t.Errorf("publicURLs(%+v) = %+v, %v; want %+v", tc.cfg, got, err, tc.want)
		}
	}
	for _, bad := range []string{"ftp://firms.example", "firms.example", "https://"} {
		if _, err := publicURLs(Config{BaseDomain: "firms.example", PublicURL: bad}, ln); err == nil {
			t.Errorf("publicURLs accepted %q", bad)
		}
	}
}

// Profiles are served on the metrics listener, beside the metrics, and
// nowhere else.
func TestProfilesOnlyOnTheMetricsListener(t *testing.T) {
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "tenantkit_requests_total 1\n") })
	h := operatorHandler(metrics)
	for path, want := range map[string]string{"/metrics": "tenantkit_requests_total", "/debug/pprof/": "goroutine", "/debug/pprof/cmdline": ""} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != 200 || !strings.Contains(rec.Body.String(), want) {
			t.Errorf("%s on the metrics listener: %d %.80q", path, rec.Code, rec.Body.String())
		}
	}
}
