package web_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/tenantkit/tenantkit/internal/logging"
)

// syncBuffer is a buffer the server's goroutines write log lines to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b.Reset()
}

// accessLines returns the access log lines of out (JSON lines).
func accessLines(t *testing.T, out string) []map[string]any {
	t.Helper()
	var lines []map[string]any
	sc := bufio.NewScanner(strings.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			t.Fatalf("log line %q: %v", sc.Text(), err)
		}
		if m["msg"] == "request" {
			lines = append(lines, m)
		}
	}
	return lines
}

func TestAccessLogLineCarriesTenantAndNoSecrets(t *testing.T) {
	var out syncBuffer
	logger := slog.New(logging.ContextHandler{Handler: slog.NewJSONHandler(&out, &slog.HandlerOptions{Level: slog.LevelInfo})})
	e := newEnv(t, loggingTo(logger))
	s := e.login("acme", "staff@acme.test")
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	e.get("acme", "/api/services", s, &list)
	if len(list.Items) == 0 {
		t.Fatal("acme has no services")
	}
	id := list.Items[0].ID
	out.Reset()
	r := e.do(req{method: "GET", host: "acme", path: "/api/services/" + id + "?fields=secret-query-value", sess: s})
	if r.Status != 422 && r.Status != 200 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	logged := out.String()
	lines := accessLines(t, logged)
	if len(lines) != 1 {
		t.Fatalf("%d access lines for one request:\n%s", len(lines), logged)
	}
	l := lines[0]
	acme := e.seeded["acme"]
	want := map[string]any{
		"level": "INFO", "method": "GET", "route": "GET /api/services/{id}", "status": float64(r.Status),
		"tenant_id": acme.TenantID.String(), "account_id": acme.Members["staff"].AccountID.String(),
		"request_id": r.Header.Get("X-Request-Id"),
	}
	for k, v := range want {
		if l[k] != v {
			t.Errorf("%s = %v, want %v", k, l[k], v)
		}
	}
	if b, _ := l["bytes"].(float64); int(b) != len(r.Body) {
		t.Errorf("bytes = %v, want %d", l["bytes"], len(r.Body))
	}
	if _, ok := l["duration_ms"].(float64); !ok {
		t.Errorf("no duration_ms: %v", l)
	}
	for name, secret := range map[string]string{
		"token": s.Token, "tenant cookie": s.TenantSig, "query string": "secret-query-value", "raw path": "/api/services/" + id,
	} {
		if strings.Contains(logged, secret) {
			t.Errorf("the log holds the %s:\n%s", name, logged)
		}
	}

	// A request another tenant's credentials cannot bind: the line names
	// the host's tenant and no account.
	out.Reset()
	r = e.do(req{method: "GET", host: "globex", path: "/api/services", sess: s})
	lines = accessLines(t, out.String())
	if len(lines) != 1 || lines[0]["tenant_id"] != e.seeded["globex"].TenantID.String() || lines[0]["account_id"] != nil ||
		lines[0]["status"] != float64(r.Status) || r.Status < 400 {
		t.Fatalf("refused request (%d): %v", r.Status, lines)
	}
	if strings.Contains(out.String(), s.Token) || strings.Contains(out.String(), s.TenantSig) {
		t.Fatalf("the refused request's log holds its credentials:\n%s", out.String())
	}

	// The apex host: no tenant; a path no route names: the catch-all's
	// pattern, never the raw path.
	out.Reset()
	e.do(req{method: "GET", host: "", path: "/no/such/place"})
	lines = accessLines(t, out.String())
	if len(lines) != 1 || lines[0]["route"] == "" || lines[0]["tenant_id"] != nil || strings.Contains(out.String(), "/no/such/place") {
		t.Fatalf("unmatched: %v", lines)
	}
}

// The volume the access log adds, per 1,000 requests of a signed-in
// member reading services (the README states it).
func TestAccessLogVolume(t *testing.T) {
	var jsonOut, textOut syncBuffer
	logger := slog.New(logging.ContextHandler{Handler: slog.NewMultiHandler(
		slog.NewJSONHandler(&jsonOut, &slog.HandlerOptions{Level: slog.LevelInfo}),
		slog.NewTextHandler(&textOut, &slog.HandlerOptions{Level: slog.LevelInfo}),
	)})
	e := newEnv(t, loggingTo(logger))
	s := e.login("acme", "staff@acme.test")
	jsonOut.Reset()
	textOut.Reset()
	const n = 1000
	for i := range n {
		path := "/api/services"
		if i%2 == 1 {
			path = "/api/service-requests"
		}
		if r := e.do(req{method: "GET", host: "acme", path: path, sess: s}); r.Status != 200 {
			t.Fatalf("%s: %d", path, r.Status)
		}
	}
	lines := accessLines(t, jsonOut.String())
	if len(lines) != n {
		t.Fatalf("%d access lines for %d requests", len(lines), n)
	}
	var other int
	for l := range strings.Lines(jsonOut.String()) {
		if !strings.Contains(l, `"msg":"request"`) {
			other++
		}
	}
	t.Logf("per %d requests: %d bytes as JSON, %d bytes as text (LOG_FORMAT=text, the default); %d other lines at Info",
		n, len(jsonOut.String()), len(textOut.String()), other)
}
