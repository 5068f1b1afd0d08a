package usage

import (
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/clocktest"
)

func TestHistogramQuantiles(t *testing.T) {
	for _, c := range []struct {
		name     string
		ms       []float64
		p50, p99 float64
	}{
		{"Empty", nil, 0, 0},
		{"One", []float64{3}, 5, 5},
		{"Skewed", append(repeat(4, 98), 400, 400), 5, 500},
		{"Overflow", []float64{20_000}, 20_000, 20_000},
		{"OnABound", []float64{10, 10}, 10, 10},
	} {
		t.Run(c.name, func(t *testing.T) {
			var h Histogram
			for _, ms := range c.ms {
				h.Add(time.Duration(ms * float64(time.Millisecond)))
			}
			if p50, p99 := h.Quantile(0.5), h.Quantile(0.99); p50 != c.p50 || p99 != c.p99 {
				t.Fatalf("p50 %v, p99 %v; want %v, %v", p50, p99, c.p50, c.p99)
			}
		})
	}
}

func repeat(v float64, n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = v
	}
	return out
}

// Take returns the minutes that have ended, and every minute at
// shutdown; concurrent records of many tenants are all counted once.
func TestMeterTakesEndedMinutes(t *testing.T) {
	clock := clocktest.New(clocktest.Default)
	m := NewMeter(clock.Now)
	a, b := uuid.New(), uuid.New()
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 100 {
				id := a
				if (i+j)%2 == 1 {
					id = b
				}
				m.Record(id, []int{200, 404, 500, 403}[j%4], time.Millisecond, j%4 == 3)
			}
		})
	}
	wg.Wait()
	m.Record(uuid.Nil, 200, time.Millisecond, false)
	if got := m.Take(false); len(got) != 0 {
		t.Fatalf("the current minute was taken: %+v", got)
	}
	clock.Advance(time.Minute)
	m.Record(a, 200, time.Millisecond, false)
	got := m.Take(false)
	if len(got) != 2 {
		t.Fatalf("took %d minutes, want 2", len(got))
	}
	var total, server, client, refused int64
	for _, mn := range got {
		total, server, client, refused = total+mn.Requests, server+mn.ServerErrors, client+mn.ClientErrors, refused+mn.Refused
	}
	if total != 800 || server != 200 || client != 400 || refused != 200 {
		t.Fatalf("requests %d, 5xx %d, 4xx %d, refused %d; want 800, 200, 400, 200", total, server, client, refused)
	}
	if rest := m.Take(true); len(rest) != 1 || rest[0].TenantID != a || rest[0].Requests != 1 {
		t.Fatalf("at shutdown: %+v", rest)
	}
	if rest := m.Take(true); len(rest) != 0 {
		t.Fatalf("taken twice: %+v", rest)
	}
}

func BenchmarkRecord(b *testing.B) {
	m := NewMeter(time.Now)
	ids := make([]uuid.UUID, 64)
	for i := range ids {
		ids[i] = uuid.New()
	}
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			m.Record(ids[i%len(ids)], 200, time.Millisecond, false)
			i++
		}
	})
}
