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

// The service requests area: the staff API under /api/service-requests,
// the client portal under /api/portal/service-requests and the public form
// at /api/public/service-requests. What each audience sees is decided by
// package requests; the views below only shape it.

type serviceRequestView struct {
	ID                string    `json:"id" format:"uuid"`
	Title             string    `json:"title"`
	Details           string    `json:"details"`
	Status            string    `json:"status" enum:"submitted,in_review,approved,scheduled,in_progress,completed,cancelled"`
	Priority          string    `json:"priority" enum:"low,normal,high,urgent"`
	DueOn             string    `json:"due_on,omitempty" format:"date"`
	Source            string    `json:"source" enum:"portal,staff,public" doc:"Where the request was made; public requests come from an unauthenticated form."`
	ClientMemberID    string    `json:"client_member_id" format:"uuid"`
	ClientName        string    `json:"client_name"`
	ServiceID         string    `json:"service_id,omitempty" format:"uuid"`
	ServiceName       string    `json:"service_name,omitempty"`
	AssignedMemberID  string    `json:"assigned_member_id,omitempty" format:"uuid"`
	AssignedName      string    `json:"assigned_name,omitempty"`
	CreatedByMemberID string    `json:"created_by_member_id,omitempty" format:"uuid" doc:"Absent for requests from the public form."`
	CreatedAt         time.Time `json:"created_at"`
	UpdatedAt         time.Time `json:"updated_at"`
}

