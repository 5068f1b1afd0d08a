package ui

import (
	"bytes"
	"io"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/auth"
	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/dashboard"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
)

// Every page template renders, with representative data and with the
// empty data of a new firm, so a template error fails the tests and not a
// user. A template added without data here fails too.
func TestEveryTemplateRenders(t *testing.T) {
	samples := samplePages()
	for name, tmpl := range pages {
		cases, ok := samples[name]
		if !ok {
			t.Errorf("template %s has no sample data in this test", name)
			continue
		}
		for i, v := range cases {
			var buf bytes.Buffer
			if err := tmpl.ExecuteTemplate(&buf, "layout", v); err != nil {
				t.Errorf("%s (case %d): %v", name, i, err)
				continue
			}
			out := buf.String()
			if !strings.Contains(out, "</html>") || name != "apidocs" && !strings.Contains(out, "<main id=\"main\">") {
				t.Errorf("%s (case %d): incomplete page", name, i)
			}
			if strings.Contains(out, "style=") || strings.Contains(out, "<script>") {
				t.Errorf("%s (case %d): inline style or script, which the content security policy refuses", name, i)
			}
		}
	}
	for name := range samples {
		if _, ok := pages[name]; !ok {
			t.Errorf("sample data for %s, which is not a template", name)
		}
	}
	// The parts htmx asks for render on their own.
	for _, p := range []struct {
		page, part string
		data       any
	}{
		{"home", "switcher", switcherData{Memberships: []auth.Membership{{Slug: "acme", Name: "Acme", Role: "owner"}, {Slug: "globex", Name: "Globex", Role: "staff"}}, Current: "acme"}},
		{"app_service", "slug-check", slugCheck{Slug: "x", Free: true}},
		{"app_service", "slug-check", slugCheck{Slug: "x", Own: true}},
		{"app_service", "slug-check", slugCheck{Slug: "X", Bad: true}},
		{"app_services", "list", samples["app_services"][0]},
	} {
		if err := pages[p.page].ExecuteTemplate(io.Discard, p.part, p.data); err != nil {
			t.Errorf("%s/%s: %v", p.page, p.part, err)
		}
	}
}

