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

// Availability and free slots, for staff under /api/availability and
// /api/services/{id}/slots (and the portal's slots, portal.go). See package
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
	route.PageQuery
	StaffMemberID string `query:"staff_member_id" format:"uuid" doc:"Only this staff member's hours."`
}

type ruleListOutput struct {
	Body route.List[ruleView]
}

type createRuleInput struct {
	route.IdempotencyKey
	Body struct {
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
	route.PageQuery
	StaffMemberID string `query:"staff_member_id" format:"uuid" doc:"Only this staff member's exceptions."`
	From          string `query:"from" format:"date" doc:"Only on or after this date."`
	To            string `query:"to" format:"date" doc:"Only on or before this date."`
}

type exceptionListOutput struct {
	Body route.List[exceptionView]
}

type createExceptionInput struct {
	route.IdempotencyKey
	Body struct {
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
	route.PageQuery
}

type slotsOutput struct {
	Body route.List[slotView]
}

// slotsDoc describes the free slots, staff's and the portal's.
const slotsDoc = "Free start times for the service from the weekly hours and exceptions (organization's time zone, on the slot interval), " +
	"less existing bookings widened by their buffers and the buffer a new booking keeps, within the lead time and the maximum advance. " +
	"Ordered by start, then staff member."

func (s *API) registerAvailability() {
	api := route.TenantHost
	staff := route.Member(tenant.RoleStaff)
	avail := []string{"availability"}
	hours := "Staff manage their own; someone else's needs an admin (403). The staff member must be a live staff member of the organization (404)."
	route.Operation(s.t, api, huma.Operation{OperationID: "list-availability-rules", Method: http.MethodGet, Path: "/api/availability/rules", Tags: avail,
		Summary: "List weekly hours", Description: "Ordered by staff member, weekday and start."}, staff, s.handleListRules)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-availability-rule", Method: http.MethodPost, Path: "/api/availability/rules", Tags: avail,
		Summary: "Add weekly hours", Description: hours + " Hours that overlap the member's other hours on that weekday are refused (409).",
		DefaultStatus: http.StatusCreated, Errors: []int{403, 404, 409, 422}}, staff,
		s.handleCreateRule, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-availability-rule", Method: http.MethodGet, Path: "/api/availability/rules/{id}", Tags: avail,
		Summary: "Get weekly hours"}, staff, s.handleGetRule)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-availability-rule", Method: http.MethodPatch, Path: "/api/availability/rules/{id}", Tags: avail,
		Summary: "Change weekly hours", Description: hours, Errors: []int{403, 404, 409, 422}}, staff, s.handleUpdateRule)
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-availability-rule", Method: http.MethodDelete, Path: "/api/availability/rules/{id}", Tags: avail,
		Summary: "Remove weekly hours", Description: hours + " Existing bookings stay.", DefaultStatus: http.StatusNoContent, Errors: []int{403, 404}},
		staff, deleteByID("availability rule", s.scheduling.DeleteRule))
	route.Operation(s.t, api, huma.Operation{OperationID: "list-availability-exceptions", Method: http.MethodGet, Path: "/api/availability/exceptions", Tags: avail,
		Summary: "List date exceptions", Description: "Ordered by date."}, staff, s.handleListExceptions)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-availability-exception", Method: http.MethodPost, Path: "/api/availability/exceptions", Tags: avail,
		Summary: "Add a date exception: a day off, time off, or extra hours", Description: hours,
		DefaultStatus: http.StatusCreated, Errors: []int{403, 404, 422}}, staff,
		s.handleCreateException, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-availability-exception", Method: http.MethodGet, Path: "/api/availability/exceptions/{id}", Tags: avail,
		Summary: "Get a date exception"}, staff, s.handleGetException)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-availability-exception", Method: http.MethodPatch, Path: "/api/availability/exceptions/{id}", Tags: avail,
		Summary: "Change a date exception", Description: hours, Errors: []int{403, 404, 422}}, staff, s.handleUpdateException)
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-availability-exception", Method: http.MethodDelete, Path: "/api/availability/exceptions/{id}", Tags: avail,
		Summary: "Remove a date exception", Description: hours, DefaultStatus: http.StatusNoContent, Errors: []int{403, 404}}, staff, deleteByID("availability exception", s.scheduling.DeleteException))
	route.Operation(s.t, api, huma.Operation{OperationID: "list-service-slots", Method: http.MethodGet, Path: "/api/services/{id}/slots", Tags: avail,
		Summary: "List free slots of a service", Description: slotsDoc, Errors: []int{404, 409, 422}}, staff, s.handleSlots(s.scheduling.FindSlots))

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

