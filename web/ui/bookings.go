package ui

import (
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/web/route"
)

// The bookings pages: the week calendar (everyone's or one staff member's)
// and the day view, booking from the real free slots, and a booking with
// the changes its state allows.

func (s *UI) registerBookingPages(page registrar, staff route.Policy) {
	page(http.MethodGet, "/app/bookings", staff, s.pageCalendar, query("day", "week", "staff", "status"))
	page(http.MethodGet, "/app/bookings/new", staff, s.pageNewBooking, query("service_id", "staff_member_id", "from"))
	page(http.MethodPost, "/app/bookings", staff, s.pageCreateBooking, fields("service_id", "staff_member_id", "from", "slot", "client_member_id", "notes"))
	page(http.MethodGet, "/app/bookings/{booking_id}", staff, s.pageBooking)
	page(http.MethodPost, "/app/bookings/{booking_id}/confirm", staff, s.pageBookingChange("confirm"), fields())
	page(http.MethodPost, "/app/bookings/{booking_id}/complete", staff, s.pageBookingChange("complete"), fields())
	page(http.MethodPost, "/app/bookings/{booking_id}/no-show", staff, s.pageBookingChange("no-show"), fields())
	page(http.MethodGet, "/app/bookings/{booking_id}/cancel", staff, s.pageConfirmCancelBooking)
	page(http.MethodPost, "/app/bookings/{booking_id}/cancel", staff, s.pageBookingChange("cancel"), fields("reason"))
	page(http.MethodGet, "/app/bookings/{booking_id}/reschedule", staff, s.pageRescheduleForm, query("from"))
	page(http.MethodPost, "/app/bookings/{booking_id}/reschedule", staff, s.pageReschedule, fields("from", "slot", "note"))
}

// maxCalendarBookings bounds the bookings one calendar page shows.
const maxCalendarBookings = 500

// calendarPage is a week, or one day, of bookings.
type calendarPage struct {
	Days              []calendarDay
	Staff             string // a staff member's id, or "" for everyone
	Status            string
	Prev, Next, Today string // dates to link
	DayView           bool
	Title             string
	Choices           choices
	More              bool // more bookings than shown
}

type calendarDay struct {
	Date     scheduling.Date
	Label    string
	Today    bool
	Bookings []scheduling.Booking
}

// today returns the current date in zone.
func (s *UI) today(zone *time.Location) scheduling.Date { return scheduling.DateOf(s.Now().In(zone)) }

// weekStart returns the first day of d's week.
func weekStart(d scheduling.Date, weekStartsOn int) scheduling.Date {
	return d.AddDays(-((d.ISOWeekday() - weekStartsOn + 7) % 7))
}

func (s *UI) pageCalendar(w http.ResponseWriter, r *http.Request) {
	v, ws, ok := s.workspace(w, r, "/app/bookings", "Bookings")
	if !ok {
		return
	}
	// The calendar is the firm's: its days are the organization's.
	v.Zone = ws.Zone
	q := r.URL.Query()
	today := s.today(ws.Zone)
	p := calendarPage{Staff: q.Get("staff"), Status: q.Get("status"), Today: today.String()}
	first, days := weekStart(today, ws.WeekStartsOn), 7
	if d, err := scheduling.ParseDate(q.Get("day")); err == nil {
		first, days, p.DayView = d, 1, true
	} else if d, err := scheduling.ParseDate(q.Get("week")); err == nil {
		first = weekStart(d, ws.WeekStartsOn)
	}
	last := first.AddDays(days - 1)
	p.Prev, p.Next = first.AddDays(-days).String(), first.AddDays(days).String()
	f := scheduling.BookingFilter{From: &first, To: &last}
	if p.Staff != "" {
		id, _ := uuid.Parse(p.Staff)
		f.StaffMemberID = &id
	}
	if st := scheduling.Status(p.Status); p.Status != "" {
		f.Status = &st
	}
	var all []scheduling.Booking
	f.Page = keyset.Page[scheduling.BookingKey]{Limit: keyset.MaxLimit}
	for {
		items, next, err := s.scheduling.FindBookings(r.Context(), f)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		all = append(all, items...)
		if next == nil {
			break
		}
		if len(all) >= maxCalendarBookings {
			p.More = true
			break
		}
		f.Page.After = next
	}
	for i := range days {
		d := first.AddDays(i)
		day := calendarDay{Date: d, Today: d == today}
		for _, b := range all {
			if scheduling.DateOf(b.StartsAt.In(ws.Zone)) == d {
				day.Bookings = append(day.Bookings, b)
			}
		}
		p.Days = append(p.Days, day)
	}
	var err error
	if p.Choices, err = s.choicesOf(r); err != nil {
		s.writePageError(w, r, err)
		return
	}
	v.Page = p
	s.render(w, r, http.StatusOK, "app_calendar", v)
}