func samplePages() map[string][]view {
	zone, _ := time.LoadLocation("Europe/Paris")
	now := time.Date(2027, 1, 13, 15, 4, 5, 0, time.UTC)
	acme := tenant.Tenant{ID: uuid.New(), Slug: "acme", Name: "Acme", Status: tenant.StatusActive}
	principal := auth.Principal{Email: "owner@acme.test", Scope: tenant.Scope{TenantID: acme.ID, MemberID: uuid.New(), Role: tenant.RoleOwner}}
	base := func(title string, page any) view {
		return view{Title: title, Site: "Acme", Org: "Acme", Tenant: &acme, Principal: principal, Signed: true, IsAdmin: true, IsOwner: true,
			Nav: workspaceNav, Zone: zone, Form: &form{Errors: map[string]string{"name": "1 to 200 characters"}, Values: map[string][]string{"name": {"<b>x</b>"}}},
			Flash: "Saved.", Error: "Some fields need attention.", Page: page}
	}
	apex := func(v view) view {
		v.Tenant, v.Principal, v.Signed = nil, auth.Principal{}, false
		return v
	}
	empty := func(title string, page any) view {
		v := base(title, page)
		v.Flash, v.Error, v.Form, v.IsAdmin, v.IsOwner = "", "", &form{Errors: map[string]string{}}, false, false
		return v
	}
	svc := catalog.Service{ID: uuid.New(), Slug: "massage", Name: "Massage", DurationMinutes: 60, PriceMinor: 8050, Currency: "USD", Active: true, Version: 2, CreatedAt: now}
	archived := svc
	archived.ArchivedAt = &now
	staff := members.Member{ID: uuid.New(), Email: "staff@acme.test", Role: tenant.RoleStaff, DisplayName: "Sam Staff"}
	client := members.Member{ID: uuid.New(), Email: "client@acme.test", Role: tenant.RoleClient, DisplayName: "Cleo Client"}
	ch := choices{Staff: []members.Member{staff}, Clients: []members.Member{client}, Services: []catalog.Service{svc}}
	svcID := svc.ID
	assigned := staff.ID
	due := now
	req := requests.Request{ID: uuid.New(), ClientName: "Cleo Client", ServiceID: &svcID, ServiceName: "Massage", Title: "Back pain", Details: "Since Monday.\nWorse at night.",
		Status: requests.StatusInReview, Priority: requests.PriorityHigh, DueOn: &due, AssignedMemberID: &assigned, AssignedName: "Sam Staff", Source: "portal", CreatedAt: now}
	from := requests.StatusSubmitted
	booking := scheduling.Booking{ID: uuid.New(), ServiceID: svc.ID, ServiceName: "Massage", StaffMemberID: staff.ID, StaffName: "Sam Staff", ClientName: "Cleo Client",
		StartsAt: now.In(zone), EndsAt: now.Add(time.Hour).In(zone), Status: scheduling.StatusPending, PriceMinor: 8050, Currency: "USD", Notes: "Ground floor"}
	detail := scheduling.BookingDetail{Booking: booking, Events: []scheduling.Event{{Kind: "created", ActorName: "Sam Staff", CreatedAt: now}, {Kind: "rescheduled", PreviousStartsAt: &now, Note: "moved", CreatedAt: now}}}
	day := scheduling.DateOf(now.In(zone))
	free := scheduling.FreeSlot{Slot: scheduling.Slot{MemberID: staff.ID, Start: now, End: now.Add(time.Hour)}, StaffName: "Sam Staff"}
	rule := scheduling.Rule{ID: uuid.New(), MemberID: staff.ID, Weekday: 1, Start: 9 * 60, End: 17 * 60}
	five := 5
	ruleSample := ruleItem{Rule: requests.Rule{ID: uuid.New(), ServiceRequestID: req.ID, Frequency: requests.FrequencyMonthly, Every: 2,
		StartsOn: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC), MaxCount: &five}, Request: req,
		Next: []requests.Occurrence{{Date: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC)}, {Date: time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)}}}
	endedRule := ruleItem{Rule: requests.Rule{ID: uuid.New(), ServiceRequestID: req.ID, Frequency: requests.FrequencyWeekly, Every: 1,
		StartsOn: now, UntilOn: &now}, Request: requests.Request{ID: req.ID, Title: "Filing", ClientName: "Cleo Client"}}
	overview := dashboardPage{Overview: dashboard.Overview{Day: now, WeekStart: now, DayTotal: 1, WeekTotal: 1, ActiveServices: 3, UpcomingPending: 1,
		OpenRequestsByStatus: map[string]int64{"submitted": 2},
		Today:                []dashboard.Booking{{ID: booking.ID, StartsAt: now, EndsAt: now, Status: "pending", Service: "Massage", Staff: "Sam", Client: "Cleo"}},
		Week:                 []dashboard.Booking{{ID: booking.ID, StartsAt: now, EndsAt: now, Status: "confirmed", Service: "Massage", Staff: "Sam", Client: "Cleo"}},
		Waiting:              []dashboard.Waiting{{ID: req.ID, Title: "Back pain", Status: "submitted", Client: "Cleo", Since: now}}, WaitingTotal: 1}}
	overview.Days = []dayGroup{{Date: "2027-01-13", Day: now, Bookings: overview.Week}}
	overview.Open = []statusCount{{Status: "submitted", Count: 2}}
	settingsPage := settingsPage{Kinds: []settingsKind{{Name: "organization", Title: "Organization", Version: 3, Fields: []settingField{
		{Name: "display_name", Label: "Display name", Type: "text", Value: "Acme", Effective: "Acme"},
		{Name: "week_starts_on", Label: "Week starts on", Type: "number", Effective: "1", Error: "1 to 7"},
	}}, {Name: "security", Title: "Security", Version: 1, Fields: []settingField{
		{Name: "allowed_email_domains", Label: "Allowed email domains", Type: "list", Value: "acme.test, acme.org"}}}, {Name: "communication", Title: "Communication", Fields: []settingField{
		{Name: "notify_staff_on_request", Label: "Notify", Type: "bool", Value: "yes", Effective: "yes"}}}},
		Domains: []tenants.Domain{{ID: uuid.New(), Name: "www.acme.example", Token: "tenantkit-abc", TXTName: "_tenantkit.www.acme.example", CreatedAt: now},
			{ID: uuid.New(), Name: "acme.example", Token: "tenantkit-def", TXTName: "_tenantkit.acme.example", Verified: true, VerifiedAt: &now, CreatedAt: now}},
		Support: []tenants.SupportGrant{{ID: uuid.New(), Actor: "cli:alice", Reason: "ticket 7 <b>", CreatedAt: now, ExpiresAt: now.Add(time.Hour), Live: true,
			Reads: []tenants.SupportRead{{At: now, Table: "services", Rows: 4}}},
			{ID: uuid.New(), Actor: "cli:bob", Reason: "ticket 6", CreatedAt: now, ExpiresAt: now, EndedAt: &now, EndedBy: "owner:x"}}}
	inv := members.Invitation{ID: uuid.New(), Email: "new@acme.test", Role: tenant.RoleStaff, DisplayName: "New", ExpiresAt: now}
	return map[string][]view{
		"accept": {base("Accept", nil), func() view {
			v := empty("Accept", nil)
			v.Invitation = &auth.InvitationPreview{Email: "x@y.test", Role: tenant.RoleClient, TenantName: "Acme", Account: auth.AccountNew, MinPasswordLength: 12}
			return v
		}()},
		"apidocs": {empty("API", nil)},
		"confirm": {empty("Confirm", nil)},
		"error":   {base("Not found", nil), empty("Signed in elsewhere", errorPage{SignIn: true})},
		"handoff": {empty("Opening", nil)},
		"home":    {base("Home", true), empty("Home", false)},
		"login":   {empty("Sign in", nil)},
		"message": {empty("Done", nil)},
		"outbox": {func() view {
			v := empty("Outbox", nil)
			v.Messages = []mailer.Message{{To: "a@b.test", Subject: "Hi", Text: "Hello"}}
			return v
		}()},
		"password": {base("Password", nil)},
		"signup": {apex(empty("Create an organization", nil)), func() view {
			v := apex(empty("Create an organization", nil))
			v.Form = &form{Values: url.Values{"name": {"Initech"}, "slug": {"www"}}, Errors: map[string]string{"slug": "reserved"}}
			v.Error = "this address is reserved"
			return v
		}()},
		"signup_confirm": func() (out []view) {
			for _, a := range []auth.AccountState{auth.AccountNew, auth.AccountWithPassword, auth.AccountWithoutPassword} {
				out = append(out, apex(empty("Create Initech", auth.SignupPreview{Email: "founder@initech.test", Name: "Initech", Slug: "initech",
					URL: "http://initech.localhost:8080/", Account: a, MinPasswordLength: 12})))
			}
			return out
		}(),
		"sessions": {base("Your sessions", sessionsPage{Sessions: []auth.SessionInfo{
			{ID: uuid.New(), CreatedAt: now, LastUsedAt: now, ExpiresAt: now, UserAgent: "Firefox on Linux", ClientAddress: "127.0.0.1", Current: true},
			{ID: uuid.New(), CreatedAt: now, LastUsedAt: now, ExpiresAt: now, ClientAddress: "10.0.0.7"}}}),
			empty("Your sessions", sessionsPage{})},
		"reset": {empty("Reset", nil)},
		"confirm_action": {base("Delete", confirmation{Question: "Delete?", Detail: "For good.", Action: "/app/services/bulk/delete",
			Fields: url.Values{"id": {uuid.NewString(), uuid.NewString()}}, Button: "Delete", Back: "/app/x"})},
		"app_dashboard": {base("Dashboard", overview), empty("Dashboard", dashboardPage{Overview: dashboard.Overview{Day: now}})},
		"app_services": {base("Services", servicesPage{Items: []catalog.Service{svc, archived}, Pager: pager{Next: "/app/services?cursor=x", First: "/app/services"}, Q: "m", Show: "all"}),
			empty("Services", servicesPage{}), empty("Services", servicesPage{Q: "none"})},
		"app_service": {base("Massage", serviceForm{Service: &svc, Currency: "USD", Versions: []catalog.Version{{Version: 2, ChangedByName: "Sam", CreatedAt: now}},
			Stats: &catalog.Stats{Bookings: 3, Currency: "USD"}}), base("Archived", serviceForm{Service: &archived}), empty("New service", serviceForm{Currency: "USD"})},
		"app_requests": {base("Requests", requestsPage{Board: true, Columns: []requestColumn{{Status: requests.StatusSubmitted, Items: []requests.Request{req}}, {Status: requests.StatusCompleted}}, Choices: ch}),
			base("Requests", requestsPage{Items: []requests.Request{req}, Filter: requestFilter{Status: "in_review", Assignee: "none"}, Choices: ch, Pager: pager{Next: "/x"}}),
			empty("Requests", requestsPage{}), empty("Requests", requestsPage{Filter: requestFilter{Q: "x"}})},
		"app_request_new": {base("New request", newRequestPage{Choices: ch, Priority: priorities}), empty("New request", newRequestPage{Priority: priorities})},
		"app_request": {base("Back pain", requestPage{Request: req, Next: []requests.Status{requests.StatusApproved, requests.StatusCancelled}, Choices: ch, Priority: priorities,
			Timeline: []timelineEntry{{At: now, Event: &requests.Event{From: &from, To: requests.StatusInReview, ActorName: "Sam", Note: "looking"}},
				{At: now, Comment: &requests.Comment{ID: uuid.New(), AuthorName: "Sam", Body: "internal", Visibility: requests.VisibilityInternal}},
				{At: now, Comment: &requests.Comment{ID: uuid.New(), AuthorName: "Cleo", Body: "hello", Visibility: requests.VisibilityClient}}}}),
			empty("Done", requestPage{Request: requests.Request{Title: "Done", Status: requests.StatusCompleted, Priority: requests.PriorityNormal}, Priority: priorities})},
		"app_analytics": {base("Analytics", analyticsPage{Analytics: requests.Analytics{TimeZone: "Europe/Paris", From: now, To: now, Total: 3,
			ByStatus:  []requests.StatusCount{{Status: requests.StatusSubmitted, Count: 3}},
			ByService: []requests.ServiceCount{{ServiceName: "Massage", Count: 2}, {Count: 1}},
			ByMonth:   []requests.MonthCount{{Month: "2026-12", Count: 1}, {Month: "2027-01", Count: 2}}},
			Bars: []bar{{X: 2, Y: 100, W: 40, H: 100, Month: "2026-12", Count: 1}}, Width: 640, Height: 200, Max: 2, From: "2026-12-01", To: "2027-01-13"}),
			empty("Analytics", analyticsPage{})},
		"app_calendar": {base("Bookings", calendarPage{Days: []calendarDay{{Date: day, Today: true, Bookings: []scheduling.Booking{booking}}, {Date: day.AddDays(1)}},
			Staff: staff.ID.String(), Prev: "2027-01-06", Next: "2027-01-20", Today: "2027-01-13", Choices: ch, More: true}),
			empty("Bookings", calendarPage{Days: []calendarDay{{Date: day}}, DayView: true})},
		"app_booking_new": {base("New booking", newBookingPage{Choices: ch, Service: &svc, Slots: []slotDay{{Date: day, Slots: []scheduling.FreeSlot{free}}}, From: "2027-01-13", NextFrom: "2027-01-20", Searched: true}),
			empty("New booking", newBookingPage{Service: &svc, Searched: true}), empty("New booking", newBookingPage{})},
		"app_booking": {base("Booking", bookingPage{BookingDetail: detail, Actions: scheduling.StaffActions{Confirm: true, Cancel: true, Reschedule: true}}),
			empty("Booking", bookingPage{BookingDetail: detail})},
		"app_booking_cancel":     {base("Cancel", detail)},
		"app_booking_reschedule": {base("Reschedule", reschedulePage{Booking: detail, Slots: []slotDay{{Date: day, Slots: []scheduling.FreeSlot{free}}}, From: "2027-01-13"}), empty("Reschedule", reschedulePage{Booking: detail})},
		"app_availability": {base("Availability", availabilityPage{Member: staff, Staff: []members.Member{staff}, CanManage: true,
			Days:       []weekdayHours{{Weekday: 1, Name: "Monday", Rules: []scheduling.Rule{rule}}, {Weekday: 2, Name: "Tuesday"}},
			Exceptions: []scheduling.Exception{{ID: uuid.New(), Date: day, Kind: scheduling.DayOff, Note: "holiday"}, {ID: uuid.New(), Date: day, Kind: scheduling.ExtraHours, Start: 600, End: 720}},
			Kinds:      []scheduling.ExceptionKind{scheduling.DayOff}}),
			empty("Availability", availabilityPage{Member: staff})},
		"app_team": {base("Team", teamPage{Members: []members.Member{staff, client}, Invitations: []members.Invitation{inv}, Roles: allRoles, Me: staff.ID}),
			empty("Team", teamPage{Members: []members.Member{staff}})},
		"app_settings": {base("Settings", settingsPage), empty("Settings", settingsPage)},
		"app_recurring": {base("Recurring requests", rulesPage{Items: []ruleItem{ruleSample, endedRule}, Pager: pager{Next: "/app/recurring?cursor=x"}}),
			empty("Recurring requests", rulesPage{})},
		"app_recurring_rule": {base("Back pain", ruleForm{Item: &ruleSample, From: "2027-01-13", FromError: "a date", Today: "2027-01-13"}),
			base("Back pain", ruleForm{Item: &endedRule, From: "2027-01-13", Today: "2027-01-13"}),
			base("New recurring request", ruleForm{Requests: []requests.Request{req}, Today: "2027-01-13"}),
			empty("New recurring request", ruleForm{Today: "2027-01-13"})},
		"app_mail_log": {base("Mail log", deliveriesPage{Deliveries: []settings.Delivery{
			{ID: uuid.New(), Kind: "booking_confirmed", Recipient: "client@acme.test", Subject: "Acme: <b>confirmed</b>", Result: "sent", CreatedAt: now},
			{ID: uuid.New(), Kind: "request_created", Recipient: "staff@acme.test", Subject: "Acme: new request", Result: "failed", Error: "smtp send: 550", CreatedAt: now}},
			Pager: pager{}}), empty("Mail log", deliveriesPage{})},
	}
}

