package web_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgtest"
)

// sreq is a service request as the staff API shows it.
type sreq struct {
	ID                string `json:"id"`
	Title             string `json:"title"`
	Details           string `json:"details"`
	Status            string `json:"status"`
	Priority          string `json:"priority"`
	DueOn             string `json:"due_on"`
	Source            string `json:"source"`
	ClientMemberID    string `json:"client_member_id"`
	ClientName        string `json:"client_name"`
	ServiceID         string `json:"service_id"`
	ServiceName       string `json:"service_name"`
	AssignedMemberID  string `json:"assigned_member_id"`
	AssignedName      string `json:"assigned_name"`
	CreatedByMemberID string `json:"created_by_member_id"`
}

type sreqPage struct {
	Items      []sreq `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// event and comment are items of a request's timeline and conversation,
// as staff or the portal show them.
type event struct {
	ID        string `json:"id"`
	From      string `json:"from_status"`
	To        string `json:"to_status"`
	ActorName string `json:"actor_name"`
	Note      string `json:"note"`
}

type comment struct {
	ID         string `json:"id"`
	AuthorName string `json:"author_name"`
	Body       string `json:"body"`
	Visibility string `json:"visibility"`
	Mine       bool   `json:"mine"`
}

type list[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor"`
}

func (e *env) memberID(slug, key string) string {
	return e.seeded[slug].Members[key].ID.String()
}

// get reads path as s on host and decodes a 200 answer into v.
func (e *env) get(host, path string, s *session, v any) response {
	e.t.Helper()
	r := e.do(req{method: "GET", host: host, path: path, sess: s})
	expectStatus(e.t, r, 200)
	r.json(e.t, v)
	return r
}

func (e *env) requests(host string, s *session, query string) sreqPage {
	e.t.Helper()
	var p sreqPage
	e.get(host, "/api/service-requests"+query, s, &p)
	return p
}

// requestTitled returns the request of host with title.
func (e *env) requestTitled(host string, s *session, title string) sreq {
	e.t.Helper()
	for _, r := range e.requests(host, s, "?limit=100").Items {
		if r.Title == title {
			return r
		}
	}
	e.t.Fatalf("no request %q on %s", title, host)
	return sreq{}
}

// create files a request as s and returns it.
func (e *env) create(host, path string, s *session, body any) sreq {
	e.t.Helper()
	r := e.do(req{method: "POST", host: host, path: path, sess: s, body: body})
	expectStatus(e.t, r, 201)
	var out sreq
	r.json(e.t, &out)
	return out
}

func (e *env) staffRequest(s *session, body map[string]any) sreq {
	e.t.Helper()
	if body["client_member_id"] == nil {
		body["client_member_id"] = e.memberID("acme", "client")
	}
	return e.create("acme", "/api/service-requests", s, body)
}

func (e *env) move(host, id string, s *session, to string) response {
	e.t.Helper()
	return e.do(req{method: "POST", host: host, path: "/api/service-requests/" + id + "/transitions", sess: s, body: map[string]string{"to": to}})
}

// admin is a superuser connection to the test database: it sees every
// tenant's rows, to prove what was (not) stored, and sets what the app
// cannot (creation times).
func (e *env) admin() *pgx.Conn { return pgtest.Connect(e.t, e.db.AdminURL) }

func count(t testing.TB, conn *pgx.Conn, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

// sameRefusal fails unless a and b are the same problem, status and body.
func sameRefusal(t testing.TB, a, b response, status int) {
	t.Helper()
	expectStatus(t, a, status)
	expectStatus(t, b, status)
	if !reflect.DeepEqual(a.problemBody(t), b.problemBody(t)) {
		t.Fatalf("bodies differ:\n%s\n%s", a.Body, b.Body)
	}
}

func TestServiceRequestLifecycle(t *testing.T) {
	e := newEnv(t)
	staff := e.login("acme", "staff@acme.test")
	owner := e.login("acme", "owner@acme.test")
	svc := e.services("acme", staff, "").Items[0]
	created := e.staffRequest(staff, map[string]any{"title": "  Acme payroll question ", "details": "Acme details",
		"priority": "high", "due_on": "2030-05-01", "service_id": svc.ID})
	want := sreq{ID: created.ID, Title: "Acme payroll question", Details: "Acme details", Status: "submitted", Priority: "high",
		DueOn: "2030-05-01", Source: "staff", ClientMemberID: e.memberID("acme", "client"), ClientName: "Acme Client Carla",
		ServiceID: svc.ID, ServiceName: svc.Name, CreatedByMemberID: e.memberID("acme", "staff")}
	if created != want {
		t.Fatalf("created %+v\nwant    %+v", created, want)
	}
	path := "/api/service-requests/" + created.ID
	var got sreq
	e.get("acme", path, staff, &got)
	if got != want {
		t.Fatalf("read back %+v", got)
	}

	t.Run("Update", func(t *testing.T) {
		r := e.do(req{method: "PATCH", host: "acme", path: path, sess: staff, body: map[string]any{"title": "Acme payroll", "priority": "urgent", "clear": []string{"due_on"}}})
		expectStatus(t, r, 200)
		got = sreq{}
		r.json(t, &got)
		if got.Title != "Acme payroll" || got.Priority != "urgent" || got.DueOn != "" || got.ServiceID != svc.ID || got.Details != "Acme details" {
			t.Fatalf("after update: %+v", got)
		}
		expectStatus(t, e.do(req{method: "PATCH", host: "acme", path: path, sess: staff, body: map[string]any{"due_on": "2030-06-01", "clear": []string{"due_on"}}}), 422)
		expectStatus(t, e.do(req{method: "PATCH", host: "acme", path: path, sess: staff, body: map[string]any{"clear": []string{"title"}}}), 422)
		got = sreq{}
		e.do(req{method: "PATCH", host: "acme", path: path, sess: staff, body: map[string]any{"clear": []string{"service_id"}, "due_on": "2030-06-01"}}).json(t, &got)
		if got.ServiceID != "" || got.ServiceName != "" || got.DueOn != "2030-06-01" {
			t.Fatalf("after clearing the service: %+v", got)
		}
	})
	t.Run("Assign", func(t *testing.T) {
		consultant := e.memberID("acme", "consultant")
		r := e.do(req{method: "PUT", host: "acme", path: path + "/assignee", sess: staff, body: map[string]string{"member_id": consultant}})
		expectStatus(t, r, 200)
		got = sreq{}
		r.json(t, &got)
		if got.AssignedMemberID != consultant || got.AssignedName != "Acme Consultant Chris" {
			t.Fatalf("assigned: %+v", got)
		}
		if p := e.requests("acme", staff, "?assigned_member_id="+consultant); len(p.Items) != 1 || p.Items[0].ID != created.ID {
			t.Fatalf("filter by assignee: %+v", p.Items)
		}
		r = e.do(req{method: "PUT", host: "acme", path: path + "/assignee", sess: staff, body: map[string]string{"member_id": e.memberID("acme", "client")}})
		expectStatus(t, r, 422) // a client is no assignee
		r = e.do(req{method: "DELETE", host: "acme", path: path + "/assignee", sess: staff})
		expectStatus(t, r, 200)
		got = sreq{}
		r.json(t, &got)
		if got.AssignedMemberID != "" || got.AssignedName != "" {
			t.Fatalf("unassigned: %+v", got)
		}
		for _, it := range e.requests("acme", staff, "?unassigned=true").Items {
			if it.AssignedMemberID != "" {
				t.Fatalf("unassigned filter: %+v", it)
			}
		}
	})
	t.Run("Workflow", func(t *testing.T) {
		var next list[struct{ Status string }]
		e.get("acme", path+"/transitions", staff, &next)
		if fmt.Sprint(next.Items) != "[{in_review} {approved} {cancelled}]" {
			t.Fatalf("next statuses from submitted: %v", next.Items)
		}
		expectStatus(t, e.move("acme", created.ID, staff, "completed"), 409)
		expectStatus(t, e.move("acme", created.ID, staff, "paused"), 422)
		e.get("acme", path, staff, &got)
		if got.Status != "submitted" {
			t.Fatalf("a refused move changed the status to %s", got.Status)
		}
		r := e.do(req{method: "POST", host: "acme", path: path + "/transitions", sess: staff, body: map[string]string{"to": "in_review", "note": "Acme looking"}})
		expectStatus(t, r, 200)
		for _, st := range []string{"approved", "scheduled", "in_progress", "completed"} {
			r := e.move("acme", created.ID, owner, st)
			expectStatus(t, r, 200)
			got = sreq{}
			r.json(t, &got)
			if got.Status != st {
				t.Fatalf("moved to %s, reads %s", st, got.Status)
			}
		}
		e.get("acme", path+"/transitions", staff, &next)
		if len(next.Items) != 0 {
			t.Fatalf("next statuses of a completed request: %v", next.Items)
		}
		expectStatus(t, e.move("acme", created.ID, owner, "cancelled"), 409)
		var events list[event]
		e.get("acme", path+"/events", staff, &events)
		wantEvents := []event{
			{To: "submitted", ActorName: "Acme Staff Sam"},
			{From: "submitted", To: "in_review", ActorName: "Acme Staff Sam", Note: "Acme looking"},
			{From: "in_review", To: "approved", ActorName: "Acme Owner Olivia"},
			{From: "approved", To: "scheduled", ActorName: "Acme Owner Olivia"},
			{From: "scheduled", To: "in_progress", ActorName: "Acme Owner Olivia"},
			{From: "in_progress", To: "completed", ActorName: "Acme Owner Olivia"},
		}
		for i := range events.Items {
			events.Items[i].ID = ""
		}
		if !reflect.DeepEqual(events.Items, wantEvents) {
			t.Fatalf("timeline:\n%+v\nwant\n%+v", events.Items, wantEvents)
		}
	})
	t.Run("Comments", func(t *testing.T) {
		for _, c := range []map[string]string{{"body": "Acme internal", "visibility": "internal"}, {"body": "Acme for the client", "visibility": "client"}} {
			expectStatus(t, e.do(req{method: "POST", host: "acme", path: path + "/comments", sess: staff, body: c}), 201)
		}
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: path + "/comments", sess: staff, body: map[string]string{"body": "no visibility"}}), 422)
		var cs list[comment]
		e.get("acme", path+"/comments", staff, &cs)
		if len(cs.Items) != 2 || cs.Items[0].Visibility != "internal" || cs.Items[1].Visibility != "client" || cs.Items[0].AuthorName != "Acme Staff Sam" {
			t.Fatalf("comments: %+v", cs.Items)
		}
		del := path + "/comments/" + cs.Items[0].ID
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: del, sess: staff}), 403)
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: del, sess: owner}), 204)
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: del, sess: owner}), 404)
		e.get("acme", path+"/comments", staff, &cs)
		if len(cs.Items) != 1 {
			t.Fatalf("after delete: %+v", cs.Items)
		}
	})
	t.Run("Delete", func(t *testing.T) {
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: path, sess: staff}), 403)
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: path, sess: owner}), 204)
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: path, sess: owner}), 404)
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: path + "/events", sess: owner}), 404)
		booked := e.requestTitled("acme", owner, "Acme quarterly filing help") // the demo booked it
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/service-requests/" + booked.ID, sess: owner}), 409)
	})
	t.Run("ClientMustBeAClientOfThisTenant", func(t *testing.T) {
		r := e.do(req{method: "POST", host: "acme", path: "/api/service-requests", sess: staff,
			body: map[string]any{"client_member_id": e.memberID("acme", "staff"), "title": "Acme for staff"}})
		expectStatus(t, r, 404)
	})
}

