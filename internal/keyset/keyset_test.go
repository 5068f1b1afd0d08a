package keyset

import "testing"

func TestPage(t *testing.T) {
	for _, tc := range []struct {
		limit, size int
	}{{0, DefaultLimit}, {-3, DefaultLimit}, {1, 1}, {100, 100}, {101, MaxLimit}, {1 << 30, MaxLimit}} {
		p := Page[int]{Limit: tc.limit}
		if p.Size() != tc.size || p.Fetch() != int32(tc.size+1) {
			t.Errorf("limit %d: size %d fetch %d, want %d", tc.limit, p.Size(), p.Fetch(), tc.size)
		}
	}
	rows := []int{10, 20, 30}
	p := Page[int]{Limit: 2}
	got, next := Cut(rows, p, func(r int) int { return r })
	if len(got) != 2 || next == nil || *next != 20 {
		t.Fatalf("cut of a full page: %v %v", got, next)
	}
	got, next = Cut(rows[:2], p, func(r int) int { return r })
	if len(got) != 2 || next != nil {
		t.Fatalf("cut of the last page: %v %v", got, next)
	}
}
