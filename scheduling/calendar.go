package scheduling

import (
	"fmt"
	"time"
)

// Date is a calendar date: no time of day, no zone. Which instants it
// covers depends on the zone it is read in.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{Year: y, Month: m, Day: d}
}

// ParseDate parses a date in the form 2006-01-02.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("parse date: %w", err)
	}
	return DateOf(t), nil
}

// wall returns midnight of d as a UTC time: the wall clock of d, to which
// a zone's offset is applied to find real instants.
func (d Date) wall() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// String formats d as 2006-01-02.
func (d Date) String() string { return d.wall().Format(time.DateOnly) }

// AddDays returns the date n days after d (before, for negative n).
func (d Date) AddDays(n int) Date { return DateOf(d.wall().AddDate(0, 0, n)) }

// Before reports whether d comes before o.
func (d Date) Before(o Date) bool { return d.wall().Before(o.wall()) }

// DaysUntil returns the number of days from d to o (negative if o is
// earlier).
func (d Date) DaysUntil(o Date) int { return int(o.wall().Sub(d.wall()).Hours() / 24) }

// ISOWeekday returns the ISO weekday of d: 1 = Monday … 7 = Sunday.
func (d Date) ISOWeekday() int {
	wd := int(d.wall().Weekday())
	if wd == 0 {
		return 7
	}
	return wd
}

// Clock is a wall-clock time of day in minutes after midnight, 0 (00:00) to
// 1440 (24:00, the end of the day; valid only as the end of an interval).
type Clock int

// EndOfDay is 24:00.
const EndOfDay Clock = 24 * 60

// ParseClock parses "HH:MM" (00:00 to 24:00).
func ParseClock(s string) (Clock, error) {
	if len(s) != 5 || s[2] != ':' || !digits(s[:2]) || !digits(s[3:]) {
		return 0, fmt.Errorf("clock %q: want HH:MM", s)
	}
	h := int(s[0]-'0')*10 + int(s[1]-'0')
	m := int(s[3]-'0')*10 + int(s[4]-'0')
	c := Clock(h*60 + m)
	if m > 59 || c > EndOfDay {
		return 0, fmt.Errorf("clock %q: out of range", s)
	}
	return c, nil
}

func digits(s string) bool {
	for i := range len(s) {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats c as HH:MM.
func (c Clock) String() string { return fmt.Sprintf("%02d:%02d", int(c)/60, int(c)%60) }

// Interval is a half-open span of time [Start, End).
type Interval struct {
	Start, End time.Time
}

func (i Interval) overlaps(o Interval) bool { return i.Start.Before(o.End) && o.Start.Before(i.End) }

// segment is a stretch of one local date during which the zone's offset
// does not change: the instants [start, end), whose wall clock is the
// instant plus offset.
type segment struct {
	start, end time.Time
	offset     time.Duration
}

// daySegments returns the stretches of constant offset that make up date d
// in loc. Most days are one segment; a day with a daylight-saving change is
// two (or more, in zones that changed more than once a day). The wall clock
// of segment s at instant t is t + s.offset, and its date is d.
func daySegments(d Date, loc *time.Location) []segment {
	w0 := d.wall()
	w1 := w0.AddDate(0, 0, 1)
	// No zone is more than 14 hours from UTC: scan a margin around the day.
	t, stop := w0.Add(-15*time.Hour), w1.Add(15*time.Hour)
	var out []segment
	for t.Before(stop) {
		lt := t.In(loc)
		_, secs := lt.Zone()
		_, next := lt.ZoneBounds()
		if next.IsZero() || next.After(stop) {
			next = stop
		}
		off := time.Duration(secs) * time.Second
		// The instants of this zone period whose wall clock falls on d.
		s, e := later(t, w0.Add(-off)), earlier(next, w1.Add(-off))
		if s.Before(e) {
			out = append(out, segment{start: s.UTC(), end: e.UTC(), offset: off})
		}
		t = next
	}
	return out
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func earlier(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

// instantsAt returns the instants at which the wall clock of date d reads
// c: none in a spring-forward gap, two in a fall-back overlap, else one.
func instantsAt(d Date, c Clock, segs []segment) []time.Time {
	w := d.wall().Add(time.Duration(c) * time.Minute)
	var out []time.Time
	for _, s := range segs {
		t := w.Add(-s.offset)
		if !t.Before(s.start) && t.Before(s.end) {
			out = append(out, t)
		}
	}
	return out
}

// wallToInstants returns the instants of date d whose wall clock lies in
// [from, to): one interval on most days, pieces around a daylight-saving
// change.
func wallToInstants(d Date, from, to Clock, segs []segment) []Interval {
	w0 := d.wall()
	var out []Interval
	for _, s := range segs {
		a := later(s.start, w0.Add(time.Duration(from)*time.Minute-s.offset))
		b := earlier(s.end, w0.Add(time.Duration(to)*time.Minute-s.offset))
		if a.Before(b) {
			out = append(out, Interval{Start: a, End: b})
		}
	}
	return out
}
