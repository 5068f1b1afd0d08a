package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// Availability, free slots and bookings, for staff under /api/availability
// and /api/bookings, and for clients under /api/portal. See package
// scheduling for the rules; in short: staff manage their own hours, admins
// anyone's; times of day and dates are the organization's wall clock.

type ruleView struct {
	ID            string    `json:"id" format:"uuid"`
	StaffMemberID string    `json:"staff_member_id" format:"uuid"`
	Weekday       int       `json:"weekday" doc:"ISO weekday: 1 = Monday … 7 = Sunday."`
	StartTime     string    `json:"start_time" doc:"HH:MM on the organization's wall clock."`
	EndTime       string    `json:"end_time" doc:"HH:MM on the organization's wall clock; 24:00 is the end of the day."`
	CreatedAt     time.Time `json:"created_at"`
}

func ruleViewOf(r scheduling.Rule) ruleView {
	return ruleView{ID: r.ID.String(), StaffMemberID: r.MemberID.String(), Weekday: r.Weekday, StartTime: r.Start.String(), EndTime: r.End.String(), CreatedAt: r.CreatedAt}
}

type ruleOutput struct {
	Body ruleView
}

type ruleListInput struct {
	Cursor        string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit         int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
	StaffMemberID string `query:"staff_member_id" format:"uuid" doc:"Only this staff member's hours."`
}

type ruleListOutput struct {
	Body route.List[ruleView]
}

type createRuleInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Retry-safe creation: the same key and payload get the original response."`
	Body           struct {
		StaffMemberID string `json:"staff_member_id,omitempty" format:"uuid" doc:"Whose hours; defaults to yours. Someone else's needs an admin."`
		Weekday       int    `json:"weekday" minimum:"1" maximum:"7" doc:"ISO weekday: 1 = Monday … 7 = Sunday."`
		StartTime     string `json:"start_time" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" doc:"HH:MM."`
		EndTime       string `json:"end_time" pattern:"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$" doc:"HH:MM, after start_time; 24:00 is the end of the day."`
	}
}

type updateRuleInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Weekday   *int    `json:"weekday,omitempty" minimum:"1" maximum:"7"`
		StartTime *string `json:"start_time,omitempty" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
		EndTime   *string `json:"end_time,omitempty" pattern:"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"`
	}
}

type exceptionView struct {
	ID            string    `json:"id" format:"uuid"`
	StaffMemberID string    `json:"staff_member_id" format:"uuid"`
	Date          string    `json:"date" format:"date"`
	Kind          string    `json:"kind" enum:"day_off,partial_off,extra_hours"`
	StartTime     string    `json:"start_time,omitempty" doc:"HH:MM; absent for a day off."`
	EndTime       string    `json:"end_time,omitempty" doc:"HH:MM; absent for a day off."`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
}

func exceptionViewOf(e scheduling.Exception) exceptionView {
	v := exceptionView{ID: e.ID.String(), StaffMemberID: e.MemberID.String(), Date: e.Date.String(), Kind: string(e.Kind), Note: e.Note, CreatedAt: e.CreatedAt}
	if e.Kind != scheduling.DayOff {
		v.StartTime, v.EndTime = e.Start.String(), e.End.String()
	}
	return v
}

type exceptionOutput struct {
	Body exceptionView
}

type exceptionListInput struct {
	Cursor        string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit         int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
	StaffMemberID string `query:"staff_member_id" format:"uuid" doc:"Only this staff member's exceptions."`
	From          string `query:"from" format:"date" doc:"Only on or after this date."`
	To            string `query:"to" format:"date" doc:"Only on or before this date."`
}

type exceptionListOutput struct {
	Body route.List[exceptionView]
}

type createExceptionInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Retry-safe creation: the same key and payload get the original response."`
	Body           struct {
		StaffMemberID string `json:"staff_member_id,omitempty" format:"uuid" doc:"Whose hours; defaults to yours. Someone else's needs an admin."`
		Date          string `json:"date" format:"date"`
		Kind          string `json:"kind" enum:"day_off,partial_off,extra_hours" doc:"day_off: the whole date; partial_off: not available from start_time to end_time; extra_hours: available then, in addition to the weekly hours."`
		StartTime     string `json:"start_time,omitempty" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$" doc:"Required unless day_off."`
		EndTime       string `json:"end_time,omitempty" pattern:"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$" doc:"Required unless day_off."`
		Note          string `json:"note,omitempty" maxLength:"500"`
	}
}

type updateExceptionInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		Date      *string `json:"date,omitempty" format:"date"`
		Kind      *string `json:"kind,omitempty" enum:"day_off,partial_off,extra_hours" doc:"Changing to day_off drops the times."`
		StartTime *string `json:"start_time,omitempty" pattern:"^([01][0-9]|2[0-3]):[0-5][0-9]$"`
		EndTime   *string `json:"end_time,omitempty" pattern:"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$"`
		Note      *string `json:"note,omitempty" maxLength:"500"`
	}
}

type slotView struct {
	StaffMemberID   string    `json:"staff_member_id" format:"uuid"`
	StaffName       string    `json:"staff_name"`
	StartsAt        time.Time `json:"starts_at" doc:"RFC 3339, with the organization's UTC offset on that date. Book with this value."`
	EndsAt          time.Time `json:"ends_at"`
	TimeZone        string    `json:"time_zone" doc:"The organization's time zone."`
	LocalDate       string    `json:"local_date" format:"date" doc:"The date of starts_at in time_zone."`
	LocalTime       string    `json:"local_time" doc:"HH:MM (24-hour) of starts_at in time_zone."`
	ViewerTimeZone  string    `json:"viewer_time_zone" doc:"Your own time zone when your profile sets one, else the organization's."`
	ViewerStartsAt  time.Time `json:"viewer_starts_at" doc:"starts_at with your zone's offset."`
	ViewerLocalDate string    `json:"viewer_local_date" format:"date"`
	ViewerLocalTime string    `json:"viewer_local_time" doc:"HH:MM (24-hour) in viewer_time_zone."`
}