func TestRuleCadence(t *testing.T) {
	four := 4
	for _, tc := range []struct {
		name       string
		rule       requests.Rule
		want, ends string
	}{
		{"Weekly", requests.Rule{Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC)}, "Every week, on Mondays", "never"},
		{"Fortnightly", requests.Rule{Frequency: requests.FrequencyWeekly, Every: 2, StartsOn: time.Date(2027, 1, 13, 0, 0, 0, 0, time.UTC), MaxCount: &four}, "Every 2 weeks, on Wednesdays", "after 4 times"},
		{"MonthlyOnThe2nd", requests.Rule{Frequency: requests.FrequencyMonthly, Every: 1, StartsOn: time.Date(2027, 1, 2, 0, 0, 0, 0, time.UTC)}, "Every month, on the 2nd", "never"},
		{"QuarterlyOnThe11th", requests.Rule{Frequency: requests.FrequencyMonthly, Every: 3, StartsOn: time.Date(2027, 1, 11, 0, 0, 0, 0, time.UTC)}, "Every 3 months, on the 11th", "never"},
		{"MonthlyOnThe31st", requests.Rule{Frequency: requests.FrequencyMonthly, Every: 1, StartsOn: time.Date(2027, 1, 31, 0, 0, 0, 0, time.UTC),
			UntilOn: new(time.Date(2027, 6, 30, 0, 0, 0, 0, time.UTC))}, "Every month, on the 31st (or the month's last day)", "on Wed 30 Jun 2027"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			i := ruleItem{Rule: tc.rule}
			if got := i.Cadence(); got != tc.want {
				t.Errorf("cadence %q, want %q", got, tc.want)
			}
			if got := i.Ends(); got != tc.ends {
				t.Errorf("ends %q, want %q", got, tc.ends)
			}
		})
	}
}
