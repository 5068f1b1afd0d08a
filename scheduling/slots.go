package scheduling

import (
	"bytes"
	"slices"
	"sort"
	"time"

	"github.com/google/uuid"
)

// WeeklyHours is a block of working time on one weekday, in the wall clock
// of the organization's time zone: [Start, End).
type WeeklyHours struct {
	Weekday    int // ISO: 1 = Monday … 7 = Sunday
	Start, End Clock
}

// ExceptionKind says what a date exception does to a day.
type ExceptionKind string

// The kinds of date exception.
const (
	// DayOff takes the whole date out, extra hours included.
	DayOff ExceptionKind = "day_off"
	// PartialOff takes [Start, End) of the date out.
	PartialOff ExceptionKind = "partial_off"
	// ExtraHours adds [Start, End) to the date's weekly hours.
	ExtraHours ExceptionKind = "extra_hours"
)

// DateException changes one date of a staff member's hours. Start and End
// are unused for DayOff.
type DateException struct {
	Date       Date
	Kind       ExceptionKind
	Start, End Clock
}

// StaffCalendar is what decides when one staff member can be booked.
type StaffCalendar struct {
	MemberID   uuid.UUID
	Weekly     []WeeklyHours
	Exceptions []DateException
	// Busy are the blocked ranges of the member's active bookings: each
	// booking's time widened by its own buffers.
	Busy []Interval
}

// SlotRules are the terms of a slot search.
type SlotRules struct {
	// Location is the organization's time zone: weekly hours, exceptions
	// and the dates From and To are read in it.
	Location *time.Location
	// From and To are the first and last local dates on which a slot may
	// start.
	From, To Date
	// Duration is the length of the booking.
	Duration time.Duration
	// Interval separates the start times offered within a block of hours,
	// counted on the wall clock from the block's start. Defaults to
	// Duration.
	Interval time.Duration
	// BufferBefore and BufferAfter widen the new booking the way the
	// database will widen it: the widened range must not overlap any Busy
	// range. Buffers may fall outside working hours.
	BufferBefore, BufferAfter time.Duration
	// Earliest and Latest bound the start of a slot (lead time and maximum
	// advance); zero values do not bound.
	Earliest, Latest time.Time
}

// Slot is a free start time of one staff member.
type Slot struct {
	MemberID uuid.UUID
	Start    time.Time
	End      time.Time
}

// FreeSlots returns the free slots of the staff in rules' range, ordered by
// start and then member id. It is a pure function of its arguments.
//
// A candidate start is the start of a block of weekly or extra hours plus a
// multiple of the interval, on the wall clock of the date: on a
// spring-forward day the wall times that do not exist yield no slot, and on
// a fall-back day a wall time that happens twice yields two, an hour apart.
// A candidate is free when the booking [start, start+duration) lies within
// the member's open time (weekly hours and extra hours, less time off, as
// real instants), its widened range overlaps no busy range, and its start
// lies within [Earliest, Latest].
func FreeSlots(rules SlotRules, staff []StaffCalendar) []Slot {
	if rules.Location == nil {
		rules.Location = time.UTC
	}
	if rules.Interval <= 0 {
		rules.Interval = rules.Duration
	}
	if rules.Duration <= 0 || rules.To.Before(rules.From) {
		return nil
	}
	var out []Slot
	for _, sc := range staff {
		out = append(out, freeSlotsOf(rules, sc)...)
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Start.Equal(out[j].Start) {
			return out[i].Start.Before(out[j].Start)
		}
		return bytes.Compare(out[i].MemberID[:], out[j].MemberID[:]) < 0
	})
	return out
}

