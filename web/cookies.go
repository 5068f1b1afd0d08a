package web

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
	sessionCookie   = "__Host-session"
	tenantSigCookie = "__Host-tenant_sig"
)

func newCookie(name, value string, expires time.Time) http.Cookie {
	c := http.Cookie{
		Name: name, Value: value, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
	}
	if value == "" {
		c.MaxAge = -1
		c.Expires = time.Unix(1, 0)
	} else {
		c.Expires = expires
		c.MaxAge = int(time.Until(expires).Seconds())
	}
	return c
}

// sessionCookies are the cookies of a new session: the token and, on a
// tenant host, the signed tenant cookie.
func sessionCookies(is auth.Issued) []http.Cookie {
	out := []http.Cookie{newCookie(sessionCookie, is.Token, is.ExpiresAt)}
	if is.TenantSig != "" {
		out = append(out, newCookie(tenantSigCookie, is.TenantSig, is.ExpiresAt))
	} else {
		out = append(out, newCookie(tenantSigCookie, "", time.Time{}))
	}
	return out
}

// clearedCookies remove the session cookies.
func clearedCookies() []http.Cookie {
	return []http.Cookie{newCookie(sessionCookie, "", time.Time{}), newCookie(tenantSigCookie, "", time.Time{})}
}
