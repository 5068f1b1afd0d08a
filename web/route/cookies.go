package route

import (
	"net/http"
	"time"

	"github.com/tenantkit/tenantkit/auth"
)

// The cookies carry the __Host- prefix: the browser accepts them only with
// Secure, Path=/ and no Domain, so a sibling subdomain (another tenant)
// cannot set or overwrite them. Browsers treat http://localhost and its
// subdomains as secure contexts, so the demo works over plain HTTP there.
const (
	// SessionCookie holds the session token of a browser.
	SessionCookie = "__Host-session"
	// TenantSigCookie holds the signed tenant value of a tenant session.
	TenantSigCookie = "__Host-tenant_sig"
	// DeviceCookie marks a browser that signed in to an address before
	// (auth.DeviceLifetime); it outlives sign-out on purpose.
	DeviceCookie = "__Host-device"
)

// newCookie returns a cookie that lives for lifetime, or, with an empty
// value, one that removes the cookie. The lifetime is sent as Max-Age
// alone: a relative lifetime does not depend on the browser's clock
// agreeing with the server's.
func newCookie(name, value string, lifetime time.Duration) http.Cookie {
	c := http.Cookie{
		Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	}
	if value == "" || lifetime < time.Second {
		c.Value, c.MaxAge = "", -1
	} else {
		c.MaxAge = int(lifetime / time.Second)
	}
	return c
}

// SessionCookies are the cookies of a new session: the token and, on a
// tenant host, the signed tenant cookie (removed on the apex), and the
// device cookie when the session was opened with a password.
func SessionCookies(is auth.Issued) []http.Cookie {
	lifetime := is.ExpiresAt.Sub(is.IssuedAt)
	out := []http.Cookie{newCookie(SessionCookie, is.Token, lifetime), newCookie(TenantSigCookie, is.TenantSig, lifetime)}
	if is.Device != "" {
		out = append(out, newCookie(DeviceCookie, is.Device, auth.DeviceLifetime))
	}
	return out
}

// ClearedCookies remove the session cookies.
func ClearedCookies() []http.Cookie {
	return []http.Cookie{newCookie(SessionCookie, "", 0), newCookie(TenantSigCookie, "", 0)}
}

// SetCookies sets cs on the response.
func SetCookies(w http.ResponseWriter, cs []http.Cookie) {
	for i := range cs {
		http.SetCookie(w, &cs[i])
	}
}
