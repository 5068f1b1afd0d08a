// Package export holds what every CSV export shares: cells that cannot turn
// into spreadsheet formulas, and one time format.
package export

import (
	"strings"
	"time"
)

// Cell defuses spreadsheet formula injection: text starting with =, +, -,
// @, a tab or a carriage return gets a leading apostrophe.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Time formats t as RFC 3339 in UTC, and a nil or zero time as "".
func Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
