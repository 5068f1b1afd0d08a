package web_test

import (
	"strconv"
	"strings"
	"testing"
)

// Whatever an Idempotency-Key header holds, the server answers without a
// server error, and the same key in another tenant never replays the
// first tenant's response (THREATS SURF-10). The seeds run with every
// go test; go test -fuzz explores further.
func FuzzIdempotencyKeyHeader(f *testing.F) {
	e := newEnv(f)
	acme := e.login("acme", "owner@acme.test")
	globex := e.login("globex", "owner@globex.test")
	for _, s := range []string{
		"create-1", "9b7f3c1e-2d4a-4c5b-8e6f-0a1b2c3d4e5f", strings.Repeat("k", 255), strings.Repeat("k", 256), " padded ",
		"'; DROP TABLE idempotency_keys;--", "é", "%00", "acme-seed", "globex-seed",
	} {
		f.Add(s)
	}
	n := 0
	f.Fuzz(func(t *testing.T, key string) {
		if strings.ContainsFunc(key, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f }) || !validUTF8Header(key) {
			return // no HTTP client sends it
		}
		n++
		e := *e // the fuzz target's own t for failures
		e.t = t
		slug := "fuzz-idem-" + strconv.Itoa(n)
		h := map[string]string{"Idempotency-Key": key}
		a := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: acme, header: h, body: newService(slug)})
		g := e.do(req{method: "POST", host: "globex", path: "/api/services", sess: globex, header: h, body: newService(slug)})
		for _, r := range []response{a, g} {
			if r.Status >= 500 {
				t.Fatalf("key %q: %d %s", key, r.Status, r.Body)
			}
		}
		if a.Status == 201 && g.Status == 201 {
			var sa, sg svc
			a.json(t, &sa)
			g.json(t, &sg)
			if sa.ID == sg.ID {
				t.Fatalf("key %q: globex was handed acme's stored response", key)
			}
		}
		if a.Status != g.Status {
			t.Fatalf("key %q: acme %d, globex %d: one key, one payload, two answers", key, a.Status, g.Status)
		}
	})
}

// validUTF8Header: Go's client sends any bytes but net/http servers read
// header values as bytes; non-UTF-8 keys are refused by the server like
// any other invalid key, which the test checks only for valid text.
func validUTF8Header(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