// Another tenant's request, comment, client, staff member or service, named
// in the path, the body or the query of any operation, reads exactly like a
// missing one, and nothing of globex's changes: read back as globex.
func TestServiceRequestsOfAnotherTenantAreNotFound(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	client := e.login("acme", "client@acme.test")
	gOwner := e.login("globex", "owner@globex.test")
	foreign := e.requestTitled("globex", gOwner, "Globex quarterly filing help")
	var gComments list[comment]
	e.get("globex", "/api/service-requests/"+foreign.ID+"/comments", gOwner, &gComments)
	globexState := func() string {
		var b strings.Builder
		for _, p := range []string{"", "/events", "/comments", "/transitions"} {
			b.Write(e.do(req{method: "GET", host: "globex", path: "/api/service-requests/" + foreign.ID + p, sess: gOwner}).Body)
		}
		b.Write(e.do(req{method: "GET", host: "globex", path: "/api/service-requests?limit=100", sess: gOwner}).Body)
		return b.String()
	}
	before := globexState()
	own := e.requestTitled("acme", owner, "Acme new ledger setup")
	ownBefore := e.do(req{method: "GET", host: "acme", path: "/api/service-requests/" + own.ID, sess: owner}).Body
	conn := e.admin()
	acmeID := e.seeded["acme"].TenantID
	countAcme := func() int {
		return count(t, conn, "SELECT (SELECT count(*) FROM service_requests WHERE tenant_id = $1) + (SELECT count(*) FROM service_request_comments WHERE tenant_id = $1)", acmeID)
	}
	acmeBefore := countAcme()

	type op struct {
		method, suffix string
		body           any
	}
	probe := func(t *testing.T, s *session, base string, ops []op) {
		for _, o := range ops {
			t.Run(o.method+o.suffix, func(t *testing.T) {
				sameRefusal(t,
					e.do(req{method: o.method, host: "acme", path: base + foreign.ID + o.suffix, sess: s, body: o.body}),
					e.do(req{method: o.method, host: "acme", path: base + missingID + o.suffix, sess: s, body: o.body}), 404)
			})
		}
	}
	t.Run("StaffPath", func(t *testing.T) {
		probe(t, owner, "/api/service-requests/", []op{
			{"GET", "", nil},
			{"PATCH", "", map[string]any{"title": "Hijacked"}},
			{"DELETE", "", nil},
			{"PUT", "/assignee", map[string]string{"member_id": e.memberID("acme", "staff")}},
			{"DELETE", "/assignee", nil},
			{"GET", "/transitions", nil},
			{"POST", "/transitions", map[string]string{"to": "cancelled"}},
			{"GET", "/events", nil},
			{"GET", "/comments", nil},
			{"POST", "/comments", map[string]string{"body": "Hijack", "visibility": "client"}},
			{"DELETE", "/comments/" + gComments.Items[0].ID, nil},
		})
	})
	t.Run("PortalPath", func(t *testing.T) {
		probe(t, client, "/api/portal/service-requests/", []op{
			{"GET", "", nil},
			{"POST", "/cancel", map[string]string{"note": "Hijack"}},
			{"GET", "/events", nil},
			{"GET", "/comments", nil},
			{"POST", "/comments", map[string]string{"body": "Hijack"}},
		})
	})
	t.Run("Body", func(t *testing.T) {
		gServices := e.services("globex", gOwner, "").Items
		for _, tc := range []struct {
			name, method, path, field string
			body                      map[string]any
		}{
			{"CreateForClient", "POST", "/api/service-requests", "client_member_id", map[string]any{"title": "Acme x"}},
			{"CreateWithService", "POST", "/api/service-requests", "service_id", map[string]any{"title": "Acme x", "client_member_id": e.memberID("acme", "client")}},
			{"CreateWithAssignee", "POST", "/api/service-requests", "assigned_member_id", map[string]any{"title": "Acme x", "client_member_id": e.memberID("acme", "client")}},
			{"UpdateService", "PATCH", "/api/service-requests/" + own.ID, "service_id", map[string]any{}},
			{"Assign", "PUT", "/api/service-requests/" + own.ID + "/assignee", "member_id", map[string]any{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				foreignID := map[string]string{"client_member_id": e.memberID("globex", "client"), "service_id": gServices[0].ID,
					"assigned_member_id": e.memberID("globex", "staff"), "member_id": e.memberID("globex", "staff")}[tc.field]
				with := func(id string) map[string]any {
					b := map[string]any{tc.field: id}
					for k, v := range tc.body {
						b[k] = v
					}
					return b
				}
				sameRefusal(t,
					e.do(req{method: tc.method, host: "acme", path: tc.path, sess: owner, body: with(foreignID)}),
					e.do(req{method: tc.method, host: "acme", path: tc.path, sess: owner, body: with(missingID)}), 404)
			})
		}
		t.Run("DeleteForeignComment", func(t *testing.T) {
			base := "/api/service-requests/" + own.ID + "/comments/"
			sameRefusal(t,
				e.do(req{method: "DELETE", host: "acme", path: base + gComments.Items[0].ID, sess: owner}),
				e.do(req{method: "DELETE", host: "acme", path: base + missingID, sess: owner}), 404)
		})
	})
	t.Run("Query", func(t *testing.T) {
		for _, q := range []struct{ name, foreign string }{
			{"client_member_id", e.memberID("globex", "client")},
			{"assigned_member_id", e.memberID("globex", "staff")},
			{"service_id", foreign.ServiceID},
		} {
			a := e.do(req{method: "GET", host: "acme", path: "/api/service-requests?" + q.name + "=" + q.foreign, sess: owner})
			b := e.do(req{method: "GET", host: "acme", path: "/api/service-requests?" + q.name + "=" + missingID, sess: owner})
			expectStatus(t, a, 200)
			if string(a.Body) != string(b.Body) || strings.TrimSpace(string(a.Body)) != `{"items":[]}` {
				t.Fatalf("?%s: a foreign id reads %s, a missing one %s", q.name, a.Body, b.Body)
			}
		}
	})
	if after := globexState(); after != before {
		t.Fatalf("globex's request changed:\n%s\n%s", before, after)
	}
	if ownAfter := e.do(req{method: "GET", host: "acme", path: "/api/service-requests/" + own.ID, sess: owner}).Body; string(ownAfter) != string(ownBefore) {
		t.Fatalf("acme's request changed by a refused call:\n%s\n%s", ownBefore, ownAfter)
	}
	if n := countAcme(); n != acmeBefore {
		t.Fatalf("refused calls stored rows in acme: %d then %d", acmeBefore, n)
	}
}

