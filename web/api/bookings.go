package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// Bookings, for staff under /api/bookings; the portal's are in portal.go.
// The staff and portal operations share their code and differ in the
// scheduler's method (which checks the audience) and the view.

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

type bookingListInput struct {
	route.PageQuery
	From          string `query:"from" format:"date" doc:"Only bookings starting on or after this date (organization's time zone)."`
	To            string `query:"to" format:"date" doc:"Only bookings starting on or before this date."`
	StaffMemberID string `query:"staff_member_id" format:"uuid" doc:"Only this staff member's bookings."`
	Status        string `query:"status" enum:"pending,confirmed,cancelled,completed,no_show"`
}

type bookingListOutput struct {
	Body route.List[bookingView]
}

type createBookingInput struct {
	route.IdempotencyKey
	Body struct {
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

func (s *API) registerBookings() {
	api := route.TenantHost
	staff := route.Member(tenant.RoleStaff)
	bk := []string{"bookings"}
	route.Operation(s.t, api, huma.Operation{OperationID: "list-bookings", Method: http.MethodGet, Path: "/api/bookings", Tags: bk,
		Summary: "List bookings", Description: "Ordered by start."}, staff, s.handleListBookings)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-booking", Method: http.MethodPost, Path: "/api/bookings", Tags: bk,
		Summary: "Book a free slot for a client",
		Description: "Pending when the service requires confirmation, else confirmed. Price, buffers and notice terms are copied onto the booking. " +
			"A time that is not a free slot, or that another booking takes first, is refused (409).",
		DefaultStatus: http.StatusCreated, Errors: []int{404, 409, 422}}, staff, s.handleCreateBooking, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-booking", Method: http.MethodGet, Path: "/api/bookings/{id}", Tags: bk,
		Summary: "Get a booking with its timeline"}, staff, getBooking(s.scheduling.FindBookingByID, bookingDetailViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "confirm-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/confirm", Tags: bk,
		Summary: "Confirm a pending booking", Errors: []int{404, 409}}, staff, changeBooking(s.scheduling.ConfirmBooking, bookingViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "reschedule-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/reschedule", Tags: bk,
		Summary: "Move a booking to another free slot of its staff member", Errors: []int{404, 409, 422}}, staff, rescheduleBooking(s.scheduling.RescheduleBooking, bookingViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "cancel-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/cancel", Tags: bk,
		Summary: "Cancel a booking", Errors: []int{404, 409}}, staff, cancelBooking(s.scheduling.CancelBooking, bookingViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "complete-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/complete", Tags: bk,
		Summary: "Mark a confirmed booking that has started as completed", Errors: []int{404, 409}}, staff, changeBooking(s.scheduling.CompleteBooking, bookingViewOf))
	route.Operation(s.t, api, huma.Operation{OperationID: "no-show-booking", Method: http.MethodPost, Path: "/api/bookings/{id}/no-show", Tags: bk,
		Summary: "Mark a confirmed booking that has started as a no-show", Errors: []int{404, 409}}, staff, changeBooking(s.scheduling.MarkNoShow, bookingViewOf))

}

// bookingFilter reads the filters common to the staff and portal lists.
func bookingFilter(from, to, status string) (scheduling.BookingFilter, error) {
	var f scheduling.BookingFilter
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

// listBookings serves a list of bookings found by find (staff's or a
// client's), seen through view.
func listBookings[V any](ctx context.Context, q route.PageQuery, f scheduling.BookingFilter,
	find func(context.Context, scheduling.BookingFilter) ([]scheduling.Booking, *scheduling.BookingKey, error), view func(scheduling.Booking) V) (route.List[V], error) {
	return route.Keyset(ctx, q, func(p keyset.Page[scheduling.BookingKey]) ([]scheduling.Booking, *scheduling.BookingKey, error) {
		f.Page = p
		return find(ctx, f)
	}, view)
}

func (s *API) handleListBookings(ctx context.Context, in *bookingListInput) (*bookingListOutput, error) {
	f, err := bookingFilter(in.From, in.To, in.Status)
	if err != nil {
		return nil, err
	}
	if f.StaffMemberID, err = optionalID(in.StaffMemberID, "staff member"); err != nil {
		return nil, err
	}
	list, err := listBookings(ctx, in.PageQuery, f, s.scheduling.FindBookings, bookingViewOf)
	return &bookingListOutput{Body: list}, err
}

func (s *API) handleCreateBooking(ctx context.Context, in *createBookingInput) (*body[bookingView], error) {
	b := in.Body
	bi, err := bookingInput(b.ServiceID, b.StaffMemberID, b.ServiceRequestID, b.StartsAt, b.Notes)
	if err != nil {
		return nil, err
	}
	if bi.ClientMemberID, err = route.ParseID(b.ClientMemberID, "client"); err != nil {
		return nil, err
	}
	bk, err := s.scheduling.CreateBooking(ctx, bi)
	return answer(bookingViewOf, bk, err)
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

// getBooking serves one booking with its timeline, found by find (staff's
// or a client's) and seen through view.
func getBooking[V any](find func(context.Context, uuid.UUID) (scheduling.BookingDetail, error), view func(scheduling.BookingDetail) V) func(context.Context, *bookingIDInput) (*body[V], error) {
	return func(ctx context.Context, in *bookingIDInput) (*body[V], error) {
		return withID(in.ID, "booking", func(id uuid.UUID) (*body[V], error) {
			b, err := find(ctx, id)
			return answer(view, b, err)
		})
	}
}

// changeBooking serves a state change of a booking that takes no input.
func changeBooking[V any](change func(context.Context, uuid.UUID) (scheduling.Booking, error), view func(scheduling.Booking) V) func(context.Context, *bookingIDInput) (*body[V], error) {
	return func(ctx context.Context, in *bookingIDInput) (*body[V], error) {
		return withID(in.ID, "booking", func(id uuid.UUID) (*body[V], error) {
			b, err := change(ctx, id)
			return answer(view, b, err)
		})
	}
}

// rescheduleBooking serves a move of a booking by move (staff's or a
// client's).
func rescheduleBooking[V any](move func(context.Context, uuid.UUID, time.Time, string) (scheduling.Booking, error), view func(scheduling.Booking) V) func(context.Context, *rescheduleInput) (*body[V], error) {
	return func(ctx context.Context, in *rescheduleInput) (*body[V], error) {
		return withID(in.ID, "booking", func(id uuid.UUID) (*body[V], error) {
			b, err := move(ctx, id, in.Body.StartsAt, in.Body.Note)
			return answer(view, b, err)
		})
	}
}

// cancelBooking serves a cancellation by cancel (staff's or a client's).
func cancelBooking[V any](cancel func(context.Context, uuid.UUID, string) (scheduling.Booking, error), view func(scheduling.Booking) V) func(context.Context, *bookingCancelInput) (*body[V], error) {
	return func(ctx context.Context, in *bookingCancelInput) (*body[V], error) {
		return withID(in.ID, "booking", func(id uuid.UUID) (*body[V], error) {
			reason := ""
			if in.Body != nil {
				reason = in.Body.Reason
			}
			b, err := cancel(ctx, id, reason)
			return answer(view, b, err)
		})
	}
}
