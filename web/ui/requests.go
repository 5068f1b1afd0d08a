package ui

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// The service requests pages: a board by status and a filtered list, a
// request with its timeline, comments, transitions and assignment, filing
// a request for a client, and the analytics.

func (s *UI) registerRequestPages(page registrar, staff, admin route.Policy) {
	page(http.MethodGet, "/app/requests", staff, s.pageRequests, query(append([]string{"view", "q", "status", "assignee", "service"}, paged...)...))
	page(http.MethodGet, "/app/requests/new", staff, s.pageNewRequest)
	page(http.MethodPost, "/app/requests", staff, s.pageCreateRequest, fields("client_member_id", "service_id", "title", "details", "priority", "due_on", "assigned_member_id"))
	page(http.MethodGet, "/app/requests/analytics", staff, s.pageRequestAnalytics, query("from", "to"))
	page(http.MethodGet, "/app/requests/{service_request_id}", staff, s.pageRequest)
	page(http.MethodPost, "/app/requests/{service_request_id}", staff, s.pageUpdateRequest, fields("title", "details", "priority", "due_on", "service_id"))
	page(http.MethodPost, "/app/requests/{service_request_id}/transition", staff, s.pageTransitionRequest, fields("to", "note"))
	page(http.MethodPost, "/app/requests/{service_request_id}/assign", staff, s.pageAssignRequest, fields("assigned_member_id"))
	page(http.MethodPost, "/app/requests/{service_request_id}/comments", staff, s.pageAddComment, fields("body", "visibility"))
	page(http.MethodGet, "/app/requests/{service_request_id}/delete", admin, s.pageConfirmDeleteRequest)
	page(http.MethodPost, "/app/requests/{service_request_id}/delete", admin, s.pageDeleteRequest, fields())
	page(http.MethodGet, "/app/requests/{service_request_id}/comments/{comment_id}/delete", admin, s.pageConfirmDeleteComment)
	page(http.MethodPost, "/app/requests/{service_request_id}/comments/{comment_id}/delete", admin, s.pageDeleteComment, fields())
}

// choices are the members and services a request form offers.
type choices struct {
	Staff, Clients []members.Member
	Services       []catalog.Service
}

// choicesOf reads the staff, the clients and the offered services (the
// first hundred of each).
func (s *UI) choicesOf(r *http.Request) (choices, error) {
	var c choices
	ms, _, err := s.members.List(r.Context(), members.Filter{Page: keyset.Page[members.Key]{Limit: keyset.MaxLimit}})
	if err != nil {
		return c, err
	}
	for _, m := range ms {
		if m.Role == tenant.RoleClient {
			c.Clients = append(c.Clients, m)
		} else {
			c.Staff = append(c.Staff, m)
		}
	}
	c.Services, _, err = s.catalog.FindServices(r.Context(), catalog.ServiceFilter{Page: keyset.Page[catalog.ServiceKey]{Limit: keyset.MaxLimit}})
	return c, err
}

// requestsPage is the board or the list of requests.
type requestsPage struct {
	Board   bool
	Columns []requestColumn
	Items   []requests.Request
	Pager   pager
	Filter  requestFilter
	Choices choices
}

type requestColumn struct {
	Status requests.Status
	Items  []requests.Request
}

// requestFilter is the filter form's state.
type requestFilter struct {
	Status, Assignee, Service, Q string
}

// Any reports whether a filter is set.
func (f requestFilter) Any() bool { return f != requestFilter{} }