// A role below an operation's minimum is 403, no sign-in is 401, and the
// refused calls change nothing.
func TestServiceRequestRoles(t *testing.T) {
	e := newEnv(t)
	client := e.login("acme", "client@acme.test")
	staff := e.login("acme", "staff@acme.test")
	target := e.requestTitled("acme", staff, "Acme quarterly filing help")
	var cs list[comment]
	e.get("acme", "/api/service-requests/"+target.ID+"/comments", staff, &cs)
	p := "/api/service-requests/" + target.ID
	state := func() string {
		var b strings.Builder
		for _, s := range []string{"", "/events", "/comments"} {
			b.Write(e.do(req{method: "GET", host: "acme", path: p + s, sess: staff}).Body)
		}
		b.Write(e.do(req{method: "GET", host: "acme", path: "/api/service-requests?limit=100", sess: staff}).Body)
		return b.String()
	}
	before := state()
	type op struct {
		method, path string
		body         any
	}
	staffOps := []op{
		{"GET", "/api/service-requests", nil},
		{"POST", "/api/service-requests", map[string]any{"client_member_id": e.memberID("acme", "client"), "title": "Acme x"}},
		{"GET", "/api/service-requests/export", nil},
		{"GET", "/api/service-requests/analytics", nil},
		{"GET", p, nil},
		{"PATCH", p, map[string]any{"title": "Acme x"}},
		{"PUT", p + "/assignee", map[string]string{"member_id": e.memberID("acme", "staff")}},
		{"DELETE", p + "/assignee", nil},
		{"GET", p + "/transitions", nil},
		{"POST", p + "/transitions", map[string]string{"to": "approved"}},
		{"GET", p + "/events", nil},
		{"GET", p + "/comments", nil},
		{"POST", p + "/comments", map[string]string{"body": "x", "visibility": "client"}},
	}
	adminOps := []op{
		{"DELETE", p, nil},
		{"DELETE", p + "/comments/" + cs.Items[0].ID, nil},
	}
	portalOps := []op{
		{"GET", "/api/portal/service-requests", nil},
		{"POST", "/api/portal/service-requests", map[string]string{"title": "Acme x"}},
		{"GET", "/api/portal/service-requests/" + target.ID, nil},
		{"POST", "/api/portal/service-requests/" + target.ID + "/cancel", nil},
		{"GET", "/api/portal/service-requests/" + target.ID + "/events", nil},
		{"GET", "/api/portal/service-requests/" + target.ID + "/comments", nil},
		{"POST", "/api/portal/service-requests/" + target.ID + "/comments", map[string]string{"body": "x"}},
	}
	for _, o := range append(staffOps, adminOps...) {
		t.Run("Client"+o.method+o.path, func(t *testing.T) {
			expectStatus(t, e.do(req{method: o.method, host: "acme", path: o.path, sess: client, body: o.body}), 403)
		})
	}
	for _, o := range adminOps {
		t.Run("Staff"+o.method+o.path, func(t *testing.T) {
			expectStatus(t, e.do(req{method: o.method, host: "acme", path: o.path, sess: staff, body: o.body}), 403)
		})
	}
	for _, o := range append(append(staffOps, adminOps...), portalOps...) {
		t.Run("Anonymous"+o.method+o.path, func(t *testing.T) {
			expectStatus(t, e.do(req{method: o.method, host: "acme", path: o.path, body: o.body}), 401)
		})
	}
	if after := state(); after != before {
		t.Fatalf("refused calls changed the request:\n%s\n%s", before, after)
	}
}

// newClient invites email as a client of acme and returns its session.
func (e *env) newClient(email, name string) *session {
	e.t.Helper()
	owner := e.login("acme", "owner@acme.test")
	r := e.do(req{method: "POST", host: "acme", path: "/api/members/invitations", sess: owner,
		body: map[string]string{"email": email, "role": "client", "display_name": name}})
	expectStatus(e.t, r, 201)
	r = e.do(req{method: "POST", host: "acme", path: "/api/invitations/accept", body: map[string]string{"token": e.linkToken(email), "password": "a long new password"}})
	expectStatus(e.t, r, 200)
	var s session
	r.json(e.t, &s)
	return &s
}

