// Package export holds what every CSV export shares: cells that cannot turn
// into spreadsheet formulas, and one time format.
package export

import (
	"encoding/csv"
	"io"
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

// CSV writes header, then the rows of every page to w, flushing after each
// page so that an export is never held whole in memory. page returns the
// rows after key (nil: from the start) and the key of the next page, nil on
// the last one.
func CSV[K any](w io.Writer, header []string, page func(after *K) (rows [][]string, next *K, err error)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	var after *K
	for {
		rows, next, err := page(after)
		if err != nil {
			return err
		}
		if err := cw.WriteAll(rows); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		after = next
	}
}