type slotsInput struct {
	ID            string `path:"id" format:"uuid" doc:"The service."`
	From          string `query:"from" format:"date" required:"true" doc:"First date (organization's time zone)."`
	To            string `query:"to" format:"date" doc:"Last date, at most 30 days after from; defaults to from + 6 days."`
	StaffMemberID string `query:"staff_member_id" format:"uuid" doc:"Only this staff member's slots."`
	Cursor        string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit         int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
}

type slotsOutput struct {
	Body route.List[slotView]
}

type bookingEventView struct {
	Kind             string     `json:"kind" enum:"created,confirmed,rescheduled,cancelled,completed,no_show"`
	ActorMemberID    string     `json:"actor_member_id,omitempty" format:"uuid"`
	ActorName        string     `json:"actor_name,omitempty"`
	PreviousStartsAt *time.Time `json:"previous_starts_at,omitempty" doc:"For rescheduled: the time before."`
	PreviousEndsAt   *time.Time `json:"previous_ends_at,omitempty"`
	Note             string     `json:"note"`
	CreatedAt        time.Time  `json:"created_at"`
}

type bookingView struct {
	ID                        string             `json:"id" format:"uuid"`
	ServiceID                 string             `json:"service_id" format:"uuid"`
	ServiceName               string             `json:"service_name"`
	StaffMemberID             string             `json:"staff_member_id" format:"uuid"`
	StaffName                 string             `json:"staff_name"`
	ClientMemberID            string             `json:"client_member_id" format:"uuid"`
	ClientName                string             `json:"client_name"`
	ServiceRequestID          string             `json:"service_request_id,omitempty" format:"uuid"`
	StartsAt                  time.Time          `json:"starts_at" doc:"RFC 3339 with the organization's offset."`
	EndsAt                    time.Time          `json:"ends_at"`
	TimeZone                  string             `json:"time_zone"`
	Status                    string             `json:"status" enum:"pending,confirmed,cancelled,completed,no_show"`
	BufferBeforeMinutes       int32              `json:"buffer_before_minutes"`
	BufferAfterMinutes        int32              `json:"buffer_after_minutes"`
	CancellationNoticeMinutes int32              `json:"cancellation_notice_minutes" doc:"The notice the client must give to cancel: the terms when the booking was made."`
	RescheduleNoticeMinutes   int32              `json:"reschedule_notice_minutes"`
	CancellableUntil          time.Time          `json:"cancellable_until" doc:"The client may cancel until then."`
	ReschedulableUntil        time.Time          `json:"reschedulable_until" doc:"The client may reschedule until then."`
	PriceMinor                int64              `json:"price_minor"`
	Currency                  string             `json:"currency"`
	Notes                     string             `json:"notes"`
	CreatedByMemberID         string             `json:"created_by_member_id,omitempty" format:"uuid"`
	CancelledAt               *time.Time         `json:"cancelled_at,omitempty"`
	CreatedAt                 time.Time          `json:"created_at"`
	UpdatedAt                 time.Time          `json:"updated_at"`
	Events                    []bookingEventView `json:"events,omitempty" doc:"The timeline, oldest first; only on a single booking."`
}

func bookingViewOf(b scheduling.Booking) bookingView {
	v := bookingView{
		ID: b.ID.String(), ServiceID: b.ServiceID.String(), ServiceName: b.ServiceName, StaffMemberID: b.StaffMemberID.String(),
		StaffName: b.StaffName, ClientMemberID: b.ClientMemberID.String(), ClientName: b.ClientName,
		StartsAt: b.StartsAt, EndsAt: b.EndsAt, TimeZone: b.StartsAt.Location().String(), Status: string(b.Status),
		BufferBeforeMinutes: b.BufferBeforeMinutes, BufferAfterMinutes: b.BufferAfterMinutes,
		CancellationNoticeMinutes: b.CancellationNoticeMinutes, RescheduleNoticeMinutes: b.RescheduleNoticeMinutes,
		CancellableUntil: b.CancellableUntil(), ReschedulableUntil: b.ReschedulableUntil(),
		PriceMinor: b.PriceMinor, Currency: b.Currency, Notes: b.Notes, CancelledAt: b.CancelledAt,
		CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
	if b.ServiceRequestID != nil {
		v.ServiceRequestID = b.ServiceRequestID.String()
	}
	if b.CreatedByMemberID != nil {
		v.CreatedByMemberID = b.CreatedByMemberID.String()
	}
	return v
}

func bookingDetailViewOf(d scheduling.BookingDetail) bookingView {
	v := bookingViewOf(d.Booking)
	v.Events = make([]bookingEventView, 0, len(d.Events))
	for _, e := range d.Events {
		ev := bookingEventView{Kind: e.Kind, ActorName: e.ActorName, PreviousStartsAt: e.PreviousStartsAt, PreviousEndsAt: e.PreviousEndsAt, Note: e.Note, CreatedAt: e.CreatedAt}
		if e.ActorMemberID != nil {
			ev.ActorMemberID = e.ActorMemberID.String()
		}
		v.Events = append(v.Events, ev)
	}
	return v
}

type bookingOutput struct {
	Body bookingView
}

type bookingListInput struct {
	Cursor        string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit         int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
	From          string `query:"from" format:"date" doc:"Only bookings starting on or after this date (organization's time zone)."`
	To            string `query:"to" format:"date" doc:"Only bookings starting on or before this date."`
	StaffMemberID string `query:"staff_member_id" format:"uuid" doc:"Only this staff member's bookings."`
	Status        string `query:"status" enum:"pending,confirmed,cancelled,completed,no_show"`
}

type bookingListOutput struct {
	Body route.List[bookingView]
}

type createBookingInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Retry-safe creation: the same key and payload get the original response."`
	Body           struct {
		ServiceID        string    `json:"service_id" format:"uuid"`
		StaffMemberID    string    `json:"staff_member_id" format:"uuid"`
		ClientMemberID   string    `json:"client_member_id" format:"uuid" doc:"The client booked for."`
		StartsAt         time.Time `json:"starts_at" doc:"The starts_at of a free slot of the staff member."`
		ServiceRequestID string    `json:"service_request_id,omitempty" format:"uuid" doc:"A request of the same client; an approved one moves to scheduled."`
		Notes            string    `json:"notes,omitempty" maxLength:"2000"`
	}
}