func TestPortalServiceRequests(t *testing.T) {
	e := newEnv(t)
	client := e.login("acme", "client@acme.test")
	staff := e.login("acme", "staff@acme.test")
	r := e.do(req{method: "GET", host: "acme", path: "/api/portal/service-requests", sess: client})
	expectStatus(t, r, 200)
	var mine list[sreq]
	r.json(t, &mine)
	if len(mine.Items) != 2 || !strings.HasPrefix(mine.Items[0].Title, "Acme") {
		t.Fatalf("my requests: %s", r.Body)
	}
	for _, hidden := range []string{"priority", "assigned", "due_on", "source", "client_member_id", "created_by", "Globex"} {
		if strings.Contains(string(r.Body), hidden) {
			t.Fatalf("the portal shows %q: %s", hidden, r.Body)
		}
	}
	portal := "/api/portal/service-requests/"

	t.Run("Create", func(t *testing.T) {
		got := e.create("acme", "/api/portal/service-requests", client, map[string]string{"title": "Acme my tax", "details": "Acme please", "service_slug": "tax-review"})
		if got.Status != "submitted" || got.ServiceName != "Acme Tax Review" || got.Priority != "" {
			t.Fatalf("created: %+v", got)
		}
		var asStaff sreq
		e.get("acme", "/api/service-requests/"+got.ID, staff, &asStaff)
		if asStaff.Source != "portal" || asStaff.CreatedByMemberID != e.memberID("acme", "client") || asStaff.ClientMemberID != asStaff.CreatedByMemberID || asStaff.Priority != "normal" {
			t.Fatalf("as staff see it: %+v", asStaff)
		}
		owner := e.login("acme", "owner@acme.test")
		svc := e.services("acme", owner, "?q=Strategy").Items[0]
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/services/bulk/deactivate", sess: owner, body: map[string]any{"ids": []string{svc.ID}}}), 200)
		for _, slug := range []string{"strategy-session", "no-such-service"} {
			r := e.do(req{method: "POST", host: "acme", path: "/api/portal/service-requests", sess: client, body: map[string]string{"title": "Acme x", "service_slug": slug}})
			expectStatus(t, r, 422)
			if !strings.Contains(string(r.Body), `"location":"body.service_slug"`) {
				t.Fatalf("refusal: %s", r.Body)
			}
		}
	})
	t.Run("CommentVisibility", func(t *testing.T) {
		seeded := e.requestTitled("acme", staff, "Acme quarterly filing help")
		var cs list[comment]
		r := e.get("acme", portal+seeded.ID+"/comments", client, &cs)
		if len(cs.Items) != 1 || cs.Items[0].Body != "Acme client: the documents are attached." || !cs.Items[0].Mine {
			t.Fatalf("client sees: %s", r.Body)
		}
		if strings.Contains(string(r.Body), "internal") || strings.Contains(string(r.Body), "staff note") || strings.Contains(string(r.Body), "author_member_id") {
			t.Fatalf("internal detail in the portal: %s", r.Body)
		}
		post := e.do(req{method: "POST", host: "acme", path: portal + seeded.ID + "/comments", sess: client, body: map[string]string{"body": "Acme client again"}})
		expectStatus(t, post, 201)
		var c comment
		post.json(t, &c)
		if !c.Mine || c.AuthorName != "Acme Client Carla" {
			t.Fatalf("posted: %s", post.Body)
		}
		// A client cannot choose the visibility: the field is unknown.
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: portal + seeded.ID + "/comments", sess: client, body: map[string]string{"body": "x", "visibility": "internal"}}), 422)
		for _, v := range []string{"internal", "client"} {
			expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + seeded.ID + "/comments", sess: staff,
				body: map[string]string{"body": "Acme staff " + v, "visibility": v}}), 201)
		}
		var all list[comment]
		e.get("acme", "/api/service-requests/"+seeded.ID+"/comments", staff, &all)
		if len(all.Items) != 5 || all.Items[2].Visibility != "client" || all.Items[2].Body != "Acme client again" {
			t.Fatalf("staff see: %+v", all.Items)
		}
		cs = list[comment]{}
		e.get("acme", portal+seeded.ID+"/comments", client, &cs)
		if len(cs.Items) != 3 || cs.Items[2].Body != "Acme staff client" || cs.Items[2].Mine || cs.Items[2].AuthorName != "Acme Staff Sam" {
			t.Fatalf("client sees: %+v", cs.Items)
		}
	})
	t.Run("EventsWithoutInternals", func(t *testing.T) {
		seeded := e.requestTitled("acme", staff, "Acme quarterly filing help")
		var es list[event]
		r := e.get("acme", portal+seeded.ID+"/events", client, &es)
		if len(es.Items) != 2 || es.Items[1].From != "submitted" || es.Items[1].To != "in_review" {
			t.Fatalf("events: %s", r.Body)
		}
		if strings.Contains(string(r.Body), "picked up") || strings.Contains(string(r.Body), "actor") || strings.Contains(string(r.Body), "note") {
			t.Fatalf("internal detail in the portal's events: %s", r.Body)
		}
	})
	t.Run("Cancel", func(t *testing.T) {
		got := e.create("acme", "/api/portal/service-requests", client, map[string]string{"title": "Acme to cancel"})
		r := e.do(req{method: "POST", host: "acme", path: portal + got.ID + "/cancel", sess: client, body: map[string]string{"note": "Acme changed my mind"}})
		expectStatus(t, r, 200)
		var c sreq
		r.json(t, &c)
		if c.Status != "cancelled" {
			t.Fatalf("cancelled: %s", r.Body)
		}
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: portal + got.ID + "/cancel", sess: client}), 409)
		var es list[event]
		e.get("acme", "/api/service-requests/"+got.ID+"/events", staff, &es)
		if len(es.Items) != 2 || es.Items[1].To != "cancelled" || es.Items[1].Note != "Acme changed my mind" || es.Items[1].ActorName != "Acme Client Carla" {
			t.Fatalf("staff see the cancellation as %+v", es.Items)
		}
		planned := e.create("acme", "/api/portal/service-requests", client, map[string]string{"title": "Acme planned"})
		for _, st := range []string{"approved", "scheduled"} {
			expectStatus(t, e.move("acme", planned.ID, staff, st), 200)
		}
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: portal + planned.ID + "/cancel", sess: client}), 409)
		var still sreq
		e.get("acme", "/api/service-requests/"+planned.ID, staff, &still)
		if still.Status != "scheduled" {
			t.Fatalf("a refused cancel moved the request to %s", still.Status)
		}
	})
	t.Run("AnotherClientsRequestIsNotFound", func(t *testing.T) {
		other := e.newClient("second.client@example.test", "Acme Second Client")
		var theirs list[sreq]
		e.get("acme", "/api/portal/service-requests", other, &theirs)
		if len(theirs.Items) != 0 {
			t.Fatalf("a new client sees %+v", theirs.Items)
		}
		target := e.requestTitled("acme", staff, "Acme quarterly filing help")
		state := func() string {
			var b strings.Builder
			for _, s := range []string{"", "/events", "/comments"} {
				b.Write(e.do(req{method: "GET", host: "acme", path: "/api/service-requests/" + target.ID + s, sess: staff}).Body)
			}
			return b.String()
		}
		before := state()
		for _, o := range []struct {
			method, suffix string
			body           any
		}{
			{"GET", "", nil},
			{"POST", "/cancel", map[string]string{"note": "not mine"}},
			{"GET", "/events", nil},
			{"GET", "/comments", nil},
			{"POST", "/comments", map[string]string{"body": "not mine"}},
		} {
			t.Run(o.method+o.suffix, func(t *testing.T) {
				sameRefusal(t,
					e.do(req{method: o.method, host: "acme", path: portal + target.ID + o.suffix, sess: other, body: o.body}),
					e.do(req{method: o.method, host: "acme", path: portal + missingID + o.suffix, sess: other, body: o.body}), 404)
			})
		}
		if after := state(); after != before {
			t.Fatalf("another client changed the request:\n%s\n%s", before, after)
		}
		// A staff member in the portal is a client of its own requests too.
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: portal + target.ID, sess: staff}), 404)
	})
}