// newBookingPage is the booking form: pick a service (and a staff
// member), then one of the free slots.
type newBookingPage struct {
	Choices  choices
	Service  *catalog.Service
	Slots    []slotDay
	From     string
	NextFrom string
	Searched bool
}

// slotDay is the free slots of one day.
type slotDay struct {
	Date  scheduling.Date
	Slots []scheduling.FreeSlot
}

// slotsOf groups free slots by their date in zone.
func slotsOf(page scheduling.SlotPage, zone *time.Location) []slotDay {
	var out []slotDay
	for _, sl := range page.Slots {
		d := scheduling.DateOf(sl.Start.In(zone))
		if n := len(out); n == 0 || out[n-1].Date != d {
			out = append(out, slotDay{Date: d})
		}
		out[len(out)-1].Slots = append(out[len(out)-1].Slots, sl)
	}
	return out
}

// slotWeek finds the free slots of service (and staff member) in the seven
// days from from.
func (s *UI) slotWeek(r *http.Request, service uuid.UUID, staff *uuid.UUID, from scheduling.Date) (scheduling.SlotPage, error) {
	return s.scheduling.FindSlots(r.Context(), scheduling.SlotQuery{ServiceID: service, StaffMemberID: staff, From: from, To: from.AddDays(6),
		Page: keyset.Page[scheduling.SlotKey]{Limit: keyset.MaxLimit}})
}

func (s *UI) pageNewBooking(w http.ResponseWriter, r *http.Request) {
	f := &form{Errors: map[string]string{}, Values: r.URL.Query()}
	s.renderNewBooking(w, r, f, nil)
}

func (s *UI) renderNewBooking(w http.ResponseWriter, r *http.Request, f *form, failure error) {
	v, ws, ok := s.workspace(w, r, "/app/bookings", "New booking")
	if !ok {
		return
	}
	v.Zone = ws.Zone
	p := newBookingPage{}
	var err error
	if p.Choices, err = s.choicesOf(r); err != nil {
		s.writePageError(w, r, err)
		return
	}
	from := s.today(ws.Zone)
	if d, err := scheduling.ParseDate(f.Get("from")); err == nil {
		from = d
	}
	p.From, p.NextFrom = from.String(), from.AddDays(7).String()
	if svc := f.Get("service_id"); svc != "" {
		p.Searched = true
		id := optionalID(svc)
		sv, err := s.catalog.FindServiceByID(r.Context(), *id)
		if err != nil {
			f.Errors["service_id"] = "choose one of the services"
		} else {
			p.Service = &sv
			page, err := s.slotWeek(r, sv.ID, optionalID(f.Get("staff_member_id")), from)
			if err != nil {
				v.Error = f.fail(err)
			}
			p.Slots = slotsOf(page, ws.Zone)
		}
	}
	v.Form = f
	if failure != nil {
		v.Error = f.fail(failure)
	}
	v.Page = p
	s.render(w, r, statusOf(failure, http.StatusOK), "app_booking_new", v)
}

// slotChoice reads a chosen slot: "RFC3339 start|staff member id".
func slotChoice(f *form) (time.Time, uuid.UUID, bool) {
	start, staff, _ := strings.Cut(f.Get("slot"), "|")
	t, err := time.Parse(time.RFC3339, start)
	id, err2 := uuid.Parse(staff)
	if err != nil || err2 != nil {
		f.Errors["slot"] = "choose one of the free times"
		return time.Time{}, uuid.Nil, false
	}
	return t, id, true
}

func (s *UI) pageCreateBooking(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	start, staff, ok := slotChoice(f)
	client := optionalID(f.Get("client_member_id"))
	if client == nil {
		f.Errors["client_member_id"], ok = "choose the client", false
	}
	service := optionalID(f.Get("service_id"))
	if !ok || service == nil {
		s.renderNewBooking(w, r, f, nil)
		return
	}
	b, err := s.scheduling.CreateBooking(r.Context(), scheduling.BookingInput{
		ServiceID: *service, StaffMemberID: staff, ClientMemberID: *client, StartsAt: start, Notes: f.Get("notes"),
	})
	if err != nil {
		s.renderNewBooking(w, r, f, err)
		return
	}
	s.done(w, r, "/app/bookings/"+b.ID.String(), "Booked: "+b.ServiceName+" for "+b.ClientName+".")
}