type bookingIDInput struct {
	ID string `path:"id" format:"uuid"`
}

type rescheduleInput struct {
	ID   string `path:"id" format:"uuid"`
	Body struct {
		StartsAt time.Time `json:"starts_at" doc:"The starts_at of a free slot of the booking's staff member."`
		Note     string    `json:"note,omitempty" maxLength:"2000"`
	}
}

type bookingCancelInput struct {
	ID   string `path:"id" format:"uuid"`
	Body *struct {
		Reason string `json:"reason,omitempty" maxLength:"2000"`
	}
}

// portalBookingView is what a client sees of its booking.
type portalBookingView struct {
	ID                        string            `json:"id" format:"uuid"`
	ServiceID                 string            `json:"service_id" format:"uuid"`
	ServiceName               string            `json:"service_name"`
	StaffMemberID             string            `json:"staff_member_id" format:"uuid"`
	StaffName                 string            `json:"staff_name"`
	ServiceRequestID          string            `json:"service_request_id,omitempty" format:"uuid"`
	StartsAt                  time.Time         `json:"starts_at"`
	EndsAt                    time.Time         `json:"ends_at"`
	TimeZone                  string            `json:"time_zone"`
	Status                    string            `json:"status" enum:"pending,confirmed,cancelled,completed,no_show"`
	CancellationNoticeMinutes int32             `json:"cancellation_notice_minutes"`
	RescheduleNoticeMinutes   int32             `json:"reschedule_notice_minutes"`
	CancellableUntil          time.Time         `json:"cancellable_until" doc:"You may cancel until then."`
	ReschedulableUntil        time.Time         `json:"reschedulable_until" doc:"You may reschedule until then."`
	PriceMinor                int64             `json:"price_minor"`
	Currency                  string            `json:"currency"`
	Notes                     string            `json:"notes"`
	CancelledAt               *time.Time        `json:"cancelled_at,omitempty"`
	CreatedAt                 time.Time         `json:"created_at"`
	UpdatedAt                 time.Time         `json:"updated_at"`
	Events                    []portalEventView `json:"events,omitempty" doc:"The timeline, oldest first; only on a single booking."`
}

type portalEventView struct {
	Kind             string     `json:"kind" enum:"created,confirmed,rescheduled,cancelled,completed,no_show"`
	PreviousStartsAt *time.Time `json:"previous_starts_at,omitempty"`
	PreviousEndsAt   *time.Time `json:"previous_ends_at,omitempty"`
	Note             string     `json:"note"`
	CreatedAt        time.Time  `json:"created_at"`
}

func portalBookingViewOf(b scheduling.Booking) portalBookingView {
	v := portalBookingView{
		ID: b.ID.String(), ServiceID: b.ServiceID.String(), ServiceName: b.ServiceName, StaffMemberID: b.StaffMemberID.String(),
		StaffName: b.StaffName, StartsAt: b.StartsAt, EndsAt: b.EndsAt, TimeZone: b.StartsAt.Location().String(), Status: string(b.Status),
		CancellationNoticeMinutes: b.CancellationNoticeMinutes, RescheduleNoticeMinutes: b.RescheduleNoticeMinutes,
		CancellableUntil: b.CancellableUntil(), ReschedulableUntil: b.ReschedulableUntil(),
		PriceMinor: b.PriceMinor, Currency: b.Currency, Notes: b.Notes, CancelledAt: b.CancelledAt, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt,
	}
	if b.ServiceRequestID != nil {
		v.ServiceRequestID = b.ServiceRequestID.String()
	}
	return v
}

type portalBookingOutput struct {
	Body portalBookingView
}

type portalBookingListInput struct {
	Cursor string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
	From   string `query:"from" format:"date" doc:"Only bookings starting on or after this date (organization's time zone)."`
	To     string `query:"to" format:"date" doc:"Only bookings starting on or before this date."`
	Status string `query:"status" enum:"pending,confirmed,cancelled,completed,no_show"`
}

type portalBookingListOutput struct {
	Body route.List[portalBookingView]
}

type createPortalBookingInput struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Retry-safe creation: the same key and payload get the original response."`
	Body           struct {
		ServiceID        string    `json:"service_id" format:"uuid"`
		StaffMemberID    string    `json:"staff_member_id" format:"uuid"`
		StartsAt         time.Time `json:"starts_at" doc:"The starts_at of a free slot."`
		ServiceRequestID string    `json:"service_request_id,omitempty" format:"uuid" doc:"One of your approved requests."`
		Notes            string    `json:"notes,omitempty" maxLength:"2000"`
	}
}

// portalServiceView is what a client sees of a bookable service.
type portalServiceView struct {
	ID                   string `json:"id" format:"uuid"`
	Slug                 string `json:"slug"`
	Name                 string `json:"name"`
	Description          string `json:"description"`
	DurationMinutes      int32  `json:"duration_minutes"`
	PriceMinor           int64  `json:"price_minor"`
	Currency             string `json:"currency"`
	RequiresConfirmation bool   `json:"requires_confirmation" doc:"A booking stays pending until staff confirm it."`
}

