package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// Recurring service requests: rules that repeat a request weekly or
// monthly, and a preview of their next dates.

type recurrenceView struct {
	ID               string    `json:"id" format:"uuid"`
	ServiceRequestID string    `json:"service_request_id" format:"uuid" doc:"The request each occurrence copies."`
	Frequency        string    `json:"frequency" enum:"weekly,monthly"`
	Every            int       `json:"every" doc:"Repeats every this many weeks or months."`
	StartsOn         string    `json:"starts_on" format:"date"`
	UntilOn          string    `json:"until_on,omitempty" format:"date"`
	Count            *int      `json:"count,omitempty" doc:"At most this many occurrences, counted from starts_on."`
	CreatedAt        time.Time `json:"created_at"`
}

func recurrenceViewOf(r requests.Rule) recurrenceView {
	return recurrenceView{ID: r.ID.String(), ServiceRequestID: r.ServiceRequestID.String(), Frequency: string(r.Frequency), Every: r.Every,
		StartsOn: r.StartsOn.Format(time.DateOnly), UntilOn: dateString(r.UntilOn), Count: r.MaxCount, CreatedAt: r.CreatedAt}
}

type occurrenceView struct {
	Date  string    `json:"date" format:"date"`
	DueAt time.Time `json:"due_at" doc:"The start of date in the organization's time zone: when the occurrence's request is made."`
}

func occurrenceViewOf(o requests.Occurrence) occurrenceView {
	return occurrenceView{Date: o.Date.Format(time.DateOnly), DueAt: o.DueAt}
}

type recurrenceListOutput struct {
	Body route.List[recurrenceView]
}

type recurrenceListInput struct {
	route.PageQuery
}

type createRecurrenceInput struct {
	route.IdempotencyKey
	Body struct {
		ServiceRequestID string `json:"service_request_id" format:"uuid" doc:"The request to repeat: each occurrence is a copy of it (client, service, title, details, priority), due on its date."`
		Frequency        string `json:"frequency" enum:"weekly,monthly"`
		Every            int    `json:"every" minimum:"1" maximum:"52" doc:"Every this many weeks or months."`
		StartsOn         string `json:"starts_on" format:"date" doc:"The first date; today or later in the organization's time zone. A monthly rule on the 29th to 31st falls on the last day of shorter months."`
		UntilOn          string `json:"until_on,omitempty" format:"date" doc:"The last date it may fall on."`
		Count            int    `json:"count,omitempty" minimum:"1" maximum:"1000" doc:"At most this many occurrences."`
	}
}

type recurrenceIDInput struct {
	ID string `path:"id" format:"uuid" doc:"The recurring rule's id."`
}

type updateRecurrenceInput struct {
	ID   string `path:"id" format:"uuid" doc:"The recurring rule's id."`
	Body struct {
		Frequency string `json:"frequency" enum:"weekly,monthly"`
		Every     int    `json:"every" minimum:"1" maximum:"52" doc:"Every this many weeks or months."`
		StartsOn  string `json:"starts_on" format:"date" doc:"The first date. A new frequency, interval or first date starts today or later in the organization's time zone."`
		UntilOn   string `json:"until_on,omitempty" format:"date" doc:"The last date it may fall on; absent: none."`
		Count     int    `json:"count,omitempty" minimum:"1" maximum:"1000" doc:"At most this many occurrences, counted from starts_on; absent: no limit."`
	}
}

type previewInput struct {
	ID    string `path:"id" format:"uuid" doc:"The recurring rule's id."`
	Count int    `query:"count" minimum:"1" maximum:"50" default:"5" doc:"How many dates."`
	From  string `query:"from" format:"date" doc:"The first day to list dates from, in the organization's time zone. Default: today."`
}

type previewOutput struct {
	Body route.List[occurrenceView]
}

const recurringTag = "recurring service requests"