func idString(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func dateString(d *time.Time) string {
	if d == nil {
		return ""
	}
	return d.Format(time.DateOnly)
}

func serviceRequestViewOf(r requests.Request) serviceRequestView {
	return serviceRequestView{
		ID: r.ID.String(), Title: r.Title, Details: r.Details, Status: string(r.Status), Priority: string(r.Priority),
		DueOn: dateString(r.DueOn), Source: string(r.Source), ClientMemberID: r.ClientMemberID.String(), ClientName: r.ClientName,
		ServiceID: idString(r.ServiceID), ServiceName: r.ServiceName, AssignedMemberID: idString(r.AssignedMemberID),
		AssignedName: r.AssignedName, CreatedByMemberID: idString(r.CreatedByMemberID), CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt,
	}
}

type eventView struct {
	ID            string    `json:"id" format:"uuid"`
	FromStatus    string    `json:"from_status,omitempty" doc:"Absent on the event of the submission."`
	ToStatus      string    `json:"to_status"`
	ActorMemberID string    `json:"actor_member_id,omitempty" format:"uuid"`
	ActorName     string    `json:"actor_name,omitempty"`
	Note          string    `json:"note"`
	CreatedAt     time.Time `json:"created_at"`
}

func statusString(s *requests.Status) string {
	if s == nil {
		return ""
	}
	return string(*s)
}

func eventViewOf(e requests.Event) eventView {
	return eventView{ID: e.ID.String(), FromStatus: statusString(e.From), ToStatus: string(e.To), ActorMemberID: idString(e.ActorMemberID),
		ActorName: e.ActorName, Note: e.Note, CreatedAt: e.CreatedAt}
}

// ServiceRequestQuery holds the filters of the staff list and export of
// service requests. It is exported only so that huma reads the parameters
// of the input structs that embed it.
type ServiceRequestQuery struct {
	Status           string    `query:"status" enum:"submitted,in_review,approved,scheduled,in_progress,completed,cancelled"`
	ClientMemberID   string    `query:"client_member_id" format:"uuid" doc:"Only this client's requests."`
	AssignedMemberID string    `query:"assigned_member_id" format:"uuid" doc:"Only requests assigned to this member."`
	Unassigned       bool      `query:"unassigned" doc:"Only requests nobody is assigned to."`
	ServiceID        string    `query:"service_id" format:"uuid"`
	Priority         string    `query:"priority" enum:"low,normal,high,urgent"`
	DueBefore        string    `query:"due_before" format:"date" doc:"Due strictly before this date."`
	DueAfter         string    `query:"due_after" format:"date" doc:"Due strictly after this date."`
	CreatedAfter     time.Time `query:"created_after" doc:"Created at or after this instant (RFC 3339)."`
	CreatedBefore    time.Time `query:"created_before" doc:"Created before this instant (RFC 3339)."`
	Q                string    `query:"q" maxLength:"200" doc:"Only requests whose title or client name contains this text."`
}

// filter converts the query. A malformed id cannot get past the format
// check; one that could would read like a missing one (an empty list).
func (q ServiceRequestQuery) filter() requests.RequestFilter {
	f := requests.RequestFilter{Unassigned: q.Unassigned}
	if q.Status != "" {
		st := requests.Status(q.Status)
		f.Status = &st
	}
	if q.Priority != "" {
		p := requests.Priority(q.Priority)
		f.Priority = &p
	}
	f.ClientMemberID, f.AssignedMemberID, f.ServiceID = optionalUUID(q.ClientMemberID), optionalUUID(q.AssignedMemberID), optionalUUID(q.ServiceID)
	f.DueBefore, f.DueAfter = optionalDate(q.DueBefore), optionalDate(q.DueAfter)
	if !q.CreatedAfter.IsZero() {
		f.CreatedAfter = &q.CreatedAfter
	}
	if !q.CreatedBefore.IsZero() {
		f.CreatedBefore = &q.CreatedBefore
	}
	if q.Q != "" {
		f.Query = &q.Q
	}
	return f
}

func optionalUUID(s string) *uuid.UUID {
	if s == "" {
		return nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		return &uuid.Nil
	}
	return &id
}

func optionalDate(s string) *time.Time {
	if s == "" {
		return nil
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return nil
	}
	return &d
}

type requestListInput struct {
	ServiceRequestQuery
	route.PageQuery
}

type requestListOutput struct {
	Body route.List[serviceRequestView]
}

type requestOutput struct {
	Body serviceRequestView
}

type requestIDInput struct {
	ID string `path:"id" format:"uuid" doc:"The service request's id."`
}

type subListInput struct {
	ID string `path:"id" format:"uuid" doc:"The service request's id."`
	route.PageQuery
}

type createRequestInput struct {
	route.IdempotencyKey
	Body struct {
		ClientMemberID   string `json:"client_member_id" format:"uuid" doc:"The client: a member with role client."`
		ServiceID        string `json:"service_id,omitempty" format:"uuid"`
		Title            string `json:"title" minLength:"1" maxLength:"200"`
		Details          string `json:"details,omitempty" maxLength:"20000"`
		Priority         string `json:"priority,omitempty" enum:"low,normal,high,urgent" doc:"Defaults to normal."`
		DueOn            string `json:"due_on,omitempty" format:"date"`
		AssignedMemberID string `json:"assigned_member_id,omitempty" format:"uuid" doc:"A member with role staff or above."`
	}
}

type updateRequestInput struct {
	ID   string `path:"id" format:"uuid" doc:"The service request's id."`
	Body struct {
		Title     *string  `json:"title,omitempty" minLength:"1" maxLength:"200"`
		Details   *string  `json:"details,omitempty" maxLength:"20000"`
		Priority  *string  `json:"priority,omitempty" enum:"low,normal,high,urgent"`
		DueOn     *string  `json:"due_on,omitempty" format:"date"`
		ServiceID *string  `json:"service_id,omitempty" format:"uuid"`
		Clear     []string `json:"clear,omitempty" enum:"due_on,service_id" maxItems:"2" doc:"Fields to unset."`
	}
}

type assignInput struct {
	ID   string `path:"id" format:"uuid" doc:"The service request's id."`
	Body struct {
		MemberID string `json:"member_id" format:"uuid" doc:"A live member with role staff, admin or owner."`
	}
}

type transitionInput struct {
	ID   string `path:"id" format:"uuid" doc:"The service request's id."`
	Body struct {
		To   string `json:"to" enum:"submitted,in_review,approved,scheduled,in_progress,completed,cancelled"`
		Note string `json:"note,omitempty" maxLength:"2000" doc:"Why; recorded on the timeline."`
	}
}

type nextStatusView struct {
	Status string `json:"status" enum:"submitted,in_review,approved,scheduled,in_progress,completed,cancelled"`
}

type nextStatusOutput struct {
	Body route.List[nextStatusView]
}

type eventListOutput struct {
	Body route.List[eventView]
}

const (
	publicRequestReceived  = "Thank you. To send the request, open the link we have mailed to the address you gave."
	publicRequestConfirmed = "Thank you: your request was sent. The organization will reply by email."
	requestsTag            = "service requests"
	portalRequestsTag      = "portal"
	serviceRequestNotFound = "service request"
)

// registerRequests registers the service requests area. Staff (role staff
// and above) run the workflow; deleting a request or a comment needs an
// admin, because it erases a client's record and its history, which only
// cleaning up spam or mistakes justifies.
func (s *API) registerRequests() {
	api := route.TenantHost
	staff := route.Member(tenant.RoleStaff)
	admin := route.Member(tenant.RoleAdmin)
	client := route.Member(tenant.RoleClient)
	tags := []string{requestsTag}
	route.Operation(s.t, api, huma.Operation{OperationID: "list-service-requests", Method: http.MethodGet, Path: "/api/service-requests", Tags: tags,
		Summary: "List service requests", Description: "Newest first, filtered by the query parameters."}, staff, s.handleListRequests)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-service-request", Method: http.MethodPost, Path: "/api/service-requests", Tags: tags,
		Summary: "File a request for a client", DefaultStatus: http.StatusCreated, Errors: []int{404, 422}}, staff,
		s.handleCreateRequest, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "export-service-requests", Method: http.MethodGet, Path: "/api/service-requests/export", Tags: tags,
		Summary:   "Export service requests as CSV (streamed), with the list's filters",
		Responses: map[string]*huma.Response{"200": {Description: "CSV", Content: map[string]*huma.MediaType{"text/csv": {}}}}},
		staff, s.handleExportRequests)
	route.Operation(s.t, api, huma.Operation{OperationID: "service-request-analytics", Method: http.MethodGet, Path: "/api/service-requests/analytics", Tags: tags,
		Summary: "Requests by status, service and month", Description: "Counts the requests created over a range of days in the organization's time zone."},
		staff, s.handleRequestAnalytics)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-service-request", Method: http.MethodGet, Path: "/api/service-requests/{id}", Tags: tags,
		Summary: "Get a service request"}, staff, s.handleGetRequest)
	route.Operation(s.t, api, huma.Operation{OperationID: "update-service-request", Method: http.MethodPatch, Path: "/api/service-requests/{id}", Tags: tags,
		Summary: "Change a request's title, details, priority, due date or service", Errors: []int{404, 422}}, staff, s.handleUpdateRequest)
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-service-request", Method: http.MethodDelete, Path: "/api/service-requests/{id}", Tags: tags,
		Summary: "Delete a request with its timeline and comments", DefaultStatus: http.StatusNoContent, Errors: []int{404, 409},
		Description: "Admins only: it erases a client's record. A request with bookings or expenses cannot be deleted (409): cancel it."},
		admin, deleteByID(serviceRequestNotFound, s.requests.DeleteRequest))
	route.Operation(s.t, api, huma.Operation{OperationID: "assign-service-request", Method: http.MethodPut, Path: "/api/service-requests/{id}/assignee", Tags: tags,
		Summary: "Assign a request to a staff member", Errors: []int{404, 422}}, staff, s.handleAssignRequest)
	route.Operation(s.t, api, huma.Operation{OperationID: "unassign-service-request", Method: http.MethodDelete, Path: "/api/service-requests/{id}/assignee", Tags: tags,
		Summary: "Leave a request unassigned", Errors: []int{404}}, staff, s.handleUnassignRequest)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-service-request-transitions", Method: http.MethodGet, Path: "/api/service-requests/{id}/transitions", Tags: tags,
		Summary: "The statuses a request may move to now"}, staff, s.handleNextStatuses)
	route.Operation(s.t, api, huma.Operation{OperationID: "transition-service-request", Method: http.MethodPost, Path: "/api/service-requests/{id}/transitions", Tags: tags,
		Summary: "Move a request to another status", Errors: []int{404, 409, 422},
		Description: "Allowed: submitted → in_review → approved → scheduled → in_progress → completed (and the shortcuts the workflow table lists), " +
			"and cancelled from any status before completed. Another move is 409. Recorded on the timeline."}, staff, s.handleTransition)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-service-request-events", Method: http.MethodGet, Path: "/api/service-requests/{id}/events", Tags: tags,
		Summary: "A request's timeline, oldest first"}, staff, s.handleListEvents)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-service-request-comments", Method: http.MethodGet, Path: "/api/service-requests/{id}/comments", Tags: tags,
		Summary: "A request's comments, client-visible and internal, oldest first"}, staff, s.handleListComments)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-service-request-comment", Method: http.MethodPost, Path: "/api/service-requests/{id}/comments", Tags: tags,
		Summary: "Comment on a request, for the client or for staff only", DefaultStatus: http.StatusCreated, Errors: []int{404, 422}}, staff,
		s.handleCreateComment, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "delete-service-request-comment", Method: http.MethodDelete, Path: "/api/service-requests/{id}/comments/{comment_id}", Tags: tags,
		Summary: "Delete a comment", DefaultStatus: http.StatusNoContent, Errors: []int{404},
		Description: "Admins only: it rewrites the conversation of a client's request."}, admin, s.handleDeleteComment)

	portal := []string{portalRequestsTag}
	route.Operation(s.t, api, huma.Operation{OperationID: "list-my-service-requests", Method: http.MethodGet, Path: "/api/portal/service-requests", Tags: portal,
		Summary: "My service requests", Description: "Newest first."}, client, s.handleListMyRequests)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-my-service-request", Method: http.MethodPost, Path: "/api/portal/service-requests", Tags: portal,
		Summary: "Request a service", DefaultStatus: http.StatusCreated, Errors: []int{422}}, client,
		s.handleCreateMyRequest, route.Idempotent)
	route.Operation(s.t, api, huma.Operation{OperationID: "get-my-service-request", Method: http.MethodGet, Path: "/api/portal/service-requests/{id}", Tags: portal,
		Summary: "One of my service requests"}, client, s.handleGetMyRequest)
	route.Operation(s.t, api, huma.Operation{OperationID: "cancel-my-service-request", Method: http.MethodPost, Path: "/api/portal/service-requests/{id}/cancel", Tags: portal,
		Summary: "Cancel one of my requests", Errors: []int{404, 409},
		Description: "Only while it is submitted, in review or approved; later, ask the organization (409)."}, client, s.handleCancelMyRequest)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-my-service-request-events", Method: http.MethodGet, Path: "/api/portal/service-requests/{id}/events", Tags: portal,
		Summary: "The status history of one of my requests"}, client, s.handleListMyEvents)
	route.Operation(s.t, api, huma.Operation{OperationID: "list-my-service-request-comments", Method: http.MethodGet, Path: "/api/portal/service-requests/{id}/comments", Tags: portal,
		Summary: "The conversation on one of my requests"}, client, s.handleListMyComments)
	route.Operation(s.t, api, huma.Operation{OperationID: "create-my-service-request-comment", Method: http.MethodPost, Path: "/api/portal/service-requests/{id}/comments", Tags: portal,
		Summary: "Write to the organization about one of my requests", DefaultStatus: http.StatusCreated, Errors: []int{404, 422}}, client,
		s.handleCreateMyComment, route.Idempotent)

	route.Operation(s.t, api, huma.Operation{OperationID: "submit-public-service-request", Method: http.MethodPost, Path: "/api/public/service-requests", Tags: []string{"public"},
		Summary: "Request a service without signing in", DefaultStatus: http.StatusAccepted, Errors: []int{422, 429},
		Description: "Mails the address a link that confirms the request; until it is opened the request names no account. " +
			"The answer is the same whatever the address. Rate-limited per client address, per email and per organization (429 with Retry-After)."},
		route.Public, s.handlePublicRequest)
	route.Operation(s.t, api, huma.Operation{OperationID: "confirm-public-service-request", Method: http.MethodPost, Path: "/api/public/service-requests/confirm", Tags: []string{"public"},
		Summary: "Confirm a public request with the token of its mailed link", Errors: []int{422},
		Description: "Files the request for the address the link was mailed to, which becomes a client of the organization if new."},
		route.Public, s.handleConfirmPublicRequest)
}

