package web

import (
	"net/http/httptest"
	"net/netip"
	"testing"
)

// The client address is the peer's, unless the peer is a trusted proxy:
// then the rightmost address of X-Forwarded-For that is not a trusted
// proxy. What a client writes into the header itself never counts.
func TestClientAddress(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{
		netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("192.0.2.7/32"),
	}}}
	for _, tc := range []struct {
		name, peer string
		xff        []string
		want       string
	}{
		{"no proxy", "203.0.113.5:4000", nil, "203.0.113.5"},
		{"a client's own header is ignored", "203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5"},
		{"one trusted proxy", "10.1.2.3:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"a spoofed left part is skipped", "10.1.2.3:80", []string{"1.1.1.1, 198.51.100.1"}, "198.51.100.1"},
		{"a chain of trusted proxies", "10.1.2.3:80", []string{"198.51.100.1, 192.0.2.7", "10.9.9.9"}, "198.51.100.1"},
		{"unreadable hop: the last trusted one", "10.1.2.3:80", []string{"198.51.100.1, garbage"}, "10.1.2.3"},
		{"only trusted hops", "10.1.2.3:80", []string{"10.4.4.4"}, "10.4.4.4"},
		{"no header from a proxy", "10.1.2.3:80", nil, "10.1.2.3"},
		{"IPv4-mapped peer", "[::ffff:10.1.2.3]:80", []string{"198.51.100.1"}, "198.51.100.1"},
		{"IPv6 client", "10.1.2.3:80", []string{"2001:db8::1"}, "2001:db8::1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			if got := s.clientMeta(r).IP; got != tc.want {
				t.Errorf("client address %q, want %q", got, tc.want)
			}
		})
	}
}