func (s *API) registerRecurrence() {
	api := route.TenantHost
	staff := route.Member(tenant.RoleStaff)
	tags := []string{recurringTag}
	route.Operation(s.t, api, huma.Operation{OperationID: "list-recurring-rules", Method: http.MethodGet, Path: "/api/recurring-rules", Tags: tags,
		Summary: "List the recurring rules", Description: "Newest first."}, staff, s.handleListRecurrences)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-recurring-rule", Method: http.MethodPost, Path: "/api/recurring-rules", Tags: tags,
		Summary: "Repeat a service request weekly or monthly", DefaultStatus: http.StatusCreated, Errors: []int{404, 422},
		Description: "Each date's request is made on that date in the organization's time zone, once, by the recurrence job."},
		staff, s.handleCreateRecurrence, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "preview-recurring-rule", Method: http.MethodGet, Path: "/api/recurring-rules/{id}/preview", Tags: tags,
		Summary: "The next dates of a recurring rule", Description: "From today (or from) in the organization's time zone.", Errors: []int{404, 422}},
		staff, s.handlePreviewRecurrence)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-recurring-rule", Method: http.MethodGet, Path: "/api/recurring-rules/{id}", Tags: tags,
		Summary: "Get a recurring rule", Errors: []int{404}}, staff, s.handleGetRecurrence)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-recurring-rule", Method: http.MethodPut, Path: "/api/recurring-rules/{id}", Tags: tags,
		Summary: "Change a recurring rule's schedule", Errors: []int{404, 422},
		Description: "Replaces the schedule (the request it repeats stays). The dates it made are never made again, and a change never makes " +
			"a date before today due: a rule keeping a past starts_on may not reach a past date its old end had cut off."},
		staff, s.handleUpdateRecurrence)
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-recurring-rule", Method: http.MethodDelete, Path: "/api/recurring-rules/{id}", Tags: tags,
		Summary: "Stop a recurring rule", DefaultStatus: http.StatusNoContent, Errors: []int{404},
		Description: "No occurrence is made from then on; the requests it made stay."},
		staff, deleteByID("recurring rule", s.requests.DeleteRule))
}

func (s *API) handleListRecurrences(ctx context.Context, in *recurrenceListInput) (*recurrenceListOutput, error) {
	list, err := route.Keyset(ctx, in.PageQuery, func(p requests.Page) ([]requests.Rule, *requests.Key, error) {
		return s.requests.FindRules(ctx, p)
	}, recurrenceViewOf)
	return &recurrenceListOutput{Body: list}, err
}

func (s *API) handleCreateRecurrence(ctx context.Context, in *createRecurrenceInput) (*body[recurrenceView], error) {
	b := in.Body
	return withRequest(b.ServiceRequestID, func(id uuid.UUID) (*body[recurrenceView], error) {
		starts, _ := time.Parse(time.DateOnly, b.StartsOn)
		ri := requests.RuleInput{ServiceRequestID: id, Frequency: requests.Frequency(b.Frequency), Every: b.Every,
			StartsOn: starts, UntilOn: optionalDate(b.UntilOn)}
		if b.Count != 0 {
			ri.MaxCount = &b.Count
		}
		r, err := s.requests.CreateRule(ctx, ri)
		return answer(recurrenceViewOf, r, err)
	})
}

func (s *API) handlePreviewRecurrence(ctx context.Context, in *previewInput) (*previewOutput, error) {
	return withID(in.ID, "recurring rule", func(id uuid.UUID) (*previewOutput, error) {
		var from time.Time
		if in.From != "" {
			from, _ = time.Parse(time.DateOnly, in.From) // checked by the schema
		}
		os, err := s.requests.PreviewRule(ctx, id, from, in.Count)
		if err != nil {
			return nil, err
		}
		return &previewOutput{Body: listOf(os, occurrenceViewOf)}, nil
	})
}

func (s *API) handleGetRecurrence(ctx context.Context, in *recurrenceIDInput) (*body[recurrenceView], error) {
	return withID(in.ID, "recurring rule", func(id uuid.UUID) (*body[recurrenceView], error) {
		r, err := s.requests.FindRuleByID(ctx, id)
		return answer(recurrenceViewOf, r, err)
	})
}

func (s *API) handleUpdateRecurrence(ctx context.Context, in *updateRecurrenceInput) (*body[recurrenceView], error) {
	return withID(in.ID, "recurring rule", func(id uuid.UUID) (*body[recurrenceView], error) {
		b := in.Body
		starts, _ := time.Parse(time.DateOnly, b.StartsOn) // checked by the schema
		u := requests.RuleUpdate{Frequency: requests.Frequency(b.Frequency), Every: b.Every, StartsOn: starts, UntilOn: optionalDate(b.UntilOn)}
		if b.Count != 0 {
			u.MaxCount = &b.Count
		}
		r, err := s.requests.UpdateRule(ctx, id, u)
		return answer(recurrenceViewOf, r, err)
	})
}