func freeSlotsOf(r SlotRules, sc StaffCalendar) []Slot {
	// A slot starting on r.To may run into the next day.
	open := openTime(r.Location, r.From, r.To.AddDays(1), sc)
	if len(open) == 0 {
		return nil
	}
	busy := mergeIntervals(slices.Clone(sc.Busy))
	step := int(r.Interval / time.Minute)
	if step < 1 {
		step = 1
	}
	seen := map[int64]bool{}
	var out []Slot
	for d := r.From; !r.To.Before(d); d = d.AddDays(1) {
		segs := daySegments(d, r.Location)
		for _, blk := range blocksOn(d, sc) {
			for c := blk.from; c < blk.to; c += Clock(step) {
				for _, t := range instantsAt(d, c, segs) {
					if seen[t.UnixNano()] {
						continue
					}
					seen[t.UnixNano()] = true
					if !r.Earliest.IsZero() && t.Before(r.Earliest) || !r.Latest.IsZero() && t.After(r.Latest) {
						continue
					}
					booked := Interval{Start: t, End: t.Add(r.Duration)}
					if !covered(open, booked) {
						continue
					}
					widened := Interval{Start: booked.Start.Add(-r.BufferBefore), End: booked.End.Add(r.BufferAfter)}
					if overlapsAny(busy, widened) {
						continue
					}
					out = append(out, Slot{MemberID: sc.MemberID, Start: t.In(r.Location), End: booked.End.In(r.Location)})
				}
			}
		}
	}
	return out
}

// span is a wall-clock interval [from, to) of one date.
type span struct{ from, to Clock }

// blocksOn returns the blocks of hours (weekly and extra) that start slots
// on date d; time off does not move where slots start.
func blocksOn(d Date, sc StaffCalendar) []span {
	var out []span
	wd := d.ISOWeekday()
	for _, h := range sc.Weekly {
		if h.Weekday == wd && h.Start < h.End {
			out = append(out, span{h.Start, h.End})
		}
	}
	for _, e := range sc.Exceptions {
		if e.Date == d && e.Kind == ExtraHours && e.Start < e.End {
			out = append(out, span{e.Start, e.End})
		}
	}
	return out
}

// openTime returns the member's open time from the first instant of date
// from to the last of date to, as merged real intervals: on each date, the
// weekly hours and extra hours, less the time off.
func openTime(loc *time.Location, from, to Date, sc StaffCalendar) []Interval {
	var out []Interval
	for d := from; !to.Before(d); d = d.AddDays(1) {
		spans := mergeSpans(blocksOn(d, sc))
		for _, e := range sc.Exceptions {
			if e.Date != d {
				continue
			}
			switch e.Kind {
			case DayOff:
				spans = nil
			case PartialOff:
				spans = subtractSpan(spans, span{e.Start, e.End})
			}
		}
		if len(spans) == 0 {
			continue
		}
		segs := daySegments(d, loc)
		for _, s := range spans {
			out = append(out, wallToInstants(d, s.from, s.to, segs)...)
		}
	}
	return mergeIntervals(out)
}

func mergeSpans(in []span) []span {
	sort.Slice(in, func(i, j int) bool { return in[i].from < in[j].from })
	var out []span
	for _, s := range in {
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

func subtractSpan(in []span, cut span) []span {
	var out []span
	for _, s := range in {
		if cut.to <= s.from || s.to <= cut.from {
			out = append(out, s)
			continue
		}
		if s.from < cut.from {
			out = append(out, span{s.from, cut.from})
		}
		if cut.to < s.to {
			out = append(out, span{cut.to, s.to})
		}
	}
	return out
}

// mergeIntervals sorts in and joins intervals that overlap or touch.
func mergeIntervals(in []Interval) []Interval {
	sort.Slice(in, func(i, j int) bool { return in[i].Start.Before(in[j].Start) })
	var out []Interval
	for _, iv := range in {
		if !iv.Start.Before(iv.End) {
			continue
		}
		if n := len(out); n > 0 && !iv.Start.After(out[n-1].End) {
			out[n-1].End = later(out[n-1].End, iv.End)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// covered reports whether iv lies within one interval of merged.
func covered(merged []Interval, iv Interval) bool {
	i := sort.Search(len(merged), func(i int) bool { return merged[i].End.After(iv.Start) })
	return i < len(merged) && !merged[i].Start.After(iv.Start) && !merged[i].End.Before(iv.End)
}

// overlapsAny reports whether iv overlaps an interval of merged.
func overlapsAny(merged []Interval, iv Interval) bool {
	i := sort.Search(len(merged), func(i int) bool { return merged[i].End.After(iv.Start) })
	return i < len(merged) && merged[i].overlaps(iv)
}
