// Package usage measures each tenant's requests — counts, errors, refused
// bindings and latency — per minute, without a tenant label on any metric.
//
// # Measuring
//
// A [Meter] aggregates in memory: each tenant has a small cell with its own
// lock, found through a sync.Map, so requests of different tenants never
// wait for each other and a request costs a map load, a lock and a few
// additions. Latency goes into a fixed-bucket [Histogram]; p50 and p99 are
// read from it (the upper bound of the bucket the quantile falls in), and
// the bucket counts are stored so that rows of several instances merge.
//
// # Flushing
//
// [Service.Run] takes the minutes that have ended every interval (and all
// of them when its context ends) and writes them with one statement per
// flush on the audited platform path ([store.Store.WriteUsage]). Each row
// carries its tenant; the table (migration 00019) is tenant-owned, so a
// tenant's owners read only their own rows ([Service.ForTenant]), and
// operators read every tenant's on the platform path ([Service.Top]).
package usage

import (
	"bytes"
	"sort"
	"sync"
	"time"

	"github.com/google/uuid"
)

// Bounds are the upper bounds, in milliseconds, of the latency buckets;
// one more bucket counts what is slower than the last.
var Bounds = [...]float64{1, 2, 5, 10, 20, 35, 50, 75, 100, 150, 200, 300, 500, 750, 1000, 1500, 2500, 5000, 10000}

// NumBuckets is the number of latency buckets, the overflow included.
const NumBuckets = len(Bounds) + 1

// Histogram counts latencies in the fixed buckets of Bounds.
type Histogram [NumBuckets]int64

// Add counts one latency.
func (h *Histogram) Add(d time.Duration) {
	ms := float64(d) / float64(time.Millisecond)
	i := sort.SearchFloat64s(Bounds[:], ms)
	h[i]++
}

// Merge adds o's counts to h's.
func (h *Histogram) Merge(o []int64) {
	for i := range min(len(o), NumBuckets) {
		h[i] += o[i]
	}
}

// Quantile returns the upper bound, in milliseconds, of the bucket the
// q-quantile falls in (twice the last bound for the overflow bucket), or 0
// for an empty histogram.
func (h *Histogram) Quantile(q float64) float64 {
	var total int64
	for _, c := range h {
		total += c
	}
	if total == 0 {
		return 0
	}
	rank := int64(q*float64(total) + 0.999999)
	rank = max(rank, 1)
	var seen int64
	for i, c := range h {
		seen += c
		if seen >= rank {
			if i < len(Bounds) {
				return Bounds[i]
			}
			break
		}
	}
	return 2 * Bounds[len(Bounds)-1]
}

// Minute is one tenant's usage of one minute.
type Minute struct {
	TenantID uuid.UUID
	// Minute is the minute's start, in UTC.
	Minute time.Time
	// Requests counts every request; ClientErrors those answered 4xx,
	// ServerErrors 5xx; Refused those whose binding was refused (403, also
	// counted in ClientErrors).
	Requests, ClientErrors, ServerErrors, Refused int64
	Latency                                       Histogram
}

// P50 and P99 are the minute's latency quantiles, in milliseconds.
func (m *Minute) P50() float64 { return m.Latency.Quantile(0.50) }

// P99 is the minute's 99th percentile latency, in milliseconds.
func (m *Minute) P99() float64 { return m.Latency.Quantile(0.99) }

// Meter aggregates requests per tenant and minute in memory. It is safe
// for concurrent use.
type Meter struct {
	now   func() time.Time
	cells sync.Map // uuid.UUID → *cell
}

// cell is one tenant's minutes not yet taken. A cell taken empty is
// removed from the map and marked dead; a Record that finds it dead
// starts a new one.
type cell struct {
	mu      sync.Mutex
	dead    bool
	minutes map[int64]*Minute
}

// NewMeter returns a meter whose minutes are read from now.
func NewMeter(now func() time.Time) *Meter { return &Meter{now: now} }

// Record counts one request of tenantID answered with status after d;
// refused says its binding was refused.
func (m *Meter) Record(tenantID uuid.UUID, status int, d time.Duration, refused bool) {
	if tenantID == uuid.Nil {
		return
	}
	minute := m.now().UTC().Truncate(time.Minute)
	key := minute.Unix()
	for {
		v, ok := m.cells.Load(tenantID)
		if !ok {
			v, _ = m.cells.LoadOrStore(tenantID, &cell{minutes: map[int64]*Minute{}})
		}
		c := v.(*cell)
		c.mu.Lock()
		if c.dead {
			c.mu.Unlock()
			continue
		}
		mn := c.minutes[key]
		if mn == nil {
			mn = &Minute{TenantID: tenantID, Minute: minute}
			c.minutes[key] = mn
		}
		mn.Requests++
		switch {
		case status >= 500:
			mn.ServerErrors++
		case status >= 400:
			mn.ClientErrors++
		}
		if refused {
			mn.Refused++
		}
		mn.Latency.Add(d)
		c.mu.Unlock()
		return
	}
}

// Take removes and returns the minutes that have ended (all of them when
// all is set, at shutdown), ordered by tenant and minute.
func (m *Meter) Take(all bool) []Minute {
	current := m.now().UTC().Truncate(time.Minute).Unix()
	var out []Minute
	m.cells.Range(func(k, v any) bool {
		c := v.(*cell)
		c.mu.Lock()
		for key, mn := range c.minutes {
			if all || key < current {
				out = append(out, *mn)
				delete(c.minutes, key)
			}
		}
		if len(c.minutes) == 0 {
			c.dead = true
			m.cells.Delete(k)
		}
		c.mu.Unlock()
		return true
	})
	sort.Slice(out, func(i, j int) bool {
		if c := bytes.Compare(out[i].TenantID[:], out[j].TenantID[:]); c != 0 {
			return c < 0
		}
		return out[i].Minute.Before(out[j].Minute)
	})
	return out
}