// bookingPage is one booking with what may be done with it now.
type bookingPage struct {
	scheduling.BookingDetail
	Actions scheduling.StaffActions
}

func (s *UI) pageBooking(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "booking_id", "booking", func(id uuid.UUID) {
		b, err := s.scheduling.FindBookingByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, ws, ok := s.workspace(w, r, "/app/bookings", b.ServiceName+" with "+b.ClientName)
		if !ok {
			return
		}
		v.Zone = ws.Zone
		v.Page = bookingPage{BookingDetail: b, Actions: b.StaffActions(s.Now())}
		s.render(w, r, http.StatusOK, "app_booking", v)
	})
}

// pageBookingChange runs one change of a booking's state.
func (s *UI) pageBookingChange(action string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.withID(w, r, "booking_id", "booking", func(id uuid.UUID) {
			var err error
			var msg string
			switch action {
			case "confirm":
				_, err = s.scheduling.ConfirmBooking(r.Context(), id)
				msg = "Confirmed."
			case "complete":
				_, err = s.scheduling.CompleteBooking(r.Context(), id)
				msg = "Marked as completed."
			case "no-show":
				_, err = s.scheduling.MarkNoShow(r.Context(), id)
				msg = "Marked as a no-show."
			case "cancel":
				_, err = s.scheduling.CancelBooking(r.Context(), id, newForm(r).Get("reason"))
				msg = "Cancelled."
			}
			if err != nil {
				if st := route.StatusOf(err); st == http.StatusConflict || st == http.StatusUnprocessableEntity {
					s.done(w, r, "/app/bookings/"+id.String(), "Not changed: "+tenantMessage(err)+".")
					return
				}
				s.writePageError(w, r, err)
				return
			}
			s.done(w, r, "/app/bookings/"+id.String(), msg)
		})
	}
}

func (s *UI) pageConfirmCancelBooking(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "booking_id", "booking", func(id uuid.UUID) {
		b, err := s.scheduling.FindBookingByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, ws, ok := s.workspace(w, r, "/app/bookings", "Cancel booking")
		if !ok {
			return
		}
		v.Zone = ws.Zone
		s.render(w, r, http.StatusOK, "app_booking_cancel", withPage(v, b))
	})
}

// withPage returns v showing p.
func withPage(v view, p any) view {
	v.Page = p
	return v
}

// reschedulePage offers the free times of a booking's service and staff
// member.
type reschedulePage struct {
	Booking  scheduling.BookingDetail
	Slots    []slotDay
	From     string
	NextFrom string
}

func (s *UI) pageRescheduleForm(w http.ResponseWriter, r *http.Request) {
	s.renderReschedule(w, r, &form{Errors: map[string]string{}, Values: r.URL.Query()}, nil)
}

func (s *UI) renderReschedule(w http.ResponseWriter, r *http.Request, f *form, failure error) {
	s.withID(w, r, "booking_id", "booking", func(id uuid.UUID) {
		b, err := s.scheduling.FindBookingByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, ws, ok := s.workspace(w, r, "/app/bookings", "Reschedule")
		if !ok {
			return
		}
		v.Zone = ws.Zone
		p := s.rescheduleSlots(r, ws, b, f, &v)
		v.Form = f
		if failure != nil {
			v.Error = f.fail(failure)
		}
		v.Page = p
		s.render(w, r, statusOf(failure, http.StatusOK), "app_booking_reschedule", v)
	})
}

func (s *UI) rescheduleSlots(r *http.Request, ws settings.Workspace, b scheduling.BookingDetail, f *form, v *view) reschedulePage {
	from := s.today(ws.Zone)
	if d, err := scheduling.ParseDate(f.Get("from")); err == nil {
		from = d
	}
	p := reschedulePage{Booking: b, From: from.String(), NextFrom: from.AddDays(7).String()}
	page, err := s.slotWeek(r, b.ServiceID, &b.StaffMemberID, from)
	if err != nil {
		v.Error = tenantMessage(err)
	}
	p.Slots = slotsOf(page, ws.Zone)
	return p
}

func (s *UI) pageReschedule(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	start, _, ok := slotChoice(f)
	if !ok {
		s.renderReschedule(w, r, f, nil)
		return
	}
	s.withID(w, r, "booking_id", "booking", func(id uuid.UUID) {
		b, err := s.scheduling.RescheduleBooking(r.Context(), id, start, f.Get("note"))
		if err != nil {
			s.renderReschedule(w, r, f, err)
			return
		}
		s.done(w, r, "/app/bookings/"+id.String(), "Moved to "+b.StartsAt.Format("Mon 2 Jan, 15:04")+".")
	})
}