func TestMalformedServiceRequestInput(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	client := e.login("acme", "client@acme.test")
	conn := e.admin()
	stored := func() int {
		return count(t, conn, `SELECT (SELECT count(*) FROM service_requests) + (SELECT count(*) FROM service_request_comments)
			+ (SELECT count(*) FROM service_request_events) + (SELECT count(*) FROM members) + (SELECT count(*) FROM accounts)`)
	}
	before := stored()
	own := e.requestTitled("acme", owner, "Acme new ledger setup")
	ownBefore := e.do(req{method: "GET", host: "acme", path: "/api/service-requests/" + own.ID, sess: owner}).Body
	valid := func(extra map[string]any) map[string]any {
		b := map[string]any{"client_member_id": e.memberID("acme", "client"), "title": "Acme x"}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	p := "/api/service-requests/" + own.ID
	for _, tc := range []struct {
		name         string
		method, path string
		sess         *session
		body         any
		want         int
	}{
		{"MalformedJSON", "POST", "/api/service-requests", owner, `{"title": "x",`, 400},
		{"WrongType", "POST", "/api/service-requests", owner, valid(map[string]any{"title": 42}), 422},
		{"UnknownField", "POST", "/api/service-requests", owner, valid(map[string]any{"color": "red"}), 422},
		{"TenantIDRefused", "POST", "/api/service-requests", owner, valid(map[string]any{"tenant_id": e.seeded["globex"].TenantID}), 422},
		{"StatusNotSettable", "POST", "/api/service-requests", owner, valid(map[string]any{"status": "completed"}), 422},
		{"BadClientUUID", "POST", "/api/service-requests", owner, valid(map[string]any{"client_member_id": "not-a-uuid"}), 422},
		{"BadPriority", "POST", "/api/service-requests", owner, valid(map[string]any{"priority": "whenever"}), 422},
		{"BadDate", "POST", "/api/service-requests", owner, valid(map[string]any{"due_on": "31/12/2030"}), 422},
		{"BlankTitle", "POST", "/api/service-requests", owner, valid(map[string]any{"title": "   "}), 422},
		{"LongTitle", "POST", "/api/service-requests", owner, valid(map[string]any{"title": strings.Repeat("x", 201)}), 422},
		{"Oversize", "POST", "/api/service-requests", owner, valid(map[string]any{"details": strings.Repeat("x", 2<<20)}), 413},
		{"PatchTenantID", "PATCH", p, owner, map[string]any{"tenant_id": e.seeded["globex"].TenantID}, 422},
		{"PatchClient", "PATCH", p, owner, map[string]any{"client_member_id": e.memberID("acme", "client")}, 422},
		{"PatchBadService", "PATCH", p, owner, map[string]any{"service_id": "x"}, 422},
		{"PatchUnknownClear", "PATCH", p, owner, map[string]any{"clear": []string{"client_member_id"}}, 422},
		{"AssignBadUUID", "PUT", p + "/assignee", owner, map[string]any{"member_id": "nope"}, 422},
		{"TransitionMissingTo", "POST", p + "/transitions", owner, map[string]any{"note": "x"}, 422},
		{"TransitionLongNote", "POST", p + "/transitions", owner, map[string]any{"to": "in_review", "note": strings.Repeat("x", 2001)}, 422},
		{"CommentEmpty", "POST", p + "/comments", owner, map[string]any{"body": "", "visibility": "client"}, 422},
		{"CommentBlank", "POST", p + "/comments", owner, map[string]any{"body": "  ", "visibility": "client"}, 422},
		{"CommentBadVisibility", "POST", p + "/comments", owner, map[string]any{"body": "x", "visibility": "public"}, 422},
		{"CommentMalformed", "POST", p + "/comments", owner, `{"body": `, 400},
		{"PortalUnknownField", "POST", "/api/portal/service-requests", client, map[string]any{"title": "x", "client_member_id": e.memberID("acme", "client")}, 422},
		{"PortalPriority", "POST", "/api/portal/service-requests", client, map[string]any{"title": "x", "priority": "urgent"}, 422},
		{"PortalMalformed", "POST", "/api/portal/service-requests", client, `[1,2]`, 422},
		{"PortalCancelWrongType", "POST", "/api/portal/service-requests/" + own.ID + "/cancel", client, map[string]any{"note": 1}, 422},
		{"PortalCommentTenantID", "POST", "/api/portal/service-requests/" + own.ID + "/comments", client, map[string]any{"body": "x", "tenant_id": e.seeded["globex"].TenantID}, 422},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: tc.method, host: "acme", path: tc.path, sess: tc.sess, body: tc.body})
			expectStatus(t, r, tc.want)
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	for _, path := range []string{"/api/service-requests/not-a-uuid", "/api/service-requests/" + own.ID + "/comments/not-a-uuid",
		"/api/portal/service-requests/not-a-uuid", "/api/service-requests?client_member_id=nope", "/api/service-requests?due_before=tomorrow",
		"/api/service-requests?status=lost", "/api/service-requests?created_after=yesterday", "/api/service-requests/analytics?from=2024-13-01",
		"/api/service-requests/analytics?from=2024-02-01&to=2024-01-01", "/api/service-requests/analytics?from=2000-01-01&to=2024-01-01"} {
		method, sess := "GET", owner
		if strings.Contains(path, "/comments/") {
			method = "DELETE"
		}
		if strings.HasPrefix(path, "/api/portal") {
			sess = client
		}
		t.Run("Query"+path, func(t *testing.T) {
			expectStatus(t, e.do(req{method: method, host: "acme", path: path, sess: sess}), 422)
		})
	}
	if after := stored(); after != before {
		t.Fatalf("bad input stored something: %d then %d rows", before, after)
	}
	if ownAfter := e.do(req{method: "GET", host: "acme", path: p, sess: owner}).Body; string(ownAfter) != string(ownBefore) {
		t.Fatalf("bad input changed the request:\n%s\n%s", ownBefore, ownAfter)
	}
}

func TestServiceRequestCreatesAreIdempotent(t *testing.T) {
	e := newEnv(t)
	staff := e.login("acme", "staff@acme.test")
	client := e.login("acme", "client@acme.test")
	conn := e.admin()
	seeded := e.requestTitled("acme", staff, "Acme quarterly filing help")
	for _, tc := range []struct {
		name, path  string
		sess        *session
		body, other map[string]any
		table       string
	}{
		{"Staff", "/api/service-requests", staff,
			map[string]any{"client_member_id": e.memberID("acme", "client"), "title": "Acme idem"},
			map[string]any{"client_member_id": e.memberID("acme", "client"), "title": "Acme other"}, "service_requests"},
		{"Portal", "/api/portal/service-requests", client, map[string]any{"title": "Acme idem"}, map[string]any{"title": "Acme other"}, "service_requests"},
		{"StaffComment", "/api/service-requests/" + seeded.ID + "/comments", staff,
			map[string]any{"body": "Acme idem", "visibility": "client"}, map[string]any{"body": "Acme other", "visibility": "client"}, "service_request_comments"},
		{"PortalComment", "/api/portal/service-requests/" + seeded.ID + "/comments", client,
			map[string]any{"body": "Acme idem"}, map[string]any{"body": "Acme other"}, "service_request_comments"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows := func() int { return count(t, conn, "SELECT count(*) FROM "+tc.table) }
			before := rows()
			key := map[string]string{"Idempotency-Key": "idem-" + tc.name}
			first := e.do(req{method: "POST", host: "acme", path: tc.path, sess: tc.sess, header: key, body: tc.body})
			expectStatus(t, first, 201)
			again := e.do(req{method: "POST", host: "acme", path: tc.path, sess: tc.sess, header: key, body: tc.body})
			expectStatus(t, again, 201)
			if string(first.Body) != string(again.Body) {
				t.Fatalf("the retry did not replay the original:\n%s\n%s", first.Body, again.Body)
			}
			expectStatus(t, e.do(req{method: "POST", host: "acme", path: tc.path, sess: tc.sess, header: key, body: tc.other}), 422)
			if n := rows(); n != before+1 {
				t.Fatalf("%d rows from one key", n-before)
			}
		})
	}
}