type portalServiceListInput struct {
	Cursor string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
}

type portalServiceListOutput struct {
	Body route.List[portalServiceView]
}

type preferencesView struct {
	PreferredStaffMemberID *string    `json:"preferred_staff_member_id" format:"uuid" nullable:"true"`
	PreferredStaffName     string     `json:"preferred_staff_name,omitempty"`
	ReminderMinutesBefore  *int32     `json:"reminder_minutes_before" nullable:"true"`
	ContactChannel         string     `json:"contact_channel" enum:"email,phone,none"`
	Phone                  string     `json:"phone"`
	Notes                  string     `json:"notes"`
	UpdatedAt              *time.Time `json:"updated_at,omitempty" doc:"Absent until you first save preferences."`
}

func preferencesViewOf(p scheduling.Preferences) preferencesView {
	v := preferencesView{PreferredStaffName: p.PreferredStaffName, ReminderMinutesBefore: p.ReminderMinutesBefore,
		ContactChannel: p.ContactChannel, Phone: p.Phone, Notes: p.Notes, UpdatedAt: p.UpdatedAt}
	if p.PreferredStaffMemberID != nil {
		id := p.PreferredStaffMemberID.String()
		v.PreferredStaffMemberID = &id
	}
	return v
}

type preferencesOutput struct {
	Body preferencesView
}

type putPreferencesInput struct {
	Body struct {
		PreferredStaffMemberID *string `json:"preferred_staff_member_id,omitempty" format:"uuid" nullable:"true" doc:"A staff member of the organization; null for none."`
		ReminderMinutesBefore  *int32  `json:"reminder_minutes_before,omitempty" minimum:"0" maximum:"10080" nullable:"true" doc:"Null for no reminder."`
		ContactChannel         string  `json:"contact_channel" enum:"email,phone,none"`
		Phone                  string  `json:"phone,omitempty" maxLength:"40" doc:"Required for the phone channel."`
		Notes                  string  `json:"notes,omitempty" maxLength:"2000"`
	}
}

// The list operations, whose ids bind their cursors.
const (
	opListRules          = "list-availability-rules"
	opListExceptions     = "list-availability-exceptions"
	opListSlots          = "list-service-slots"
	opListBookings       = "list-bookings"
	opListPortalServices = "list-portal-services"
	opListPortalSlots    = "list-portal-service-slots"
	opListPortalBookings = "list-portal-bookings"
)

