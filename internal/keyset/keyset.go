// Package keyset pages through lists in a stable order without offsets: a
// page is the rows after a key, the position of the last row of the page
// before. Every list of tenantkit pages this way, with one size rule:
// [DefaultLimit] rows unless asked, never more than [MaxLimit].
//
// A list reads [Page.Fetch] rows — one more than the page holds, to tell
// whether another page follows — and [Cut] trims them to the page and
// returns the key the next page starts after.
package keyset

// The page sizes.
const (
	DefaultLimit = 50
	MaxLimit     = 100
)

// Page asks for the rows after After (from the start when nil), at most
// Limit of them.
type Page[K any] struct {
	After *K
	Limit int
}

// Size is the number of rows the page holds: Limit within 1 to MaxLimit,
// DefaultLimit when unset.
func (p Page[K]) Size() int {
	switch {
	case p.Limit <= 0:
		return DefaultLimit
	case p.Limit > MaxLimit:
		return MaxLimit
	}
	return p.Limit
}

// Fetch is the number of rows to read: one more than Size.
func (p Page[K]) Fetch() int32 { return int32(p.Size() + 1) }

// Cut trims rows read with p.Fetch to p.Size and returns the key of the
// last row kept when another page follows, nil on the last page.
func Cut[T, K any](rows []T, p Page[K], key func(T) K) ([]T, *K) {
	n := p.Size()
	if len(rows) <= n {
		return rows, nil
	}
	rows = rows[:n]
	k := key(rows[n-1])
	return rows, &k
}