func (s *UI) pageRequests(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.workspace(w, r, "/app/requests", "Requests")
	if !ok {
		return
	}
	q := r.URL.Query()
	p := requestsPage{Board: q.Get("view") != "list",
		Filter: requestFilter{Status: q.Get("status"), Assignee: q.Get("assignee"), Service: q.Get("service"), Q: strings.TrimSpace(q.Get("q"))}}
	if p.Filter.Any() {
		p.Board = false
	}
	f := requests.RequestFilter{}
	if st := requests.Status(p.Filter.Status); st.Valid() {
		f.Status = &st
	}
	switch p.Filter.Assignee {
	case "":
	case "none":
		f.Unassigned = true
	default:
		// A malformed or foreign id finds nothing, like a missing one.
		id, _ := uuid.Parse(p.Filter.Assignee)
		f.AssignedMemberID = &id
	}
	if p.Filter.Service != "" {
		id, _ := uuid.Parse(p.Filter.Service)
		f.ServiceID = &id
	}
	if p.Filter.Q != "" {
		f.Query = &p.Filter.Q
	}
	pq := pageQuery(r)
	if p.Board {
		// The board shows the newest hundred requests by status.
		pq = route.PageQuery{Limit: keyset.MaxLimit}
	}
	list, err := route.Keyset(r.Context(), pq, func(pg requests.Page) ([]requests.Request, *requests.Key, error) {
		f.Page = pg
		return s.requests.FindRequests(r.Context(), f)
	}, func(x requests.Request) requests.Request { return x })
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	if p.Choices, err = s.choicesOf(r); err != nil {
		s.writePageError(w, r, err)
		return
	}
	if p.Board {
		for _, st := range requests.Statuses {
			col := requestColumn{Status: st}
			for _, it := range list.Items {
				if it.Status == st {
					col.Items = append(col.Items, it)
				}
			}
			p.Columns = append(p.Columns, col)
		}
	} else {
		p.Items = list.Items
		p.Pager = pagerOf(r, list.NextCursor)
	}
	v.Page = p
	s.render(w, r, http.StatusOK, "app_requests", v)
}

// requestPage is one request with its timeline.
type requestPage struct {
	Request  requests.Request
	Next     []requests.Status
	Timeline []timelineEntry
	Choices  choices
	Priority []requests.Priority
}

// timelineEntry is an event or a comment of a request, in time order.
type timelineEntry struct {
	At      time.Time
	Event   *requests.Event
	Comment *requests.Comment
}

// newRequestPage is the form to file a request for a client.
type newRequestPage struct {
	Choices  choices
	Priority []requests.Priority
}

var priorities = []requests.Priority{requests.PriorityLow, requests.PriorityNormal, requests.PriorityHigh, requests.PriorityUrgent}

func (s *UI) pageNewRequest(w http.ResponseWriter, r *http.Request) {
	s.renderNewRequest(w, r, &form{Errors: map[string]string{}, Values: map[string][]string{"priority": {"normal"}}}, nil)
}

func (s *UI) renderNewRequest(w http.ResponseWriter, r *http.Request, f *form, failure error) {
	v, _, ok := s.workspace(w, r, "/app/requests", "New request")
	if !ok {
		return
	}
	c, err := s.choicesOf(r)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	v.Form = f
	if failure != nil {
		v.Error = f.fail(failure)
	}
	v.Page = newRequestPage{Choices: c, Priority: priorities}
	s.render(w, r, statusOf(failure, http.StatusOK), "app_request_new", v)
}

// optionalID reads an optional id field: empty is none; a malformed one
// names nothing that exists (not found).
func optionalID(s string) *uuid.UUID {
	if s == "" {
		return nil
	}
	id, err := uuid.Parse(s)
	if err != nil {
		id = uuid.Nil
	}
	return &id
}

// optionalDay reads an optional date field (2006-01-02) as midnight UTC.
func optionalDay(f *form, name string) (*time.Time, bool) {
	s := strings.TrimSpace(f.Get(name))
	if s == "" {
		return nil, true
	}
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		f.Errors[name] = "a date such as 2027-01-31"
		return nil, false
	}
	return &d, true
}

func (s *UI) pageCreateRequest(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	due, ok := optionalDay(f, "due_on")
	client := optionalID(f.Get("client_member_id"))
	if client == nil {
		f.Errors["client_member_id"], ok = "choose the client", false
	}
	if !ok {
		s.renderNewRequest(w, r, f, &tenant.Error{Code: tenant.CodeInvalid, Message: "some fields need attention"})
		return
	}
	req, err := s.requests.CreateRequest(r.Context(), requests.RequestInput{
		ClientMemberID: *client, ServiceID: optionalID(f.Get("service_id")), Title: f.Get("title"), Details: f.Get("details"),
		Priority: requests.Priority(f.Get("priority")), DueOn: due, AssignedMemberID: optionalID(f.Get("assigned_member_id")),
	})
	if err != nil {
		s.renderNewRequest(w, r, f, err)
		return
	}
	s.done(w, r, "/app/requests/"+req.ID.String(), "Request filed for "+req.ClientName+".")
}

func (s *UI) pageRequest(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_request_id", "service request", func(id uuid.UUID) {
		req, err := s.requests.FindRequestByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		s.renderRequest(w, r, req, nil, nil)
	})
}