func (s *API) registerScheduling() {
	api := route.TenantHost
	staff := route.Member(tenant.RoleStaff)
	client := route.Member(tenant.RoleClient)
	avail := []string{"availability"}
	hours := "Staff manage their own; someone else's needs an admin (403). The staff member must be a live staff member of the organization (404)."
	route.Operation(s.t, api, huma.Operation{OperationID: opListRules, Method: http.MethodGet, Path: "/api/availability/rules", Tags: avail,
		Summary: "List weekly hours", Description: "Ordered by staff member, weekday and start."}, staff, s.handleListRules)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-availability-rule", Method: http.MethodPost, Path: "/api/availability/rules", Tags: avail,
		Summary: "Add weekly hours", Description: hours + " Hours that overlap the member's other hours on that weekday are refused (409).",
		DefaultStatus: http.StatusCreated, Errors: []int{403, 404, 409, 422}}, staff,
		route.Idempotent(s.t, "create-availability-rule", s.handleCreateRule))
	route.Operation(s.t, api, huma.Operation{OperationID: "get-availability-rule", Method: http.MethodGet, Path: "/api/availability/rules/{id}", Tags: avail,
		Summary: "Get weekly hours"}, staff, s.handleGetRule)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-availability-rule", Method: http.MethodPatch, Path: "/api/availability/rules/{id}", Tags: avail,
		Summary: "Change weekly hours", Description: hours, Errors: []int{403, 404, 409, 422}}, staff, s.handleUpdateRule)
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-availability-rule", Method: http.MethodDelete, Path: "/api/availability/rules/{id}", Tags: avail,
		Summary: "Remove weekly hours", Description: hours + " Existing bookings stay.", DefaultStatus: http.StatusNoContent, Errors: []int{403, 404}},
		staff, s.deleteByID("availability rule", s.scheduling.DeleteRule))
	route.Operation(s.t, api, huma.Operation{OperationID: opListExceptions, Method: http.MethodGet, Path: "/api/availability/exceptions", Tags: avail,
		Summary: "List date exceptions", Description: "Ordered by date."}, staff, s.handleListExceptions)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-availability-exception", Method: http.MethodPost, Path: "/api/availability/exceptions", Tags: avail,
		Summary: "Add a date exception: a day off, time off, or extra hours", Description: hours,
		DefaultStatus: http.StatusCreated, Errors: []int{403, 404, 422}}, staff,
		route.Idempotent(s.t, "create-availability-exception", s.handleCreateException))
	route.Operation(s.t, api, huma.Operation{OperationID: "get-availability-exception", Method: http.MethodGet, Path: "/api/availability/exceptions/{id}", Tags: avail,
		Summary: "Get a date exception"}, staff, s.handleGetException)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-availability-exception", Method: http.MethodPatch, Path: "/api/availability/exceptions/{id}", Tags: avail,
		Summary: "Change a date exception", Description: hours, Errors: []int{403, 404, 422}}, staff, s.handleUpdateException)
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-availability-exception", Method: http.MethodDelete, Path: "/api/availability/exceptions/{id}", Tags: avail,
		Summary: "Remove a date exception", Description: hours, DefaultStatus: http.StatusNoContent, Errors: []int{403, 404}}, staff, s.deleteByID("availability exception", s.scheduling.DeleteException))
	slotsDoc := "Free start times for the service from the weekly hours and exceptions (organization's time zone, on the slot interval), " +
		"less existing bookings widened by their buffers and the buffer a new booking keeps, within the lead time and the maximum advance. " +
		"Ordered by start, then staff member."
	route.Operation(s.t, api, huma.Operation{OperationID: opListSlots, Method: http.MethodGet, Path: "/api/services/{id}/slots", Tags: avail,
		Summary: "List free slots of a service", Description: slotsDoc, Errors: []int{404, 409, 422}}, staff, s.handleSlots(opListSlots, false))

	bk := []string{"bookings"}
	route.Operation(s.t, api, huma.Operation{OperationID: opListBookings, Method: http.MethodGet, Path: "/api/bookings", Tags: bk,
		Summary: "List bookings", Description: "Ordered by start."}, staff, s.handleListBookings)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-booking", Method: http.MethodPost, Path: "/api/bookings", Tags: bk,
		Summary: "Book a free slot for a client",
		Description: "Pending when the service requires confirmation, else confirmed. Price, buffers and notice terms are copied onto the booking. " +
			"A time that is not a free slot, or that another booking takes first, is refused (409).",
		DefaultStatus: http.StatusCreated, Errors: []int{404, 409, 422}}, staff, route.Idempotent(s.t, "create-booking", s.handleCreateBooking))
	route.Operation(s.t, api, huma.Operation{OperationID: "get-booking", Method: http.MethodGet, Path: "/api/bookings/{id}", Tags: bk,
		Summary: "Get a booking with its timeline"}, staff, s.handleGetBooking)
	route.Operation(s.t, api, huma.Operation{OperationID: "confirm-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/confirm", Tags: bk,
		Summary: "Confirm a pending booking", Errors: []int{404, 409}}, staff, s.bookingChange(s.scheduling.ConfirmBooking))
	route.Operation(s.t, api, huma.Operation{OperationID: "reschedule-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/reschedule", Tags: bk,
		Summary: "Move a booking to another free slot of its staff member", Errors: []int{404, 409, 422}}, staff, s.handleReschedule)
	route.Operation(s.t, api, huma.Operation{OperationID: "cancel-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/cancel", Tags: bk,
		Summary: "Cancel a booking", Errors: []int{404, 409}}, staff, s.handleCancel)
	route.Operation(s.t, api, huma.Operation{OperationID: "complete-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/complete", Tags: bk,
		Summary: "Mark a confirmed booking that has started as completed", Errors: []int{404, 409}}, staff, s.bookingChange(s.scheduling.CompleteBooking))
	route.Operation(s.t, api, huma.Operation{OperationID: "no-show-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/no-show", Tags: bk,
		Summary: "Mark a confirmed booking that has started as a no-show", Errors: []int{404, 409}}, staff, s.bookingChange(s.scheduling.MarkNoShow))

	portal := []string{"portal"}
	route.Operation(s.t, api, huma.Operation{OperationID: opListPortalServices, Method: http.MethodGet, Path: "/api/portal/services", Tags: portal,
		Summary: "Services open for booking", Description: "Active services, ordered by name."}, client, s.handlePortalServices)
	route.Operation(s.t, api, huma.Operation{OperationID: opListPortalSlots, Method: http.MethodGet, Path: "/api/portal/services/{id}/slots", Tags: portal,
		Summary: "List free slots of a service", Description: slotsDoc, Errors: []int{404, 422}}, client, s.handleSlots(opListPortalSlots, true))
	route.Operation(s.t, api, huma.Operation{OperationID: opListPortalBookings, Method: http.MethodGet, Path: "/api/portal/bookings", Tags: portal,
		Summary: "List my bookings", Description: "Ordered by start."}, client, s.handleListPortalBookings)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-portal-booking", Method: http.MethodPost, Path: "/api/portal/bookings", Tags: portal,
		Summary: "Book a free slot", Description: "Pending until staff confirm it when the service requires confirmation. The notice terms in force now stay with the booking.",
		DefaultStatus: http.StatusCreated, Errors: []int{404, 409, 422}}, client, route.Idempotent(s.t, "create-portal-booking", s.handleCreatePortalBooking))
	route.Operation(s.t, api, huma.Operation{OperationID: "get-portal-booking", Method: http.MethodGet, Path: "/api/portal/bookings/{id}", Tags: portal,
		Summary: "Get my booking with its timeline"}, client, s.handleGetPortalBooking)
	route.Operation(s.t, api, huma.Operation{OperationID: "reschedule-portal-booking", Method: http.MethodPost, Path: "/api/portal/bookings/{id}/reschedule", Tags: portal,
		Summary: "Move my booking to another free slot", Description: "Only until reschedulable_until (409 after).",
		Errors: []int{404, 409, 422}}, client, s.handlePortalReschedule)
	route.Operation(s.t, api, huma.Operation{OperationID: "cancel-portal-booking", Method: http.MethodPost, Path: "/api/portal/bookings/{id}/cancel", Tags: portal,
		Summary: "Cancel my booking", Description: "Only until cancellable_until (409 after).", Errors: []int{404, 409}}, client, s.handlePortalCancel)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-portal-booking-preferences", Method: http.MethodGet, Path: "/api/portal/booking-preferences", Tags: portal,
		Summary: "My booking preferences"}, client, s.handleGetPreferences)
	route.Operation(s.t, api, huma.Operation{OperationID: "put-portal-booking-preferences", Method: http.MethodPut, Path: "/api/portal/booking-preferences", Tags: portal,
		Summary: "Replace my booking preferences", Errors: []int{404, 422}}, client, s.handlePutPreferences)
}