func TestServiceRequestPagination(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	client := e.login("acme", "client@acme.test")
	for i := range 7 {
		e.staffRequest(owner, map[string]any{"title": fmt.Sprintf("Acme page %d", i)})
	}
	walk := func(host, path string, s *session) []sreq {
		var all []sreq
		cursor := ""
		for pages := 0; ; pages++ {
			q := path + "?limit=3"
			if cursor != "" {
				q += "&cursor=" + cursor
			}
			var p sreqPage
			e.get(host, q, s, &p)
			all = append(all, p.Items...)
			if p.NextCursor == "" {
				return all
			}
			cursor = p.NextCursor
			if pages > 10 {
				t.Fatal("pagination does not end")
			}
		}
	}
	for _, tc := range []struct {
		name, path string
		sess       *session
	}{{"Staff", "/api/service-requests", owner}, {"Portal", "/api/portal/service-requests", client}} {
		t.Run(tc.name, func(t *testing.T) {
			all := walk("acme", tc.path, tc.sess)
			if len(all) != 9 {
				t.Fatalf("%d requests over the pages, want 9", len(all))
			}
			seen := map[string]bool{}
			for i, r := range all {
				if seen[r.ID] || !strings.HasPrefix(r.Title, "Acme") {
					t.Fatalf("page order broken at %d: %+v", i, all)
				}
				seen[r.ID] = true
			}
			if all[0].Title != "Acme page 6" || all[6].Title != "Acme page 0" {
				t.Fatalf("not newest first: %+v", all)
			}
		})
	}
	t.Run("ForeignOrForgedCursorsAreRefused", func(t *testing.T) {
		var first sreqPage
		e.get("acme", "/api/service-requests?limit=2", owner, &first)
		staff := e.login("acme", "staff@acme.test")
		g := e.login("globex", "owner@globex.test")
		forged := first.NextCursor[:len(first.NextCursor)-3] + "AAA"
		for _, r := range []response{
			e.do(req{method: "GET", host: "acme", path: "/api/service-requests?cursor=" + first.NextCursor, sess: staff}),        // another account's
			e.do(req{method: "GET", host: "globex", path: "/api/service-requests?cursor=" + first.NextCursor, sess: g}),          // another tenant's
			e.do(req{method: "GET", host: "acme", path: "/api/portal/service-requests?cursor=" + first.NextCursor, sess: owner}), // another list's
			e.do(req{method: "GET", host: "acme", path: "/api/service-requests?cursor=" + forged, sess: owner}),
			e.do(req{method: "GET", host: "acme", path: "/api/service-requests?limit=1000", sess: owner}),
		} {
			expectStatus(t, r, 422)
		}
	})
	t.Run("EventsAndComments", func(t *testing.T) {
		r := all(e, owner)[0]
		other := all(e, owner)[1]
		for i := range 4 {
			expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + r.ID + "/comments", sess: owner,
				body: map[string]string{"body": fmt.Sprintf("Acme comment %d", i), "visibility": "client"}}), 201)
		}
		for _, st := range []string{"in_review", "approved", "cancelled"} {
			expectStatus(t, e.move("acme", r.ID, owner, st), 200)
		}
		for _, tc := range []struct {
			path string
			sess *session
			want []string
		}{
			{"/api/service-requests/" + r.ID + "/comments", owner, []string{"Acme comment 0", "Acme comment 1", "Acme comment 2", "Acme comment 3"}},
			{"/api/portal/service-requests/" + r.ID + "/comments", client, []string{"Acme comment 0", "Acme comment 1", "Acme comment 2", "Acme comment 3"}},
			{"/api/service-requests/" + r.ID + "/events", owner, []string{"submitted", "in_review", "approved", "cancelled"}},
			{"/api/portal/service-requests/" + r.ID + "/events", client, []string{"submitted", "in_review", "approved", "cancelled"}},
		} {
			var got []string
			var raw1 list[map[string]any]
			e.get("acme", tc.path+"?limit=3", tc.sess, &raw1)
			if raw1.NextCursor == "" {
				t.Fatalf("%s: no next page", tc.path)
			}
			var raw2 list[map[string]any]
			e.get("acme", tc.path+"?limit=3&cursor="+raw1.NextCursor, tc.sess, &raw2)
			for _, it := range append(raw1.Items, raw2.Items...) {
				if b, ok := it["body"].(string); ok {
					got = append(got, b)
				} else {
					got = append(got, it["to_status"].(string))
				}
			}
			if !reflect.DeepEqual(got, tc.want) || raw2.NextCursor != "" {
				t.Fatalf("%s: %v", tc.path, got)
			}
			// The cursor is bound to its request.
			otherPath := strings.Replace(tc.path, r.ID, other.ID, 1)
			expectStatus(t, e.do(req{method: "GET", host: "acme", path: otherPath + "?cursor=" + raw1.NextCursor, sess: tc.sess}), 422)
		}
	})
}

// all returns the requests of acme, newest first.
func all(e *env, s *session) []sreq { return e.requests("acme", s, "?limit=100").Items }

func TestServiceRequestExport(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	e.staffRequest(owner, map[string]any{"title": "=HYPERLINK(\"http://evil\")", "details": "+1 formula", "priority": "urgent"})
	r := e.do(req{method: "GET", host: "acme", path: "/api/service-requests/export", sess: owner})
	expectStatus(t, r, 200)
	if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("content type %q", r.Header.Get("Content-Type"))
	}
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][0] != "id" || rows[0][1] != "title" {
		t.Fatalf("export rows: %v", rows)
	}
	ids := map[string]bool{}
	for _, it := range all(e, owner) {
		ids[it.ID] = true
	}
	for _, row := range rows[1:] {
		if !ids[row[0]] || strings.Contains(strings.Join(row, ","), "Globex") {
			t.Fatalf("a row not of acme's requests: %v", row)
		}
		for _, cell := range row {
			if cell != "" && strings.ContainsRune("=+-@", rune(cell[0])) {
				t.Fatalf("formula not defused: %q", cell)
			}
		}
	}
	filtered := e.do(req{method: "GET", host: "acme", path: "/api/service-requests/export?priority=urgent", sess: owner})
	rows, _ = csv.NewReader(strings.NewReader(string(filtered.Body))).ReadAll()
	if len(rows) != 2 || rows[1][1] != `'=HYPERLINK("http://evil")` || rows[1][2] != "'+1 formula" {
		t.Fatalf("filtered export: %v", rows)
	}
	g := e.login("globex", "owner@globex.test")
	gr := e.do(req{method: "GET", host: "globex", path: "/api/service-requests/export", sess: g})
	if strings.Contains(string(gr.Body), "Acme") || !strings.Contains(string(gr.Body), "Globex") {
		t.Fatalf("globex's export: %s", gr.Body)
	}
}

type analytics struct {
	TimeZone string `json:"time_zone"`
	From     string `json:"from"`
	To       string `json:"to"`
	Total    int64  `json:"total"`
	ByStatus []struct {
		Status string `json:"status"`
		Count  int64  `json:"count"`
	} `json:"by_status"`
	ByService []struct {
		ServiceID   string `json:"service_id"`
		ServiceName string `json:"service_name"`
		Count       int64  `json:"count"`
	} `json:"by_service"`
	ByMonth []struct {
		Month string `json:"month"`
		Count int64  `json:"count"`
	} `json:"by_month"`
}

// summary flattens the figures that are not zero, for comparing.
func (a analytics) summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s..%s total=%d |", a.TimeZone, a.From, a.To, a.Total)
	for _, s := range a.ByStatus {
		if s.Count > 0 {
			fmt.Fprintf(&b, " %s=%d", s.Status, s.Count)
		}
	}
	b.WriteString(" |")
	for _, s := range a.ByService {
		fmt.Fprintf(&b, " %q=%d", s.ServiceName, s.Count)
	}
	b.WriteString(" |")
	for _, m := range a.ByMonth {
		fmt.Fprintf(&b, " %s=%d", m.Month, m.Count)
	}
	return b.String()
}

// Both tenants get requests at known instants around month ends in their
// own time zones; each tenant's figures count its own requests only, by its
// own calendar.
func TestServiceRequestAnalytics(t *testing.T) { testServiceRequestAnalytics(t, newEnv(t)) }