// renderRequest shows request req; f and failure are the edit form after
// a failed change.
func (s *UI) renderRequest(w http.ResponseWriter, r *http.Request, req requests.Request, f *form, failure error) {
	v, _, ok := s.workspace(w, r, "/app/requests", req.Title)
	if !ok {
		return
	}
	p := requestPage{Request: req, Priority: priorities}
	var err error
	if p.Next, err = s.requests.NextStatuses(r.Context(), req.ID); err != nil {
		s.writePageError(w, r, err)
		return
	}
	// The timeline's newest hundred events and comments.
	events, _, err := s.requests.FindEvents(r.Context(), req.ID, requests.Page{Limit: keyset.MaxLimit})
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	comments, _, err := s.requests.FindComments(r.Context(), req.ID, requests.Page{Limit: keyset.MaxLimit})
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	for i := range events {
		p.Timeline = append(p.Timeline, timelineEntry{At: events[i].CreatedAt, Event: &events[i]})
	}
	for i := range comments {
		p.Timeline = append(p.Timeline, timelineEntry{At: comments[i].CreatedAt, Comment: &comments[i]})
	}
	slices.SortStableFunc(p.Timeline, func(a, b timelineEntry) int { return a.At.Compare(b.At) })
	if p.Choices, err = s.choicesOf(r); err != nil {
		s.writePageError(w, r, err)
		return
	}
	if f == nil {
		f = &form{Errors: map[string]string{}, Values: map[string][]string{
			"title": {req.Title}, "details": {req.Details}, "priority": {string(req.Priority)}, "visibility": {"client"},
		}}
		if req.DueOn != nil {
			f.Values.Set("due_on", req.DueOn.Format(time.DateOnly))
		}
		if req.ServiceID != nil {
			f.Values.Set("service_id", req.ServiceID.String())
		}
	}
	v.Form = f
	if failure != nil {
		v.Error = f.fail(failure)
	}
	v.Page = p
	s.render(w, r, statusOf(failure, http.StatusOK), "app_request", v)
}

// changeRequest runs change on the request of r's path; on failure the
// request's page is shown again with the form and the error.
func (s *UI) changeRequest(w http.ResponseWriter, r *http.Request, change func(uuid.UUID, *form) (string, error)) {
	s.withID(w, r, "service_request_id", "service request", func(id uuid.UUID) {
		f := newForm(r)
		msg, err := change(id, f)
		if err == nil {
			s.done(w, r, "/app/requests/"+id.String(), msg)
			return
		}
		req, ferr := s.requests.FindRequestByID(r.Context(), id)
		if ferr != nil {
			s.writePageError(w, r, ferr)
			return
		}
		s.renderRequest(w, r, req, f, err)
	})
}

func (s *UI) pageUpdateRequest(w http.ResponseWriter, r *http.Request) {
	s.changeRequest(w, r, func(id uuid.UUID, f *form) (string, error) {
		title, details, prio := f.Get("title"), f.Get("details"), requests.Priority(f.Get("priority"))
		u := requests.RequestUpdate{Title: &title, Details: &details, Priority: &prio}
		due, ok := optionalDay(f, "due_on")
		if !ok {
			return "", &tenant.Error{Code: tenant.CodeInvalid, Message: "some fields need attention"}
		}
		u.DueOn, u.ClearDueOn = due, due == nil
		if svc := optionalID(f.Get("service_id")); svc != nil {
			u.ServiceID = svc
		} else {
			u.ClearService = true
		}
		_, err := s.requests.UpdateRequest(r.Context(), id, u)
		return "Saved.", err
	})
}

func (s *UI) pageTransitionRequest(w http.ResponseWriter, r *http.Request) {
	s.changeRequest(w, r, func(id uuid.UUID, f *form) (string, error) {
		to := requests.Status(f.Get("to"))
		req, err := s.requests.TransitionRequest(r.Context(), id, to, f.Get("note"))
		return "Moved to “" + label(req.Status) + "”.", err
	})
}

func (s *UI) pageAssignRequest(w http.ResponseWriter, r *http.Request) {
	s.changeRequest(w, r, func(id uuid.UUID, f *form) (string, error) {
		assignee := optionalID(f.Get("assigned_member_id"))
		var req requests.Request
		var err error
		if assignee == nil {
			req, err = s.requests.UnassignRequest(r.Context(), id)
			return "Nobody is assigned now.", err
		}
		req, err = s.requests.AssignRequest(r.Context(), id, assignee)
		return "Assigned to " + req.AssignedName + ".", err
	})
}

