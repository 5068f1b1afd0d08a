package clocktest

import "time"

// Default is the instant tests run at unless they choose another: a
// Wednesday afternoon in New York and London, far from any boundary.
var Default = time.Date(2027, time.January, 13, 15, 4, 5, 0, time.UTC)

// An Instant is a named moment of the date matrix.
type Instant struct {
	Name string
	At   time.Time
}

// Matrix is the set of instants the date-sensitive suites run at: every
// weekday, the turn of the day in UTC and in the demo tenants' zones, a
// month end, a year end, and both daylight-saving changes in
// America/New_York and Europe/London.
var Matrix = []Instant{
	{"Monday", time.Date(2027, time.January, 11, 14, 30, 0, 0, time.UTC)},
	{"Tuesday", time.Date(2027, time.January, 12, 14, 30, 0, 0, time.UTC)},
	{"Wednesday", time.Date(2027, time.January, 13, 14, 30, 0, 0, time.UTC)},
	{"Thursday", time.Date(2027, time.January, 14, 14, 30, 0, 0, time.UTC)},
	{"Friday", time.Date(2027, time.January, 15, 14, 30, 0, 0, time.UTC)},
	{"Saturday", time.Date(2027, time.January, 16, 14, 30, 0, 0, time.UTC)},
	{"Sunday", time.Date(2027, time.January, 17, 14, 30, 0, 0, time.UTC)},
	{"BeforeMidnightUTC", time.Date(2027, time.January, 14, 23, 59, 30, 0, time.UTC)},
	{"MidnightUTC", time.Date(2027, time.January, 15, 0, 0, 0, 0, time.UTC)},
	{"BeforeMidnightNewYork", time.Date(2027, time.January, 15, 4, 59, 30, 0, time.UTC)},
	{"MonthEnd", time.Date(2027, time.April, 30, 23, 59, 30, 0, time.UTC)},
	{"FebruaryEnd", time.Date(2028, time.February, 29, 21, 0, 0, 0, time.UTC)},
	{"YearEnd", time.Date(2026, time.December, 31, 23, 59, 30, 0, time.UTC)},
	{"NewYorkSpringForward", time.Date(2027, time.March, 14, 6, 59, 0, 0, time.UTC)}, // 01:59 EST, then 03:00 EDT
	{"NewYorkFallBack", time.Date(2027, time.November, 7, 5, 59, 0, 0, time.UTC)},    // 01:59 EDT, then 01:00 EST
	{"LondonSpringForward", time.Date(2027, time.March, 28, 0, 59, 0, 0, time.UTC)},  // 00:59 GMT, then 02:00 BST
	{"LondonFallBack", time.Date(2027, time.October, 31, 0, 59, 0, 0, time.UTC)},     // 01:59 BST, then 01:00 GMT
}