func testServiceRequestAnalytics(t *testing.T, e *env) {
	owner := e.login("acme", "owner@acme.test")
	gOwner := e.login("globex", "owner@globex.test")
	conn := e.admin()
	ny, _ := time.LoadLocation("America/New_York")
	london, _ := time.LoadLocation("Europe/London")
	place := func(id string, at time.Time) {
		if _, err := conn.Exec(context.Background(), "UPDATE service_requests SET created_at = $1 WHERE id = $2", at, id); err != nil {
			t.Fatal(err)
		}
	}
	svc := func(host string, s *session, slug string) string {
		for _, it := range e.services(host, s, "").Items {
			if it.Slug == slug {
				return it.ID
			}
		}
		t.Fatalf("no service %s", slug)
		return ""
	}
	acme := []struct {
		at      time.Time
		service string
		status  string
	}{
		{time.Date(2023, 12, 31, 23, 59, 0, 0, ny), "", ""},                             // before the range
		{time.Date(2024, 1, 31, 23, 30, 0, 0, ny), "tax-review", ""},                    // January in New York, February in UTC
		{time.Date(2024, 2, 15, 12, 0, 0, 0, ny), "tax-review", "in_review"},            //
		{time.Date(2024, 3, 10, 12, 0, 0, 0, ny), "", ""},                               //
		{time.Date(2024, 3, 31, 23, 59, 0, 0, ny), "bookkeeping-setup", "cancelled"},    // still March in New York
		{time.Date(2024, 4, 1, 0, 0, 30, 0, ny), "tax-review", ""},                      // after the range
		{time.Date(2024, 2, 29, 20, 0, 0, 0, time.UTC), "strategy-session", "approved"}, // Feb 29, 15:00 in New York
	}
	for _, a := range acme {
		body := map[string]any{"title": "Acme dated"}
		if a.service != "" {
			body["service_id"] = svc("acme", owner, a.service)
		}
		r := e.staffRequest(owner, body)
		if a.status != "" {
			expectStatus(t, e.move("acme", r.ID, owner, a.status), 200)
		}
		place(r.ID, a.at)
	}
	for _, at := range []time.Time{
		time.Date(2024, 1, 31, 23, 30, 0, 0, london), // January in London
		time.Date(2024, 3, 31, 0, 30, 0, 0, london),  // March 31, before the clocks go forward
		time.Date(2024, 3, 31, 23, 30, 0, 0, london), // March 31, 22:30 UTC: still March in London
		time.Date(2024, 4, 1, 0, 30, 0, 0, london),   // March 31, 23:30 UTC: April in London
	} {
		r := e.create("globex", "/api/service-requests", gOwner, map[string]any{"client_member_id": e.memberID("globex", "client"), "title": "Globex dated",
			"service_id": svc("globex", gOwner, "tax-review")})
		place(r.ID, at)
	}
	var a, g analytics
	e.get("acme", "/api/service-requests/analytics?from=2024-01-01&to=2024-03-31", owner, &a)
	e.get("globex", "/api/service-requests/analytics?from=2024-01-01&to=2024-03-31", gOwner, &g)
	wantAcme := `America/New_York 2024-01-01..2024-03-31 total=5 | submitted=2 in_review=1 approved=1 cancelled=1 |` +
		` "Acme Tax Review"=2 ""=1 "Acme Bookkeeping Setup"=1 "Acme Strategy Session"=1 | 2024-01=1 2024-02=2 2024-03=2`
	wantGlobex := `Europe/London 2024-01-01..2024-03-31 total=3 | submitted=3 | "Globex Tax Review"=3 | 2024-01=1 2024-02=0 2024-03=2`
	if a.summary() != wantAcme {
		t.Fatalf("acme:\n%s\nwant\n%s", a.summary(), wantAcme)
	}
	if g.summary() != wantGlobex {
		t.Fatalf("globex:\n%s\nwant\n%s", g.summary(), wantGlobex)
	}
	if len(a.ByStatus) != 7 || a.ByStatus[0].Status != "submitted" || a.ByStatus[6].Status != "cancelled" {
		t.Fatalf("every status in workflow order: %+v", a.ByStatus)
	}
	t.Run("DefaultRangeIsTheLastTwelveMonths", func(t *testing.T) {
		var d analytics
		e.get("acme", "/api/service-requests/analytics", owner, &d)
		today := e.now().In(ny).Format(time.DateOnly)
		if d.To != today || len(d.ByMonth) != 12 || d.Total != 2 { // the two demo requests, made now
			t.Fatalf("default range: %s", d.summary())
		}
	})
}

func publicForm(email, name string) map[string]any {
	return map[string]any{"email": email, "name": name, "title": "Acme public request", "details": "From the form"}
}

// confirmPublic opens the confirmation link mailed to email on host.
func (e *env) confirmPublic(host, email string) response {
	e.t.Helper()
	return e.do(req{method: "POST", host: host, path: "/api/public/service-requests/confirm", body: map[string]string{"token": e.linkToken(email)}})
}

// The public form answers the same for an unknown address, an account of
// another tenant, a client and a staff member of this tenant, attaches
// nothing to anyone until the address confirms by the mailed link, and
// never grants or changes access.
func TestPublicServiceRequestForm(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	conn := e.admin()
	accountsBefore := count(t, conn, "SELECT count(*) FROM accounts")
	membersBefore := count(t, conn, "SELECT count(*) FROM members")
	requestsBefore := len(all(e, owner))
	var answers []response
	addresses := []string{"new.person@elsewhere.test", "owner@globex.test", "client@acme.test", "staff@acme.test"}
	for _, f := range []map[string]any{
		publicForm("  New.Person@Elsewhere.test ", "Acme Newcomer"),
		publicForm("owner@globex.test", "Globex Owner as client"),
		publicForm("client@acme.test", "Mallory renamed"),
		publicForm("staff@acme.test", "Mallory demoted"),
	} {
		r := e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests", body: f})
		expectStatus(t, r, 202)
		answers = append(answers, r)
	}
	for _, r := range answers[1:] {
		if !reflect.DeepEqual(r.problemBody(t), answers[0].problemBody(t)) {
			t.Fatalf("answers differ:\n%s\n%s", answers[0].Body, r.Body)
		}
	}
	if strings.Contains(string(answers[0].Body), "id") {
		t.Fatalf("the public answer names a record: %s", answers[0].Body)
	}
	// Nothing reaches an account before its address confirms.
	if a, m, r := count(t, conn, "SELECT count(*) FROM accounts"), count(t, conn, "SELECT count(*) FROM members"), len(all(e, owner)); a != accountsBefore || m != membersBefore || r != requestsBefore {
		t.Fatalf("before confirmation: %d accounts, %d members, %d requests more", a-accountsBefore, m-membersBefore, r-requestsBefore)
	}
	for _, addr := range addresses {
		m := e.mailTo(addr)
		if strings.Contains(m.Text, "Acme public request") || strings.Contains(m.Text, "From the form") || strings.Contains(m.Text, "Mallory") {
			t.Fatalf("the confirmation mail carries the submitter's words: %s", m.Text)
		}
		expectStatus(t, e.confirmPublic("acme", addr), 200)
	}
	if n := count(t, conn, "SELECT count(*) FROM accounts"); n != accountsBefore+1 {
		t.Fatalf("%d accounts created, want 1", n-accountsBefore)
	}
	if n := count(t, conn, "SELECT count(*) FROM accounts WHERE email = 'new.person@elsewhere.test' AND password_hash IS NULL"); n != 1 {
		t.Fatal("the new account is missing or has a password")
	}
	if n := count(t, conn, "SELECT count(*) FROM platform_audit_log WHERE action = 'service_request.public_confirmed_account'"); n != 4 {
		t.Fatalf("%d platform audit rows for 4 confirmations", n)
	}
	var members struct {
		Items []struct {
			Email       string `json:"email"`
			Role        string `json:"role"`
			DisplayName string `json:"display_name"`
		} `json:"items"`
	}
	e.get("acme", "/api/members", owner, &members)
	roles := map[string]string{}
	for _, m := range members.Items {
		roles[m.Email] = m.Role + "/" + m.DisplayName
	}
	for email, want := range map[string]string{
		"new.person@elsewhere.test": "client/Acme Newcomer",
		"owner@globex.test":         "client/Globex Owner as client",
		"client@acme.test":          "client/Acme Client Carla",
		"staff@acme.test":           "staff/Acme Staff Sam",
	} {
		if roles[email] != want {
			t.Errorf("%s: %q, want %q", email, roles[email], want)
		}
	}
	reqs := all(e, owner)
	if len(reqs) != requestsBefore+4 {
		t.Fatalf("%d requests filed, want 4", len(reqs)-requestsBefore)
	}
	for _, r := range reqs[:4] {
		if r.Source != "public" || r.CreatedByMemberID != "" || r.Title != "Acme public request" || r.Status != "submitted" {
			t.Fatalf("a public request: %+v", r)
		}
	}
	var es list[event]
	e.get("acme", "/api/service-requests/"+reqs[0].ID+"/events", owner, &es)
	if len(es.Items) != 1 || es.Items[0].ActorName != "" || es.Items[0].To != "submitted" {
		t.Fatalf("events of a public request: %+v", es.Items)
	}
	if n := count(t, conn, "SELECT count(*) FROM members WHERE tenant_id = $1 AND account_id = (SELECT id FROM accounts WHERE email = 'new.person@elsewhere.test')",
		e.seeded["globex"].TenantID); n != 0 {
		t.Fatal("the acme form made a globex member")
	}
	t.Run("AConfirmationWorksOnce", func(t *testing.T) {
		expectStatus(t, e.confirmPublic("acme", "client@acme.test"), 422)
		if n := len(all(e, owner)); n != requestsBefore+4 {
			t.Fatalf("a used confirmation filed again: %d requests", n-requestsBefore)
		}
	})

	t.Run("RemovedMemberStaysRemoved", func(t *testing.T) {
		consultant := e.memberID("acme", "consultant")
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + consultant, sess: owner}), 204)
		r := e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests", body: publicForm(demoConsultant, "Acme Consultant back")})
		expectStatus(t, r, 202)
		if !reflect.DeepEqual(r.problemBody(t), answers[0].problemBody(t)) {
			t.Fatalf("answer differs: %s", r.Body)
		}
		expectStatus(t, e.confirmPublic("acme", demoConsultant), 200)
		if n := count(t, conn, "SELECT count(*) FROM members WHERE id = $1 AND removed_at IS NOT NULL AND role = 'staff'", consultant); n != 1 {
			t.Fatal("the public form revived or changed a removed membership")
		}
		if got := all(e, owner)[0]; got.ClientMemberID != consultant {
			t.Fatalf("the request was filed under %s", got.ClientName)
		}
	})
}