// requiredDate parses a date that must be given.
func requiredDate(v, field string) (scheduling.Date, error) {
	d, err := optionalCivilDate(v, field)
	if err == nil && d == nil {
		err = &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid date", Fields: map[string]string{field: "a date such as 2026-03-08"}}
	}
	if err != nil {
		return scheduling.Date{}, err
	}
	return *d, nil
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

func (s *API) handleListRules(ctx context.Context, in *ruleListInput) (*ruleListOutput, error) {
	member, err := optionalID(in.StaffMemberID, "staff member")
	if err != nil {
		return nil, err
	}
	list, err := route.Keyset(ctx, in.PageQuery, func(p keyset.Page[scheduling.RuleKey]) ([]scheduling.Rule, *scheduling.RuleKey, error) {
		return s.scheduling.FindRules(ctx, scheduling.RuleFilter{MemberID: member, Page: p})
	}, ruleViewOf)
	return &ruleListOutput{Body: list}, err
}

func (s *API) handleCreateRule(ctx context.Context, in *createRuleInput) (*ruleOutput, error) {
	member, err := memberOrSelf(ctx, in.Body.StaffMemberID)
	if err != nil {
		return nil, err
	}
	start, err := parseClock(in.Body.StartTime, "body.start_time")
	if err != nil {
		return nil, err
	}
	end, err := parseClock(in.Body.EndTime, "body.end_time")
	if err != nil {
		return nil, err
	}
	r, err := s.scheduling.CreateRule(ctx, scheduling.RuleInput{MemberID: member, Weekday: in.Body.Weekday, Start: start, End: end})
	return &ruleOutput{Body: ruleViewOf(r)}, err
}

func (s *API) handleGetRule(ctx context.Context, in *idPath) (*ruleOutput, error) {
	return withID(in.ID, "availability rule", func(id uuid.UUID) (*ruleOutput, error) {
		r, err := s.scheduling.FindRuleByID(ctx, id)
		return &ruleOutput{Body: ruleViewOf(r)}, err
	})
}

func (s *API) handleUpdateRule(ctx context.Context, in *updateRuleInput) (*ruleOutput, error) {
	return withID(in.ID, "availability rule", func(id uuid.UUID) (*ruleOutput, error) {
		u := scheduling.RuleUpdate{Weekday: in.Body.Weekday}
		var err error
		if u.Start, err = optionalClock(in.Body.StartTime, "body.start_time"); err != nil {
			return nil, err
		}
		if u.End, err = optionalClock(in.Body.EndTime, "body.end_time"); err != nil {
			return nil, err
		}
		r, err := s.scheduling.UpdateRule(ctx, id, u)
		return &ruleOutput{Body: ruleViewOf(r)}, err
	})
}

func (s *API) handleListExceptions(ctx context.Context, in *exceptionListInput) (*exceptionListOutput, error) {
	var f scheduling.ExceptionFilter
	var err error
	if f.MemberID, err = optionalID(in.StaffMemberID, "staff member"); err != nil {
		return nil, err
	}
	if f.From, err = optionalCivilDate(in.From, "query.from"); err != nil {
		return nil, err
	}
	if f.To, err = optionalCivilDate(in.To, "query.to"); err != nil {
		return nil, err
	}
	list, err := route.Keyset(ctx, in.PageQuery, func(p keyset.Page[scheduling.ExceptionKey]) ([]scheduling.Exception, *scheduling.ExceptionKey, error) {
		f.Page = p
		return s.scheduling.FindExceptions(ctx, f)
	}, exceptionViewOf)
	return &exceptionListOutput{Body: list}, err
}

func (s *API) handleCreateException(ctx context.Context, in *createExceptionInput) (*exceptionOutput, error) {
	b := in.Body
	member, err := memberOrSelf(ctx, b.StaffMemberID)
	if err != nil {
		return nil, err
	}
	d, err := requiredDate(b.Date, "body.date")
	if err != nil {
		return nil, err
	}
	ei := scheduling.ExceptionInput{MemberID: member, Date: d, Kind: scheduling.ExceptionKind(b.Kind), Note: b.Note}
	if ei.Start, err = optionalClock(&b.StartTime, "body.start_time"); err != nil {
		return nil, err
	}
	if ei.End, err = optionalClock(&b.EndTime, "body.end_time"); err != nil {
		return nil, err
	}
	e, err := s.scheduling.CreateException(ctx, ei)
	return &exceptionOutput{Body: exceptionViewOf(e)}, err
}

func (s *API) handleGetException(ctx context.Context, in *idPath) (*exceptionOutput, error) {
	return withID(in.ID, "availability exception", func(id uuid.UUID) (*exceptionOutput, error) {
		e, err := s.scheduling.FindExceptionByID(ctx, id)
		return &exceptionOutput{Body: exceptionViewOf(e)}, err
	})
}

func (s *API) handleUpdateException(ctx context.Context, in *updateExceptionInput) (*exceptionOutput, error) {
	return withID(in.ID, "availability exception", func(id uuid.UUID) (*exceptionOutput, error) {
		b := in.Body
		u := scheduling.ExceptionUpdate{Note: b.Note}
		var err error
		if b.Date != nil {
			if u.Date, err = optionalCivilDate(*b.Date, "body.date"); err != nil {
				return nil, err
			}
		}
		if b.Kind != nil {
			k := scheduling.ExceptionKind(*b.Kind)
			u.Kind = &k
		}
		if u.Start, err = optionalClock(b.StartTime, "body.start_time"); err != nil {
			return nil, err
		}
		if u.End, err = optionalClock(b.EndTime, "body.end_time"); err != nil {
			return nil, err
		}
		e, err := s.scheduling.UpdateException(ctx, id, u)
		return &exceptionOutput{Body: exceptionViewOf(e)}, err
	})
}

// handleSlots lists free slots with find: staff's, or (the portal's) a
// client's.
func (s *API) handleSlots(find func(context.Context, scheduling.SlotQuery) (scheduling.SlotPage, error)) func(context.Context, *slotsInput) (*slotsOutput, error) {
	return func(ctx context.Context, in *slotsInput) (*slotsOutput, error) {
		return withID(in.ID, "service", func(id uuid.UUID) (*slotsOutput, error) {
			q := scheduling.SlotQuery{ServiceID: id}
			var err error
			if q.StaffMemberID, err = optionalID(in.StaffMemberID, "staff member"); err != nil {
				return nil, err
			}
			if q.From, err = requiredDate(in.From, "query.from"); err != nil {
				return nil, err
			}
			q.To = q.From.AddDays(6)
			if to, err := optionalCivilDate(in.To, "query.to"); err != nil {
				return nil, err
			} else if to != nil {
				q.To = *to
			}
			var zones scheduling.SlotPage
			list, err := route.Keyset(ctx, in.PageQuery, func(p keyset.Page[scheduling.SlotKey]) ([]scheduling.FreeSlot, *scheduling.SlotKey, error) {
				q.Page = p
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
			return &slotsOutput{Body: list}, err
		})
	}
}