// optionalID parses an optional id from a query or body; a malformed one
// reads like a missing one.
func optionalID(v, kind string) (*uuid.UUID, error) {
	if v == "" {
		return nil, nil
	}
	id, err := route.ParseID(v, kind)
	if err != nil {
		return nil, err
	}
	return &id, nil
}

// optionalCivilDate parses an optional date of a query.
func optionalCivilDate(v, field string) (*scheduling.Date, error) {
	if v == "" {
		return nil, nil
	}
	d, err := scheduling.ParseDate(v)
	if err != nil {
		return nil, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid date", Fields: map[string]string{field: "a date such as 2026-03-08"}}
	}
	return &d, nil
}

func parseClock(v, field string) (scheduling.Clock, error) {
	c, err := scheduling.ParseClock(v)
	if err != nil {
		return 0, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid time of day", Fields: map[string]string{field: "HH:MM"}}
	}
	return c, nil
}

func optionalClock(v *string, field string) (*scheduling.Clock, error) {
	if v == nil || *v == "" {
		return nil, nil
	}
	c, err := parseClock(*v, field)
	return &c, err
}

// memberOrSelf returns the id v names, or the scope's member when empty.
func memberOrSelf(ctx context.Context, v string) (uuid.UUID, error) {
	if v == "" {
		return tenant.MustScope(ctx).MemberID, nil
	}
	return route.ParseID(v, "staff member")
}

// keysetPage serves one page of a keyset list: it reads the position from
// the cursor of op, lets find fetch the page after it, and signs the
// position of the next page.
func keysetPage[K, T, V any](ctx context.Context, s *API, op, cursor string, find func(after *K) ([]T, *K, error), view func(T) V) (route.List[V], error) {
	scope := tenant.MustScope(ctx)
	var key K
	var after *K
	if ok, err := s.cursors.Decode(scope, op, cursor, &key); err != nil {
		return route.List[V]{}, err
	} else if ok {
		after = &key
	}
	items, next, err := find(after)
	if err != nil {
		return route.List[V]{}, err
	}
	p := route.List[V]{Items: make([]V, 0, len(items))}
	for _, it := range items {
		p.Items = append(p.Items, view(it))
	}
	if next != nil {
		p.NextCursor = s.cursors.Encode(scope, op, next)
	}
	return p, nil
}

func (s *API) handleListRules(ctx context.Context, in *ruleListInput) (*ruleListOutput, error) {
	member, err := optionalID(in.StaffMemberID, "staff member")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	p, err := keysetPage(ctx, s, opListRules, in.Cursor, func(after *scheduling.RuleKey) ([]scheduling.Rule, *scheduling.RuleKey, error) {
		return s.scheduling.FindRules(ctx, scheduling.RuleFilter{MemberID: member, After: after, Limit: in.Limit})
	}, ruleViewOf)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &ruleListOutput{Body: p}, nil
}

func (s *API) handleCreateRule(ctx context.Context, in *createRuleInput) (*ruleOutput, error) {
	member, err := memberOrSelf(ctx, in.Body.StaffMemberID)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	start, err := parseClock(in.Body.StartTime, "body.start_time")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	end, err := parseClock(in.Body.EndTime, "body.end_time")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	r, err := s.scheduling.CreateRule(ctx, scheduling.RuleInput{MemberID: member, Weekday: in.Body.Weekday, Start: start, End: end})
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &ruleOutput{Body: ruleViewOf(r)}, nil
}

func (s *API) handleGetRule(ctx context.Context, in *idPath) (*ruleOutput, error) {
	id, err := route.ParseID(in.ID, "availability rule")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	r, err := s.scheduling.FindRuleByID(ctx, id)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &ruleOutput{Body: ruleViewOf(r)}, nil
}

