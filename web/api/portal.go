package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// The portal's side of scheduling: a client's services, free slots,
// bookings and booking preferences, under /api/portal.

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

type portalBookingListInput struct {
	route.PageQuery
	From   string `query:"from" format:"date" doc:"Only bookings starting on or after this date (organization's time zone)."`
	To     string `query:"to" format:"date" doc:"Only bookings starting on or before this date."`
	Status string `query:"status" enum:"pending,confirmed,cancelled,completed,no_show"`
}

type portalBookingListOutput struct {
	Body route.List[portalBookingView]
}

type createPortalBookingInput struct {
	route.IdempotencyKey
	Body struct {
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
	route.PageQuery
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

func (s *API) registerPortalScheduling() {
	api := route.TenantHost
	client := route.Member(tenant.RoleClient)
	portal := []string{"portal"}
	route.Operation(s.t, api, huma.Operation{OperationID: "list-portal-services", Method: http.MethodGet, Path: "/api/portal/services", Tags: portal,
		Summary: "Services open for booking", Description: "Active services, ordered by name."}, client, s.handlePortalServices)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-portal-service-slots", Method: http.MethodGet, Path: "/api/portal/services/{id}/slots", Tags: portal,
		Summary: "List free slots of a service", Description: slotsDoc, Errors: []int{404, 422}}, client, s.handleSlots(s.scheduling.FindMySlots))
	route.Operation(s.t, api, huma.Operation{OperationID: "list-portal-bookings", Method: http.MethodGet, Path: "/api/portal/bookings", Tags: portal,
		Summary: "List my bookings", Description: "Ordered by start."}, client, s.handleListPortalBookings)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-portal-booking", Method: http.MethodPost, Path: "/api/portal/bookings", Tags: portal,
		Summary: "Book a free slot", Description: "Pending until staff confirm it when the service requires confirmation. The notice terms in force now stay with the booking.",
		DefaultStatus: http.StatusCreated, Errors: []int{404, 409, 422}}, client, s.handleCreatePortalBooking, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-portal-booking", Method: http.MethodGet, Path: "/api/portal/bookings/{id}", Tags: portal,
		Summary: "Get my booking with its timeline"}, client, getBooking(s.scheduling.FindMyBooking, portalBookingDetailViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "reschedule-portal-booking", Method: http.MethodPost, Path: "/api/portal/bookings/{id}/reschedule", Tags: portal,
		Summary: "Move my booking to another free slot", Description: "Only until reschedulable_until (409 after).",
		Errors: []int{404, 409, 422}}, client, rescheduleBooking(s.scheduling.RescheduleMyBooking, portalBookingViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "cancel-portal-booking", Method: http.MethodPost, Path: "/api/portal/bookings/{id}/cancel", Tags: portal,
		Summary: "Cancel my booking", Description: "Only until cancellable_until (409 after).", Errors: []int{404, 409}}, client, cancelBooking(s.scheduling.CancelMyBooking, portalBookingViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "get-portal-booking-preferences", Method: http.MethodGet, Path: "/api/portal/booking-preferences", Tags: portal,
		Summary: "My booking preferences"}, client, s.handleGetPreferences)
	route.Operation(s.t, api, huma.Operation{OperationID: "put-portal-booking-preferences", Method: http.MethodPut, Path: "/api/portal/booking-preferences", Tags: portal,
		Summary: "Replace my booking preferences", Errors: []int{404, 422}}, client, s.handlePutPreferences)
}

func (s *API) handlePortalServices(ctx context.Context, in *portalServiceListInput) (*portalServiceListOutput, error) {
	active := true
	list, err := route.Keyset(ctx, in.PageQuery, func(p keyset.Page[catalog.ServiceKey]) ([]catalog.Service, *catalog.ServiceKey, error) {
		return s.catalog.FindServices(ctx, catalog.ServiceFilter{Active: &active, Page: p})
	}, func(it catalog.Service) portalServiceView {
		return portalServiceView{ID: it.ID.String(), Slug: it.Slug, Name: it.Name, Description: it.Description,
			DurationMinutes: it.DurationMinutes, PriceMinor: it.PriceMinor, Currency: it.Currency, RequiresConfirmation: it.RequiresConfirmation}
	})
	return &portalServiceListOutput{Body: list}, err
}

func (s *API) handleListPortalBookings(ctx context.Context, in *portalBookingListInput) (*portalBookingListOutput, error) {
	f, err := bookingFilter(in.From, in.To, in.Status)
	if err != nil {
		return nil, err
	}
	list, err := listBookings(ctx, in.PageQuery, f, s.scheduling.FindMyBookings, portalBookingViewOf)
	return &portalBookingListOutput{Body: list}, err
}

func (s *API) handleCreatePortalBooking(ctx context.Context, in *createPortalBookingInput) (*body[portalBookingView], error) {
	b := in.Body
	bi, err := bookingInput(b.ServiceID, b.StaffMemberID, b.ServiceRequestID, b.StartsAt, b.Notes)
	if err != nil {
		return nil, err
	}
	bk, err := s.scheduling.CreateMyBooking(ctx, bi)
	return answer(portalBookingViewOf, bk, err)
}

func portalBookingDetailViewOf(d scheduling.BookingDetail) portalBookingView {
	v := portalBookingViewOf(d.Booking)
	v.Events = make([]portalEventView, 0, len(d.Events))
	for _, e := range d.Events {
		v.Events = append(v.Events, portalEventView{Kind: e.Kind, PreviousStartsAt: e.PreviousStartsAt, PreviousEndsAt: e.PreviousEndsAt, Note: e.Note, CreatedAt: e.CreatedAt})
	}
	return v
}

func (s *API) handleGetPreferences(ctx context.Context, _ *struct{}) (*preferencesOutput, error) {
	p, err := s.scheduling.MyPreferences(ctx)
	return &preferencesOutput{Body: preferencesViewOf(p)}, err
}

func (s *API) handlePutPreferences(ctx context.Context, in *putPreferencesInput) (*preferencesOutput, error) {
	b := in.Body
	p := scheduling.Preferences{ReminderMinutesBefore: b.ReminderMinutesBefore, ContactChannel: b.ContactChannel, Phone: b.Phone, Notes: b.Notes}
	if b.PreferredStaffMemberID != nil {
		id, err := route.ParseID(*b.PreferredStaffMemberID, "staff member")
		if err != nil {
			return nil, err
		}
		p.PreferredStaffMemberID = &id
	}
	out, err := s.scheduling.SetMyPreferences(ctx, p)
	return &preferencesOutput{Body: preferencesViewOf(out)}, err
}