const demoConsultant = "consultant@example.test"

func TestPublicServiceRequestFormChecks(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	conn := e.admin()
	stored := func() int {
		return count(t, conn, "SELECT (SELECT count(*) FROM accounts) + (SELECT count(*) FROM members) + (SELECT count(*) FROM service_requests) + (SELECT count(*) FROM public_submissions)")
	}
	before := stored()
	for _, tc := range []struct {
		name string
		body any
		want int
	}{
		{"MalformedJSON", `{"email": `, 400},
		{"UnknownField", map[string]any{"email": "a@b.test", "name": "A", "title": "T", "role": "owner"}, 422},
		{"TenantIDRefused", map[string]any{"email": "a@b.test", "name": "A", "title": "T", "tenant_id": e.seeded["globex"].TenantID}, 422},
		{"BadEmail", publicForm("not an email", "A"), 422},
		{"TwoAts", publicForm("a@b@c.test", "A"), 422},
		{"MissingName", map[string]any{"email": "a@b.test", "title": "T"}, 422},
		{"BlankName", publicForm("a@b.test", "   "), 422},
		{"NoSuchService", map[string]any{"email": "a@b.test", "name": "A", "title": "T", "service_slug": "no-such"}, 422},
		{"Oversize", map[string]any{"email": "a@b.test", "name": "A", "title": "T", "details": strings.Repeat("x", 2<<20)}, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests", body: tc.body})
			expectStatus(t, r, tc.want)
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Fatalf("content type %q", ct)
			}
		})
	}
	t.Run("AllowedDomains", func(t *testing.T) {
		if _, err := conn.Exec(context.Background(), "UPDATE security_settings SET allowed_email_domains = '{acme.test}' WHERE tenant_id = $1", e.seeded["acme"].TenantID); err != nil {
			t.Fatal(err)
		}
		// Refused alike whether the address is a member (owner@globex.test
		// is not) or unknown: the rule depends on the domain alone.
		for _, email := range []string{"owner@globex.test", "stranger@elsewhere.test"} {
			r := e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests", body: publicForm(email, "A")})
			expectStatus(t, r, 422)
		}
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests", body: publicForm("client@acme.test", "A")}), 202)
	})
	if after := stored(); after != before+1 {
		t.Fatalf("refused submissions stored rows: %d then %d", before, after)
	}
	t.Run("WithService", func(t *testing.T) {
		r := e.do(req{method: "POST", host: "acme", path: "/api/public/service-requests",
			body: map[string]any{"email": "client@acme.test", "name": "A", "title": "Acme with service", "service_slug": "tax-review"}})
		expectStatus(t, r, 202)
		expectStatus(t, e.confirmPublic("acme", "client@acme.test"), 200)
		if got := all(e, owner)[0]; got.ServiceName != "Acme Tax Review" || got.Title != "Acme with service" {
			t.Fatalf("filed: %+v", got)
		}
	})
	t.Run("NotOnTheApex", func(t *testing.T) {
		expectStatus(t, e.do(req{method: "POST", host: "", path: "/api/public/service-requests", body: publicForm("a@b.test", "A")}), 404)
	})
}

func TestPublicServiceRequestFormRateLimits(t *testing.T) {
	e := newEnv(t)
	submit := func(host, email string) response {
		return e.do(req{method: "POST", host: host, path: "/api/public/service-requests", body: publicForm(email, "Acme Flood")})
	}
	// Three per email address, then that address waits.
	for range 3 {
		expectStatus(t, submit("acme", "flood@example.test"), 202)
	}
	r := submit("acme", "flood@example.test")
	expectStatus(t, r, 429)
	if ra := r.Header.Get("Retry-After"); ra == "" || ra == "0" {
		t.Fatalf("Retry-After %q", ra)
	}
	// Five per client address: the refused fourth counted too.
	expectStatus(t, submit("acme", "other@example.test"), 202)
	r = submit("acme", "third@example.test")
	expectStatus(t, r, 429)
	if !strings.Contains(string(r.Body), "too many") {
		t.Fatalf("refusal: %s", r.Body)
	}
	// Limits are per tenant: the same client address is welcome on globex.
	expectStatus(t, submit("globex", "flood@example.test"), 202)
	conn := e.admin()
	if n := count(t, conn, "SELECT count(*) FROM public_submissions WHERE title = 'Acme public request'"); n != 5 {
		t.Fatalf("%d requests taken, want 5 (4 on acme, 1 on globex)", n)
	}
}

func TestServiceRequestFilters(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	svc := e.services("acme", owner, "?q=Strategy").Items[0]
	early := e.staffRequest(owner, map[string]any{"title": "Acme early", "due_on": "2030-01-10", "priority": "low"})
	late := e.staffRequest(owner, map[string]any{"title": "Acme late", "due_on": "2030-03-10", "priority": "high", "service_id": svc.ID})
	expectStatus(t, e.move("acme", late.ID, owner, "in_review"), 200)
	if _, err := e.admin().Exec(context.Background(), "UPDATE service_requests SET created_at = '2025-06-01T12:00:00Z' WHERE id = $1", early.ID); err != nil {
		t.Fatal(err)
	}
	titles := func(q string) string {
		var ts []string
		for _, r := range e.requests("acme", owner, q).Items {
			ts = append(ts, r.Title)
		}
		return strings.Join(ts, ",")
	}
	for q, want := range map[string]string{
		"?due_before=2030-03-10":                      "Acme early",
		"?due_before=2030-03-11":                      "Acme late,Acme early",
		"?due_after=2030-01-10":                       "Acme late",
		"?due_after=2030-01-09&due_before=2030-03-10": "Acme early",
		"?priority=high":                              "Acme late",
		"?status=in_review":                           "Acme late,Acme quarterly filing help",
		"?status=in_review&service_id=" + svc.ID:      "Acme late",
		"?client_member_id=" + e.memberID("acme", "client") + "&priority=low":     "Acme early",
		"?created_before=2025-06-01T12:00:01Z":                                    "Acme early",
		"?created_after=2025-06-01T12:00:00Z&created_before=2025-06-02T00:00:00Z": "Acme early",
		"?created_after=2025-06-01T12:00:01Z&due_after=2000-01-01":                "Acme late",
	} {
		if got := titles(q); got != want {
			t.Errorf("%s: %q, want %q", q, got, want)
		}
	}
}