func (s *API) handleUpdateRule(ctx context.Context, in *updateRuleInput) (*ruleOutput, error) {
	id, err := route.ParseID(in.ID, "availability rule")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	u := scheduling.RuleUpdate{Weekday: in.Body.Weekday}
	if u.Start, err = optionalClock(in.Body.StartTime, "body.start_time"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if u.End, err = optionalClock(in.Body.EndTime, "body.end_time"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	r, err := s.scheduling.UpdateRule(ctx, id, u)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &ruleOutput{Body: ruleViewOf(r)}, nil
}

func (s *API) handleListExceptions(ctx context.Context, in *exceptionListInput) (*exceptionListOutput, error) {
	f := scheduling.ExceptionFilter{Limit: in.Limit}
	var err error
	if f.MemberID, err = optionalID(in.StaffMemberID, "staff member"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if f.From, err = optionalCivilDate(in.From, "query.from"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if f.To, err = optionalCivilDate(in.To, "query.to"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	p, err := keysetPage(ctx, s, opListExceptions, in.Cursor, func(after *scheduling.ExceptionKey) ([]scheduling.Exception, *scheduling.ExceptionKey, error) {
		f.After = after
		return s.scheduling.FindExceptions(ctx, f)
	}, exceptionViewOf)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &exceptionListOutput{Body: p}, nil
}

func (s *API) handleCreateException(ctx context.Context, in *createExceptionInput) (*exceptionOutput, error) {
	b := in.Body
	member, err := memberOrSelf(ctx, b.StaffMemberID)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	d, err := optionalCivilDate(b.Date, "body.date")
	if err != nil || d == nil {
		return nil, s.problems.APIError(ctx, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid date", Fields: map[string]string{"body.date": "a date such as 2026-03-08"}})
	}
	ei := scheduling.ExceptionInput{MemberID: member, Date: *d, Kind: scheduling.ExceptionKind(b.Kind), Note: b.Note}
	if ei.Start, err = optionalClock(&b.StartTime, "body.start_time"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if ei.End, err = optionalClock(&b.EndTime, "body.end_time"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	e, err := s.scheduling.CreateException(ctx, ei)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &exceptionOutput{Body: exceptionViewOf(e)}, nil
}

func (s *API) handleGetException(ctx context.Context, in *idPath) (*exceptionOutput, error) {
	id, err := route.ParseID(in.ID, "availability exception")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	e, err := s.scheduling.FindExceptionByID(ctx, id)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &exceptionOutput{Body: exceptionViewOf(e)}, nil
}

func (s *API) handleUpdateException(ctx context.Context, in *updateExceptionInput) (*exceptionOutput, error) {
	id, err := route.ParseID(in.ID, "availability exception")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	b := in.Body
	u := scheduling.ExceptionUpdate{Note: b.Note}
	if b.Date != nil {
		if u.Date, err = optionalCivilDate(*b.Date, "body.date"); err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
	}
	if b.Kind != nil {
		k := scheduling.ExceptionKind(*b.Kind)
		u.Kind = &k
	}
	if u.Start, err = optionalClock(b.StartTime, "body.start_time"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if u.End, err = optionalClock(b.EndTime, "body.end_time"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	e, err := s.scheduling.UpdateException(ctx, id, u)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &exceptionOutput{Body: exceptionViewOf(e)}, nil
}

// handleSlots lists free slots, for staff or (portal) for a client.
func (s *API) handleSlots(op string, portal bool) func(context.Context, *slotsInput) (*slotsOutput, error) {
	find := s.scheduling.FindSlots
	if portal {
		find = s.scheduling.FindMySlots
	}
	return func(ctx context.Context, in *slotsInput) (*slotsOutput, error) {
		id, err := route.ParseID(in.ID, "service")
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		q := scheduling.SlotQuery{ServiceID: id, Limit: in.Limit}
		if q.StaffMemberID, err = optionalID(in.StaffMemberID, "staff member"); err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		from, err := optionalCivilDate(in.From, "query.from")
		if err != nil || from == nil {
			return nil, s.problems.APIError(ctx, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid date", Fields: map[string]string{"query.from": "a date such as 2026-03-08"}})
		}
		q.From, q.To = *from, from.AddDays(6)
		if to, err := optionalCivilDate(in.To, "query.to"); err != nil {
			return nil, s.problems.APIError(ctx, err)
		} else if to != nil {
			q.To = *to
		}
		var zones scheduling.SlotPage
		p, err := keysetPage(ctx, s, op, in.Cursor, func(after *scheduling.SlotKey) ([]scheduling.FreeSlot, *scheduling.SlotKey, error) {
			q.After = after
			pg, err := find(ctx, q)
			zones = pg
			return pg.Slots, pg.Next, err
		}, func(sl scheduling.FreeSlot) slotView {
			vs := sl.Start.In(zones.Viewer)
			return slotView{
				StaffMemberID: sl.MemberID.String(), StaffName: sl.StaffName, StartsAt: sl.Start, EndsAt: sl.End,
				TimeZone: zones.Location.String(), LocalDate: sl.Start.Format(time.DateOnly), LocalTime: sl.Start.Format("15:04"),
				ViewerTimeZone: zones.Viewer.String(), ViewerStartsAt: vs, ViewerLocalDate: vs.Format(time.DateOnly), ViewerLocalTime: vs.Format("15:04"),
			}
		})
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		return &slotsOutput{Body: p}, nil
	}
}

// bookingFilter reads the filters common to the staff and portal lists.
func bookingFilter(from, to, status string, limit int) (scheduling.BookingFilter, error) {
	f := scheduling.BookingFilter{Limit: limit}
	var err error
	if f.From, err = optionalCivilDate(from, "query.from"); err != nil {
		return f, err
	}
	if f.To, err = optionalCivilDate(to, "query.to"); err != nil {
		return f, err
	}
	if status != "" {
		st := scheduling.Status(status)
		f.Status = &st
	}
	return f, nil
}

func (s *API) handleListBookings(ctx context.Context, in *bookingListInput) (*bookingListOutput, error) {
	f, err := bookingFilter(in.From, in.To, in.Status, in.Limit)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if f.StaffMemberID, err = optionalID(in.StaffMemberID, "staff member"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	p, err := keysetPage(ctx, s, opListBookings, in.Cursor, func(after *scheduling.BookingKey) ([]scheduling.Booking, *scheduling.BookingKey, error) {
		f.After = after
		return s.scheduling.FindBookings(ctx, f)
	}, bookingViewOf)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &bookingListOutput{Body: p}, nil
}

func (s *API) handleCreateBooking(ctx context.Context, in *createBookingInput) (*bookingOutput, error) {
	b := in.Body
	bi, err := bookingInput(b.ServiceID, b.StaffMemberID, b.ServiceRequestID, b.StartsAt, b.Notes)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	if bi.ClientMemberID, err = route.ParseID(b.ClientMemberID, "client"); err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	bk, err := s.scheduling.CreateBooking(ctx, bi)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &bookingOutput{Body: bookingViewOf(bk)}, nil
}

func bookingInput(serviceID, staffID, requestID string, startsAt time.Time, notes string) (scheduling.BookingInput, error) {
	bi := scheduling.BookingInput{StartsAt: startsAt, Notes: notes}
	var err error
	if bi.ServiceID, err = route.ParseID(serviceID, "service"); err != nil {
		return bi, err
	}
	if bi.StaffMemberID, err = route.ParseID(staffID, "staff member"); err != nil {
		return bi, err
	}
	if bi.ServiceRequestID, err = optionalID(requestID, "service request"); err != nil {
		return bi, err
	}
	return bi, nil
}

func (s *API) handleGetBooking(ctx context.Context, in *bookingIDInput) (*bookingOutput, error) {
	id, err := route.ParseID(in.ID, "booking")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	d, err := s.scheduling.FindBookingByID(ctx, id)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &bookingOutput{Body: bookingDetailViewOf(d)}, nil
}

// bookingChange serves a state change of a booking that takes no input.
func (s *API) bookingChange(change func(context.Context, uuid.UUID) (scheduling.Booking, error)) func(context.Context, *bookingIDInput) (*bookingOutput, error) {
	return func(ctx context.Context, in *bookingIDInput) (*bookingOutput, error) {
		id, err := route.ParseID(in.ID, "booking")
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		b, err := change(ctx, id)
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		return &bookingOutput{Body: bookingViewOf(b)}, nil
	}
}

func (s *API) handleReschedule(ctx context.Context, in *rescheduleInput) (*bookingOutput, error) {
	id, err := route.ParseID(in.ID, "booking")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	b, err := s.scheduling.RescheduleBooking(ctx, id, in.Body.StartsAt, in.Body.Note)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &bookingOutput{Body: bookingViewOf(b)}, nil
}

func cancelReason(in *bookingCancelInput) string {
	if in.Body == nil {
		return ""
	}
	return in.Body.Reason
}

func (s *API) handleCancel(ctx context.Context, in *bookingCancelInput) (*bookingOutput, error) {
	id, err := route.ParseID(in.ID, "booking")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	b, err := s.scheduling.CancelBooking(ctx, id, cancelReason(in))
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &bookingOutput{Body: bookingViewOf(b)}, nil
}

func (s *API) handlePortalServices(ctx context.Context, in *portalServiceListInput) (*portalServiceListOutput, error) {
	active := true
	p, err := keysetPage(ctx, s, opListPortalServices, in.Cursor, func(after *catalog.ServiceKey) ([]catalog.Service, *catalog.ServiceKey, error) {
		return s.catalog.FindServices(ctx, catalog.ServiceFilter{Active: &active, After: after, Limit: in.Limit})
	}, func(it catalog.Service) portalServiceView {
		return portalServiceView{ID: it.ID.String(), Slug: it.Slug, Name: it.Name, Description: it.Description,
			DurationMinutes: it.DurationMinutes, PriceMinor: it.PriceMinor, Currency: it.Currency, RequiresConfirmation: it.RequiresConfirmation}
	})
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &portalServiceListOutput{Body: p}, nil
}

func (s *API) handleListPortalBookings(ctx context.Context, in *portalBookingListInput) (*portalBookingListOutput, error) {
	f, err := bookingFilter(in.From, in.To, in.Status, in.Limit)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	p, err := keysetPage(ctx, s, opListPortalBookings, in.Cursor, func(after *scheduling.BookingKey) ([]scheduling.Booking, *scheduling.BookingKey, error) {
		f.After = after
		return s.scheduling.FindMyBookings(ctx, f)
	}, portalBookingViewOf)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &portalBookingListOutput{Body: p}, nil
}

func (s *API) handleCreatePortalBooking(ctx context.Context, in *createPortalBookingInput) (*portalBookingOutput, error) {
	b := in.Body
	bi, err := bookingInput(b.ServiceID, b.StaffMemberID, b.ServiceRequestID, b.StartsAt, b.Notes)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	bk, err := s.scheduling.CreateMyBooking(ctx, bi)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &portalBookingOutput{Body: portalBookingViewOf(bk)}, nil
}

func (s *API) handleGetPortalBooking(ctx context.Context, in *bookingIDInput) (*portalBookingOutput, error) {
	id, err := route.ParseID(in.ID, "booking")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	d, err := s.scheduling.FindMyBooking(ctx, id)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	v := portalBookingViewOf(d.Booking)
	v.Events = make([]portalEventView, 0, len(d.Events))
	for _, e := range d.Events {
		v.Events = append(v.Events, portalEventView{Kind: e.Kind, PreviousStartsAt: e.PreviousStartsAt, PreviousEndsAt: e.PreviousEndsAt, Note: e.Note, CreatedAt: e.CreatedAt})
	}
	return &portalBookingOutput{Body: v}, nil
}

func (s *API) handlePortalReschedule(ctx context.Context, in *rescheduleInput) (*portalBookingOutput, error) {
	id, err := route.ParseID(in.ID, "booking")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	b, err := s.scheduling.RescheduleMyBooking(ctx, id, in.Body.StartsAt, in.Body.Note)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &portalBookingOutput{Body: portalBookingViewOf(b)}, nil
}

func (s *API) handlePortalCancel(ctx context.Context, in *bookingCancelInput) (*portalBookingOutput, error) {
	id, err := route.ParseID(in.ID, "booking")
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	b, err := s.scheduling.CancelMyBooking(ctx, id, cancelReason(in))
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &portalBookingOutput{Body: portalBookingViewOf(b)}, nil
}

func (s *API) handleGetPreferences(ctx context.Context, _ *struct{}) (*preferencesOutput, error) {
	p, err := s.scheduling.MyPreferences(ctx)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &preferencesOutput{Body: preferencesViewOf(p)}, nil
}

func (s *API) handlePutPreferences(ctx context.Context, in *putPreferencesInput) (*preferencesOutput, error) {
	b := in.Body
	p := scheduling.Preferences{ReminderMinutesBefore: b.ReminderMinutesBefore, ContactChannel: b.ContactChannel, Phone: b.Phone, Notes: b.Notes}
	if b.PreferredStaffMemberID != nil {
		id, err := route.ParseID(*b.PreferredStaffMemberID, "staff member")
		if err != nil {
			return nil, s.problems.APIError(ctx, err)
		}
		p.PreferredStaffMemberID = &id
	}
	out, err := s.scheduling.SetMyPreferences(ctx, p)
	if err != nil {
		return nil, s.problems.APIError(ctx, err)
	}
	return &preferencesOutput{Body: preferencesViewOf(out)}, nil
}
