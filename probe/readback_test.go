package probe_test

import (
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/probe"
)

// B's read-back does not move with the date: read just before midnight
// (UTC, which is London's, tenant B's, in January) and again just after,
// with nothing written between, it is the same. Left to their defaults, the
// date parameters would end "today" and the second reading would differ.
func TestReadBackAcrossMidnight(t *testing.T) {
	s := newServer(t, startingAt(time.Date(2027, time.January, 14, 23, 59, 0, 0, time.UTC)))
	read, err := probe.ReadBackB(t.Context(), s.config())
	if err != nil {
		t.Fatal(err)
	}
	before, err := read()
	if err != nil {
		t.Fatal(err)
	}
	s.clock.Set(time.Date(2027, time.January, 15, 0, 1, 0, 0, time.UTC))
	after, err := read()
	if err != nil {
		t.Fatal(err)
	}
	if before != after {
		i := 0
		for i < len(before) && i < len(after) && before[i] == after[i] {
			i++
		}
		from := max(i-200, 0)
		t.Fatalf("B's read-back changed across midnight with nothing written, from byte %d:\nbefore: %q\nafter:  %q",
			i, before[from:min(i+200, len(before))], after[from:min(i+200, len(after))])
	}
}
