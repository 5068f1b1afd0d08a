package ui

import (
	"net/http"
	"time"

	"github.com/tenantkit/tenantkit/dashboard"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// The staff workspace under /app on each tenant host: staff and above.
// Each action's minimum role is the same as its operation's in the API,
// and the domain service checks it again.

func (s *UI) registerWorkspace() {
	staff, admin := route.Member(tenant.RoleStaff), route.Member(tenant.RoleAdmin)
	page := func(method, path string, p route.Policy, h http.HandlerFunc, in ...route.Inputs) {
		s.t.Handle(route.TenantHost, method, path, p, h, in...)
	}
	page(http.MethodGet, "/app", staff, s.pageDashboard)
	s.registerServicePages(page, staff, admin)
	s.registerRequestPages(page, staff, admin)
	s.registerRecurringPages(page, staff)
	s.registerBookingPages(page, staff)
	s.registerAvailabilityPages(page, staff)
	s.registerTeamPages(page, staff, admin)
	s.registerSettingsPages(page, staff, admin)
	s.registerDeliveryPages(page, admin)
}

// registrar registers one page of the workspace with the query parameters
// and form fields it reads: the route table refuses any other.
type registrar func(method, path string, p route.Policy, h http.HandlerFunc, in ...route.Inputs)

// query declares the query parameters of a page, a list's paging among
// them where it has one.
func query(names ...string) route.Inputs { return route.Inputs{Query: names} }

// paged is the paging of a list page (see [pageQuery]).
var paged = []string{"cursor", "limit"}

// fields declares the form fields of a post; a post without fields
// declares none.
func fields(names ...string) route.Inputs {
	if names == nil {
		names = []string{}
	}
	return route.Inputs{Form: names}
}

func (s *UI) pageDashboard(w http.ResponseWriter, r *http.Request) {
	v, ws, ok := s.workspace(w, r, "/app", "Dashboard")
	if !ok {
		return
	}
	o, err := s.dashboard.Overview(r.Context(), ws.Zone, ws.WeekStartsOn)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	// The dashboard's days are the firm's days.
	v.Zone = ws.Zone
	page := dashboardPage{Overview: o}
	for _, b := range o.Week {
		d := b.StartsAt.Format(time.DateOnly)
		if n := len(page.Days); n == 0 || page.Days[n-1].Date != d {
			page.Days = append(page.Days, dayGroup{Date: d, Day: b.StartsAt})
		}
		page.Days[len(page.Days)-1].Bookings = append(page.Days[len(page.Days)-1].Bookings, b)
	}
	for _, st := range requestStatuses {
		if n := o.OpenRequestsByStatus[st]; n > 0 {
			page.Open = append(page.Open, statusCount{Status: st, Count: n})
		}
	}
	v.Page = page
	s.render(w, r, http.StatusOK, "app_dashboard", v)
}

// dashboardPage is the dashboard with the week's bookings by day.
type dashboardPage struct {
	dashboard.Overview
	Days []dayGroup
	Open []statusCount
}

type dayGroup struct {
	Date     string
	Day      time.Time
	Bookings []dashboard.Booking
}

type statusCount struct {
	Status string
	Count  int64
}

// requestStatuses are the open states of a request, in workflow order.
var requestStatuses = []string{"submitted", "in_review", "approved", "scheduled", "in_progress"}