// withRequest parses the path id of a service request and runs fn with it.
func withRequest[O any](raw string, fn func(uuid.UUID) (O, error)) (O, error) {
	return withID(raw, serviceRequestNotFound, fn)
}

// subList serves a list of one request's events or comments: its cursors
// are bound to the request too.
func subList[T, V any](ctx context.Context, in *subListInput,
	find func(context.Context, uuid.UUID, requests.Page) ([]T, *requests.Key, error), view func(T) V) (route.List[V], error) {
	return withRequest(in.ID, func(id uuid.UUID) (route.List[V], error) {
		return route.KeysetUnder(ctx, id.String(), in.PageQuery, func(p requests.Page) ([]T, *requests.Key, error) {
			return find(ctx, id, p)
		}, view)
	})
}

func (s *API) handleListRequests(ctx context.Context, in *requestListInput) (*requestListOutput, error) {
	f := in.filter()
	list, err := route.Keyset(ctx, in.PageQuery, func(p requests.Page) ([]requests.Request, *requests.Key, error) {
		f.Page = p
		return s.requests.FindRequests(ctx, f)
	}, serviceRequestViewOf)
	return &requestListOutput{Body: list}, err
}

func (s *API) handleCreateRequest(ctx context.Context, in *createRequestInput) (*requestOutput, error) {
	b := in.Body
	return withID(b.ClientMemberID, "client", func(client uuid.UUID) (*requestOutput, error) {
		r, err := s.requests.CreateRequest(ctx, requests.RequestInput{
			ClientMemberID: client, ServiceID: optionalUUID(b.ServiceID), Title: b.Title, Details: b.Details,
			Priority: requests.Priority(b.Priority), DueOn: optionalDate(b.DueOn), AssignedMemberID: optionalUUID(b.AssignedMemberID),
		})
		return &requestOutput{Body: serviceRequestViewOf(r)}, err
	})
}

