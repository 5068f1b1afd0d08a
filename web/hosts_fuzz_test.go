package web

import (
	"strings"
	"testing"
)

func TestCanonicalHost(t *testing.T) {
	for in, want := range map[string]string{
		"Acme.Example.com":        "acme.example.com",
		"acme.example.com.":       "acme.example.com",
		"acme.example.com:443":    "acme.example.com",
		"ACME.EXAMPLE.COM.:8080":  "acme.example.com",
		"xn--80ak6aa92e.example":  "xn--80ak6aa92e.example",
		"аcme.example.com":        "", // Cyrillic а: a homograph is no host of ours
		"acme..example.com":       "",
		"-acme.example.com":       "",
		"acme.example.com:notnum": "acme.example.com",
		"":                        "",
		"a b.example.com":         "",
		"acme.example.com\x00":    "",
		"[::1]:8080":              "",
	} {
		got, err := canonicalHost(in)
		if (err != nil) != (want == "") || got != want {
			t.Errorf("canonicalHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for name, want := range map[string]string{
		"acme.example.com": "acme", "a.b.example.com": "", "example.com": "", "acmeexample.com": "", ".example.com": "",
	} {
		if got := tenantSlug(name, "example.com"); got != want {
			t.Errorf("tenantSlug(%q) = %q, want %q", name, got, want)
		}
	}
}

func FuzzCanonicalHost(f *testing.F) {
	for _, s := range []string{"acme.localhost:8080", "ACME.example.com.", "b.example.com:443", "xn--e1afmkfd.example", "a..b", "[::1]:80", "аcme.example.com", "x.example.com.:0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, err := canonicalHost(in)
		if err != nil {
			return
		}
		if h != strings.ToLower(h) || strings.ContainsAny(h, ":/ \x00") || strings.HasSuffix(h, ".") || len(h) > 253 {
			t.Fatalf("canonicalHost(%q) = %q", in, h)
		}
		if again, err := canonicalHost(h); err != nil || again != h {
			t.Fatalf("not idempotent: %q -> %q -> %q, %v", in, h, again, err)
		}
		if slug := tenantSlug(h, "example.com"); slug != "" && slug+".example.com" != h {
			t.Fatalf("tenantSlug(%q) = %q", h, slug)
		}
	})
}
