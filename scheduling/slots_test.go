package scheduling

import (
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"
)

func mustLoad(t testing.TB, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func clock(t testing.TB, s string) Clock {
	t.Helper()
	c, err := ParseClock(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func date(t testing.TB, s string) Date {
	t.Helper()
	d, err := ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// everyDay returns the same hours on all seven weekdays.
func everyDay(t testing.TB, from, to string) []WeeklyHours {
	var out []WeeklyHours
	for wd := 1; wd <= 7; wd++ {
		out = append(out, WeeklyHours{Weekday: wd, Start: clock(t, from), End: clock(t, to)})
	}
	return out
}

// starts formats the slots' starts as RFC 3339 in their own zone.
func starts(slots []Slot) []string {
	out := make([]string, 0, len(slots))
	for _, s := range slots {
		out = append(out, s.Start.Format(time.RFC3339))
	}
	return out
}

var member = uuid.MustParse("00000000-0000-4000-8000-000000000001")

func TestClockAndDate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Clock
		ok   bool
	}{
		{"00:00", 0, true}, {"09:30", 570, true}, {"19:05", 1145, true}, {"24:00", EndOfDay, true},
		{"24:01", 0, false}, {"9:30", 0, false}, {"09:60", 0, false}, {"+9:30", 0, false}, {"ab:cd", 0, false}, {"", 0, false},
	} {
		got, err := ParseClock(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseClock(%q) = %v, %v", tc.in, got, err)
		}
		if tc.ok && got.String() != tc.in {
			t.Errorf("Clock(%d).String() = %q, want %q", got, got.String(), tc.in)
		}
	}
	d := date(t, "2026-03-08")
	if d.ISOWeekday() != 7 || d.AddDays(1).ISOWeekday() != 1 || d.AddDays(-7).String() != "2026-03-01" {
		t.Fatalf("date arithmetic: %v %v %v", d.ISOWeekday(), d.AddDays(1).ISOWeekday(), d.AddDays(-7))
	}
	if d.DaysUntil(date(t, "2026-04-08")) != 31 || !d.Before(d.AddDays(1)) {
		t.Fatal("DaysUntil/Before")
	}
	if _, err := ParseDate("2026-02-30"); err == nil {
		t.Fatal("an impossible date parsed")
	}
}

func TestFreeSlots(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	monday := date(t, "2026-06-15")
	at := func(hhmm string) time.Time {
		c := clock(t, hhmm)
		return time.Date(2026, 6, 15, int(c)/60, int(c)%60, 0, 0, ny)
	}
	base := SlotRules{Location: ny, From: monday, To: monday, Duration: time.Hour, Interval: 30 * time.Minute}
	weekdays := func(from, to string) []WeeklyHours {
		var out []WeeklyHours
		for wd := 1; wd <= 5; wd++ {
			out = append(out, WeeklyHours{Weekday: wd, Start: clock(t, from), End: clock(t, to)})
		}
		return out
	}
	for _, tc := range []struct {
		name  string
		rules func(SlotRules) SlotRules
		cal   StaffCalendar
		want  []string // local HH:MM of the starts on the Monday
	}{
		{
			name: "WeeklyHoursOnTheInterval",
			cal:  StaffCalendar{Weekly: weekdays("09:00", "12:00")},
			want: []string{"09:00", "09:30", "10:00", "10:30", "11:00"},
		},
		{
			name: "TwoBlocksEachStartTheirOwnGrid",
			cal:  StaffCalendar{Weekly: append(weekdays("09:00", "10:00"), weekdays("13:15", "14:45")...)},
			want: []string{"09:00", "13:15", "13:45"},
		},
		{
			name: "NoHoursNoSlots",
			cal:  StaffCalendar{Weekly: []WeeklyHours{{Weekday: 6, Start: 540, End: 1020}}},
			want: nil,
		},
		{
			name: "DayOffRemovesEverythingEvenExtraHours",
			cal: StaffCalendar{Weekly: weekdays("09:00", "17:00"), Exceptions: []DateException{
				{Date: monday, Kind: ExtraHours, Start: clock(t, "18:00"), End: clock(t, "20:00")},
				{Date: monday, Kind: DayOff},
			}},
			want: nil,
		},
		{
			name: "PartialOffCutsTheMiddle",
			cal: StaffCalendar{Weekly: weekdays("09:00", "13:00"), Exceptions: []DateException{
				{Date: monday, Kind: PartialOff, Start: clock(t, "10:00"), End: clock(t, "11:30")},
			}},
			want: []string{"09:00", "11:30", "12:00"},
		},
		{
			name: "ExtraHoursAddToTheDay",
			cal: StaffCalendar{Weekly: weekdays("09:00", "10:00"), Exceptions: []DateException{
				{Date: monday, Kind: ExtraHours, Start: clock(t, "19:00"), End: clock(t, "20:30")},
				{Date: monday.AddDays(1), Kind: ExtraHours, Start: clock(t, "19:00"), End: clock(t, "20:30")},
			}},
			want: []string{"09:00", "19:00", "19:30"},
		},
		{
			name: "AdjacentBlocksJoin",
			cal: StaffCalendar{Weekly: weekdays("09:00", "10:00"), Exceptions: []DateException{
				{Date: monday, Kind: ExtraHours, Start: clock(t, "10:00"), End: clock(t, "10:30")},
			}},
			want: []string{"09:00", "09:30"},
		},
		{
			name: "BookingsWidenedByTheirBuffersBlock",
			// 10:00–11:00 with a 15-minute buffer after: busy until 11:15.
			cal:  StaffCalendar{Weekly: weekdays("09:00", "13:00"), Busy: []Interval{{Start: at("10:00"), End: at("11:15")}}},
			want: []string{"09:00", "11:30", "12:00"},
		},
		{
			name:  "TheNewBookingsBufferKeepsItsDistance",
			rules: func(r SlotRules) SlotRules { r.BufferAfter = 15 * time.Minute; return r },
			cal:   StaffCalendar{Weekly: weekdays("09:00", "13:00"), Busy: []Interval{{Start: at("10:00"), End: at("11:15")}}},
			// 09:00 would run to 10:00 and its buffer to 10:15, into the booking.
			want: []string{"11:30", "12:00"},
		},
		{
			name:  "BufferBeforeToo",
			rules: func(r SlotRules) SlotRules { r.BufferBefore = 30 * time.Minute; return r },
			cal:   StaffCalendar{Weekly: weekdays("09:00", "13:00"), Busy: []Interval{{Start: at("10:00"), End: at("11:00")}}},
			// 11:00 would need 10:30–11:00 clear before it.
			want: []string{"09:00", "11:30", "12:00"},
		},
		{
			name:  "BuffersMayFallOutsideHours",
			rules: func(r SlotRules) SlotRules { r.BufferBefore, r.BufferAfter = time.Hour, time.Hour; return r },
			cal:   StaffCalendar{Weekly: weekdays("09:00", "10:00")},
			want:  []string{"09:00"},
		},
		{
			name:  "LeadTimeAndMaximumAdvance",
			rules: func(r SlotRules) SlotRules { r.Earliest, r.Latest = at("09:30"), at("10:30"); return r },
			cal:   StaffCalendar{Weekly: weekdays("09:00", "12:00")},
			want:  []string{"09:30", "10:00", "10:30"},
		},
		{
			name: "TheEndOfTheDayIs2400",
			cal:  StaffCalendar{Weekly: weekdays("22:00", "24:00")},
			want: []string{"22:00", "22:30", "23:00"},
		},
		{
			name: "ASlotMayRunPastMidnightIntoOpenTime",
			cal:  StaffCalendar{Weekly: append(weekdays("23:00", "24:00"), WeeklyHours{Weekday: 2, Start: 0, End: 60})},
			want: []string{"23:00", "23:30"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := base
			if tc.rules != nil {
				r = tc.rules(r)
			}
			tc.cal.MemberID = member
			var got []string
			for _, s := range FreeSlots(r, []StaffCalendar{tc.cal}) {
				if s.Start.Location() != ny || DateOf(s.Start) != monday {
					t.Fatalf("slot %v is not on %v in New York", s.Start, monday)
				}
				if s.End.Sub(s.Start) != time.Hour {
					t.Fatalf("slot %v–%v is not an hour", s.Start, s.End)
				}
				got = append(got, s.Start.Format("15:04"))
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

// Around both US daylight-saving changes a 9:00–17:00 day stays
// 9:00–17:00 on the wall clock; the instants move by the hour the offset
// moves. Morning, afternoon and evening starts are checked so that a
// 12/24-hour slip cannot pass.
func TestFreeSlotsAcrossUSDaylightSaving(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	for _, tc := range []struct {
		name           string
		from, to       string
		wantUTCHourAt9 map[string]int // date → UTC hour of the 09:00 local slot
	}{
		// 2026-03-08 02:00 EST → 03:00 EDT.
		{"SpringForward", "2026-03-07", "2026-03-09", map[string]int{"2026-03-07": 14, "2026-03-08": 13, "2026-03-09": 13}},
		// 2026-11-01 02:00 EDT → 01:00 EST.
		{"FallBack", "2026-10-31", "2026-11-02", map[string]int{"2026-10-31": 13, "2026-11-01": 14, "2026-11-02": 14}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cal := StaffCalendar{MemberID: member, Weekly: append(everyDay(t, "09:00", "17:00"), everyDay(t, "18:00", "21:00")...)}
			r := SlotRules{Location: ny, From: date(t, tc.from), To: date(t, tc.to), Duration: time.Hour, Interval: 30 * time.Minute}
			slots := FreeSlots(r, []StaffCalendar{cal})
			byDate := map[string][]Slot{}
			for _, s := range slots {
				byDate[DateOf(s.Start).String()] = append(byDate[DateOf(s.Start).String()], s)
			}
			for day, hour := range tc.wantUTCHourAt9 {
				ss := byDate[day]
				var local []string
				for _, s := range ss {
					local = append(local, s.Start.Format("15:04"))
				}
				want := []string{"09:00", "09:30", "10:00", "10:30", "11:00", "11:30", "12:00", "12:30", "13:00", "13:30", "14:00", "14:30", "15:00", "15:30", "16:00", "18:00", "18:30", "19:00", "19:30", "20:00"}
				if !slices.Equal(local, want) {
					t.Fatalf("%s: local starts %v", day, local)
				}
				for _, s := range ss {
					lt := s.Start.In(ny)
					wantUTC := (lt.Hour() - 9 + hour) % 24
					if s.Start.UTC().Hour() != wantUTC || s.Start.UTC().Minute() != lt.Minute() {
						t.Fatalf("%s %s local is %s UTC, want %02d:%02d", day, lt.Format("15:04"), s.Start.UTC().Format("15:04"), wantUTC, lt.Minute())
					}
				}
				// The evening slot reads 19:00, not 07:00.
				if got := ss[17].Start.Format(time.RFC3339); got[11:16] != "19:00" {
					t.Fatalf("%s evening slot %s", day, got)
				}
			}
		})
	}
}

// Night hours on the change days: the wall times that do not exist give no
// slot, the hour that happens twice gives two.
func TestFreeSlotsInsideTheChange(t *testing.T) {
	ny := mustLoad(t, "America/New_York")
	cal := StaffCalendar{MemberID: member, Weekly: everyDay(t, "00:00", "04:00")}
	for _, tc := range []struct {
		name, day string
		want      []string
	}{
		{"SpringForwardGap", "2026-03-08", []string{
			"2026-03-08T00:00:00-05:00", "2026-03-08T00:30:00-05:00", "2026-03-08T01:00:00-05:00", "2026-03-08T01:30:00-05:00",
			// 02:00 and 02:30 do not exist.
			"2026-03-08T03:00:00-04:00", "2026-03-08T03:30:00-04:00",
		}},
		{"FallBackOverlap", "2026-11-01", []string{
			"2026-11-01T00:00:00-04:00", "2026-11-01T00:30:00-04:00",
			"2026-11-01T01:00:00-04:00", "2026-11-01T01:30:00-04:00", // first pass, EDT
			"2026-11-01T01:00:00-05:00", "2026-11-01T01:30:00-05:00", // second pass, EST
			"2026-11-01T02:00:00-05:00", "2026-11-01T02:30:00-05:00", "2026-11-01T03:00:00-05:00", "2026-11-01T03:30:00-05:00",
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := date(t, tc.day)
			r := SlotRules{Location: ny, From: d, To: d, Duration: 30 * time.Minute, Interval: 30 * time.Minute}
			got := starts(FreeSlots(r, []StaffCalendar{cal}))
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got  %v\nwant %v", got, tc.want)
			}
		})
	}
	t.Run("AnHourLongSlotAcrossTheGapIsAnHour", func(t *testing.T) {
		d := date(t, "2026-03-08")
		r := SlotRules{Location: ny, From: d, To: d, Duration: time.Hour, Interval: 30 * time.Minute}
		for _, s := range FreeSlots(r, []StaffCalendar{cal}) {
			if s.End.Sub(s.Start) != time.Hour {
				t.Fatalf("%v–%v", s.Start, s.End)
			}
			if s.Start.Format("15:04") == "01:30" && s.End.Format("15:04") != "03:30" {
				t.Fatalf("01:30 EST + 1h ends at %s local, want 03:30 EDT", s.End.Format("15:04 MST"))
			}
		}
	})
}

// A zone whose change happens at midnight: the date begins at 01:00.
func TestFreeSlotsMidnightChange(t *testing.T) {
	sp := mustLoad(t, "America/Sao_Paulo")
	d := date(t, "2018-11-04") // 00:00 -03 → 01:00 -02
	cal := StaffCalendar{MemberID: member, Weekly: everyDay(t, "00:00", "02:00")}
	r := SlotRules{Location: sp, From: d, To: d, Duration: 30 * time.Minute, Interval: 30 * time.Minute}
	got := starts(FreeSlots(r, []StaffCalendar{cal}))
	want := []string{"2018-11-04T01:00:00-02:00", "2018-11-04T01:30:00-02:00"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestFreeSlotsOrderAcrossStaff(t *testing.T) {
	utc := time.UTC
	d := date(t, "2026-06-15")
	a := uuid.MustParse("00000000-0000-4000-8000-00000000000a")
	b := uuid.MustParse("00000000-0000-4000-8000-00000000000b")
	r := SlotRules{Location: utc, From: d, To: d, Duration: time.Hour, Earliest: time.Date(2026, 6, 15, 0, 0, 0, 0, utc)}
	slots := FreeSlots(r, []StaffCalendar{
		{MemberID: b, Weekly: everyDay(t, "09:00", "11:00")},
		{MemberID: a, Weekly: everyDay(t, "10:00", "12:00")},
	})
	var got []string
	for _, s := range slots {
		got = append(got, s.Start.Format("15:04")+"/"+s.MemberID.String()[35:])
	}
	want := []string{"09:00/b", "10:00/a", "10:00/b", "11:00/a"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// BenchmarkFreeSlots searches the widest range (31 days) for ten staff
// members with weekday hours, a day off each and two bookings a day.
func BenchmarkFreeSlots(b *testing.B) {
	ny := mustLoad(b, "America/New_York")
	from := date(b, "2026-03-01")
	var staff []StaffCalendar
	for i := range 10 {
		cal := StaffCalendar{MemberID: uuid.New(), Weekly: everyDay(b, "09:00", "17:00")[:5],
			Exceptions: []DateException{{Date: from.AddDays(i), Kind: DayOff}}}
		for d := range 31 {
			day := from.AddDays(d)
			start := time.Date(day.Year, day.Month, day.Day, 10+i%4, 0, 0, 0, ny)
			cal.Busy = append(cal.Busy, Interval{Start: start, End: start.Add(75 * time.Minute)}, Interval{Start: start.Add(4 * time.Hour), End: start.Add(5 * time.Hour)})
		}
		staff = append(staff, cal)
	}
	r := SlotRules{Location: ny, From: from, To: from.AddDays(30), Duration: time.Hour, Interval: 30 * time.Minute, BufferAfter: 15 * time.Minute}
	b.ReportAllocs()
	var n int
	for b.Loop() {
		n = len(FreeSlots(r, staff))
	}
	b.ReportMetric(float64(n), "slots")
}