func (s *API) handleGetRequest(ctx context.Context, in *requestIDInput) (*requestOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*requestOutput, error) {
		r, err := s.requests.FindRequestByID(ctx, id)
		return &requestOutput{Body: serviceRequestViewOf(r)}, err
	})
}

func (s *API) handleUpdateRequest(ctx context.Context, in *updateRequestInput) (*requestOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*requestOutput, error) {
		b := in.Body
		u := requests.RequestUpdate{Title: b.Title, Details: b.Details, Priority: (*requests.Priority)(b.Priority)}
		if b.DueOn != nil {
			u.DueOn = optionalDate(*b.DueOn)
		}
		if b.ServiceID != nil {
			u.ServiceID = optionalUUID(*b.ServiceID)
		}
		for _, c := range b.Clear {
			u.ClearDueOn = u.ClearDueOn || c == "due_on"
			u.ClearService = u.ClearService || c == "service_id"
		}
		r, err := s.requests.UpdateRequest(ctx, id, u)
		return &requestOutput{Body: serviceRequestViewOf(r)}, err
	})
}

func (s *API) handleAssignRequest(ctx context.Context, in *assignInput) (*requestOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*requestOutput, error) {
		return withID(in.Body.MemberID, "member", func(member uuid.UUID) (*requestOutput, error) {
			r, err := s.requests.AssignRequest(ctx, id, &member)
			return &requestOutput{Body: serviceRequestViewOf(r)}, err
		})
	})
}

func (s *API) handleUnassignRequest(ctx context.Context, in *requestIDInput) (*requestOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*requestOutput, error) {
		r, err := s.requests.UnassignRequest(ctx, id)
		return &requestOutput{Body: serviceRequestViewOf(r)}, err
	})
}

func (s *API) handleNextStatuses(ctx context.Context, in *requestIDInput) (*nextStatusOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*nextStatusOutput, error) {
		next, err := s.requests.NextStatuses(ctx, id)
		return &nextStatusOutput{Body: listOf(next, func(st requests.Status) nextStatusView { return nextStatusView{Status: string(st)} })}, err
	})
}

func (s *API) handleTransition(ctx context.Context, in *transitionInput) (*requestOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*requestOutput, error) {
		r, err := s.requests.TransitionRequest(ctx, id, requests.Status(in.Body.To), in.Body.Note)
		return &requestOutput{Body: serviceRequestViewOf(r)}, err
	})
}

func (s *API) handleListEvents(ctx context.Context, in *subListInput) (*eventListOutput, error) {
	list, err := subList(ctx, in, s.requests.FindEvents, eventViewOf)
	return &eventListOutput{Body: list}, err
}