func (s *UI) pageAddComment(w http.ResponseWriter, r *http.Request) {
	s.changeRequest(w, r, func(id uuid.UUID, f *form) (string, error) {
		vis := requests.Visibility(f.Get("visibility"))
		_, err := s.requests.AddComment(r.Context(), id, f.Get("body"), vis)
		if vis == requests.VisibilityInternal {
			return "Internal note added: the client does not see it.", err
		}
		return "Comment added: the client sees it.", err
	})
}

func (s *UI) pageConfirmDeleteRequest(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_request_id", "service request", func(id uuid.UUID) {
		req, err := s.requests.FindRequestByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/requests", "Delete request")
		if !ok {
			return
		}
		s.confirm(w, r, v, confirmation{
			Question: "Delete “" + req.Title + "”?",
			Detail:   "The request, its comments and its history are deleted for good, for the client too. Cancel it instead if it only should not go ahead.",
			Action:   "/app/requests/" + id.String() + "/delete", Button: "Delete the request", Back: "/app/requests/" + id.String(),
		})
	})
}

func (s *UI) pageDeleteRequest(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_request_id", "service request", func(id uuid.UUID) {
		if err := s.requests.DeleteRequest(r.Context(), id); err != nil {
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/requests", "Request deleted.")
	})
}

func (s *UI) pageConfirmDeleteComment(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_request_id", "service request", func(id uuid.UUID) {
		comment, err := route.ParseID(r.PathValue("comment_id"), "comment")
		if err == nil {
			_, err = s.requests.FindComment(r.Context(), id, comment)
		}
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/requests", "Delete comment")
		if !ok {
			return
		}
		back := "/app/requests/" + id.String()
		s.confirm(w, r, v, confirmation{
			Question: "Delete this comment?", Detail: "It is deleted for good, for the client too if they could see it.",
			Action: back + "/comments/" + comment.String() + "/delete", Button: "Delete the comment", Back: back,
		})
	})
}

func (s *UI) pageDeleteComment(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_request_id", "service request", func(id uuid.UUID) {
		comment, err := route.ParseID(r.PathValue("comment_id"), "comment")
		if err == nil {
			err = s.requests.DeleteComment(r.Context(), id, comment)
		}
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/requests/"+id.String(), "Comment deleted.")
	})
}

// analyticsPage is the analytics with the chart's geometry.
type analyticsPage struct {
	requests.Analytics
	Bars          []bar
	Width, Height int
	Max           int64
	From, To      string
}

// bar is one month of the chart.
type bar struct {
	X, Y, W, H int
	Month      string
	Count      int64
}

func (s *UI) pageRequestAnalytics(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.workspace(w, r, "/app/requests", "Request analytics")
	if !ok {
		return
	}
	f := &form{Errors: map[string]string{}, Values: r.URL.Query()}
	from, ok1 := optionalDay(f, "from")
	to, ok2 := optionalDay(f, "to")
	if !ok1 || !ok2 {
		v.Form, v.Error = f, "Some dates need attention."
		v.Page = analyticsPage{}
		s.render(w, r, http.StatusUnprocessableEntity, "app_analytics", v)
		return
	}
	a, err := s.requests.RequestAnalytics(r.Context(), from, to)
	if err != nil {
		v.Form, v.Error = f, f.fail(err)
		v.Page = analyticsPage{}
		s.render(w, r, route.StatusOf(err), "app_analytics", v)
		return
	}
	p := analyticsPage{Analytics: a, Width: 640, Height: 200, From: a.From.Format(time.DateOnly), To: a.To.Format(time.DateOnly)}
	for _, m := range a.ByMonth {
		p.Max = max(p.Max, m.Count)
	}
	if n := len(a.ByMonth); n > 0 {
		slot := p.Width / n
		for i, m := range a.ByMonth {
			h := 0
			if p.Max > 0 {
				h = int(m.Count * int64(p.Height-20) / p.Max)
			}
			p.Bars = append(p.Bars, bar{X: i*slot + 2, Y: p.Height - h, W: max(slot-4, 1), H: h, Month: m.Month, Count: m.Count})
		}
	}
	v.Form = &form{Errors: map[string]string{}, Values: map[string][]string{"from": {p.From}, "to": {p.To}}}
	v.Page = p
	s.render(w, r, http.StatusOK, "app_analytics", v)
}
