// Package mailaddr holds the one rule for the shape of an email address that
// every form of tenantkit applies: invitations, public requests, settings.
package mailaddr

import "strings"

// Normalize trims and lower-cases an address: accounts are found by it.
func Normalize(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// Valid is a plain check of an address's shape: one @ with something on
// each side, at most 254 bytes, and no spaces, control characters or the
// characters that separate or quote addresses in a header. Mail to the
// address is the only proof that it exists.
func Valid(e string) bool {
	at := strings.LastIndexByte(e, '@')
	return at > 0 && at < len(e)-1 && len(e) <= 254 && strings.Count(e, "@") == 1 &&
		!strings.ContainsFunc(e, func(r rune) bool { return r <= ' ' || r == 0x7f || strings.ContainsRune(`<>,;"()[]\`, r) })
}
