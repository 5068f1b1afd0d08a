// Package dashboard is what a firm's staff see first: the bookings of the
// day and of the week, the open requests by status, the requests waiting
// for the firm's reply, and a few counts. It is read in one statement.
package dashboard

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Service reads dashboards.
type Service struct {
	store *store.Store
	now   func() time.Time
}

// New returns a Service over st; now is the clock that says which day is
// today.
func New(st *store.Store, now func() time.Time) *Service {
	if now == nil {
		panic("dashboard: a clock is required")
	}
	return &Service{store: st, now: now}
}

// Booking is a booking as the dashboard lists it.
type Booking struct {
	ID               uuid.UUID `json:"id"`
	StartsAt, EndsAt time.Time
	Status           string `json:"status"`
	Service          string `json:"service"`
	Staff            string `json:"staff"`
	Client           string `json:"client"`
}

// UnmarshalJSON reads the row the statement builds.
func (b *Booking) UnmarshalJSON(data []byte) error {
	type row Booking
	var r struct {
		row
		StartsAt time.Time `json:"starts_at"`
		EndsAt   time.Time `json:"ends_at"`
	}
	if err := json.Unmarshal(data, &r); err != nil {
		return err
	}
	*b = Booking(r.row)
	b.StartsAt, b.EndsAt = r.StartsAt, r.EndsAt
	return nil
}

// Waiting is an open request waiting for the firm's reply since Since.
type Waiting struct {
	ID     uuid.UUID `json:"id"`
	Title  string    `json:"title"`
	Status string    `json:"status"`
	Client string    `json:"client"`
	Since  time.Time `json:"since"`
}

// Overview is the dashboard of one day and its week.
type Overview struct {
	// Day is today in the zone asked for; WeekStart the first day of its
	// week.
	Day, WeekStart time.Time
	// Today and Week are the day's and the week's bookings that are not
	// cancelled, starting first: at most 100 each, of DayTotal and
	// WeekTotal.
	Today, Week          []Booking
	DayTotal, WeekTotal  int64
	ActiveServices       int64
	UpcomingPending      int64
	OpenRequestsByStatus map[string]int64
	// Waiting are the oldest 20 of WaitingTotal requests waiting for a
	// reply.
	Waiting      []Waiting
	WaitingTotal int64
}

// OpenRequests is the number of open requests.
func (o Overview) OpenRequests() int64 {
	var n int64
	for _, c := range o.OpenRequestsByStatus {
		n += c
	}
	return n
}

// Overview returns the dashboard of today in zone, whose weeks start on
// weekStartsOn (ISO: 1 Monday … 7 Sunday). Staff and above.
func (s *Service) Overview(ctx context.Context, zone *time.Location, weekStartsOn int) (_ Overview, err error) {
	defer errs.Wrap(&err, "dashboard: overview")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Overview{}, err
	}
	now := s.now()
	local := now.In(zone)
	day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, zone)
	iso := int(day.Weekday())
	if iso == 0 {
		iso = 7
	}
	back := (iso - weekStartsOn + 7) % 7
	weekStart := day.AddDate(0, 0, -back)
	var row store.GetDashboardRow
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) (err error) {
		row, err = tx.GetDashboard(ctx, store.GetDashboardParams{
			TenantID: tx.TenantID(), Now: now,
			DayStart: day, DayEnd: day.AddDate(0, 0, 1),
			WeekStart: weekStart, WeekEnd: weekStart.AddDate(0, 0, 7),
		})
		return err
	})
	if err != nil {
		return Overview{}, err
	}
	o := Overview{Day: day, WeekStart: weekStart, DayTotal: row.DayTotal, WeekTotal: row.WeekTotal,
		ActiveServices: row.ActiveServices, UpcomingPending: row.PendingBookings, WaitingTotal: row.WaitingTotal}
	for _, part := range []struct {
		raw json.RawMessage
		v   any
	}{{row.Day, &o.Today}, {row.Week, &o.Week}, {row.OpenByStatus, &o.OpenRequestsByStatus}, {row.Waiting, &o.Waiting}} {
		if err := json.Unmarshal(part.raw, part.v); err != nil {
			return Overview{}, fmt.Errorf("decode: %w", err)
		}
	}
	for _, list := range [][]Booking{o.Today, o.Week} {
		for i := range list {
			list[i].StartsAt, list[i].EndsAt = list[i].StartsAt.In(zone), list[i].EndsAt.In(zone)
		}
	}
	for i := range o.Waiting {
		o.Waiting[i].Since = o.Waiting[i].Since.In(zone)
	}
	return o, nil
}
