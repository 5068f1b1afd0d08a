package web_test

import (
	"strings"
	"testing"
	"time"
)

// The journey of a firm and its client over the documented API: staff set
// up a service and their hours, a client requests the service and books a
// free slot, staff confirm and carry the request through its workflow —
// and none of it shows on the other tenant.
func TestScenarioRequestBookAndComplete(t *testing.T) { testScenario(t, newEnv(t)) }

func testScenario(t *testing.T, e *env) {
	staff := e.login("acme", "staff@acme.test")
	client := e.login("acme", "client@acme.test")

	// Staff: a service that needs confirmation, and weekend hours.
	r := e.do(req{method: "POST", host: "acme", path: "/api/services", sess: staff, body: map[string]any{
		"slug": "onboarding-call", "name": "Acme Onboarding Call", "duration_minutes": 30, "price_minor": 12000,
		"currency": "USD", "requires_confirmation": true}})
	expectStatus(t, r, 201)
	var service struct{ ID, Slug string }
	r.json(t, &service)
	for _, wd := range []int{6, 7} {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/availability/rules", sess: staff,
			body: map[string]any{"weekday": wd, "start_time": "10:00", "end_time": "16:00"}}), 201)
	}

	// Client: requests the service from the portal.
	r = e.do(req{method: "POST", host: "acme", path: "/api/portal/service-requests", sess: client,
		body: map[string]any{"title": "Acme onboarding for our team", "details": "Ten people.", "service_slug": service.Slug}})
	expectStatus(t, r, 201)
	var request struct{ ID, Status string }
	r.json(t, &request)
	if request.Status != "submitted" {
		t.Fatalf("new request: %s", r.Body)
	}

	// Staff: review and approve.
	for _, to := range []string{"in_review", "approved"} {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + request.ID + "/transitions", sess: staff,
			body: map[string]any{"to": to, "note": "Acme staff: " + to}}), 200)
	}

	// Client: finds a free slot in the coming week and books it for the request.
	from := e.now().AddDate(0, 0, 2).Format(time.DateOnly)
	r = e.do(req{method: "GET", host: "acme", path: "/api/portal/services/" + service.ID + "/slots?from=" + from + "&limit=100", sess: client})
	expectStatus(t, r, 200)
	var slots struct {
		Items []struct {
			StaffMemberID string `json:"staff_member_id"`
			StartsAt      string `json:"starts_at"`
			LocalTime     string `json:"local_time"`
		}
	}
	r.json(t, &slots)
	if len(slots.Items) == 0 {
		t.Fatalf("no free slots: %s", r.Body)
	}
	slot := slots.Items[0]
	r = e.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: client, body: map[string]any{
		"service_id": service.ID, "staff_member_id": slot.StaffMemberID, "starts_at": slot.StartsAt, "service_request_id": request.ID}})
	expectStatus(t, r, 201)
	var booking struct{ ID, Status string }
	r.json(t, &booking)
	if booking.Status != "pending" {
		t.Fatalf("a service needing confirmation booked as %q", booking.Status)
	}
	// The same slot cannot be booked twice.
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/portal/bookings", sess: client, body: map[string]any{
		"service_id": service.ID, "staff_member_id": slot.StaffMemberID, "starts_at": slot.StartsAt}}), 409)
	r = e.do(req{method: "GET", host: "acme", path: "/api/portal/service-requests/" + request.ID, sess: client})
	r.json(t, &request)
	if request.Status != "scheduled" {
		t.Fatalf("the booked request is %q, want scheduled", request.Status)
	}

	// Staff: confirm the booking, then carry the request to completion.
	r = e.do(req{method: "POST", host: "acme", path: "/api/bookings/" + booking.ID + "/confirm", sess: staff})
	expectStatus(t, r, 200)
	r.json(t, &booking)
	if booking.Status != "confirmed" {
		t.Fatalf("confirmed booking: %s", r.Body)
	}
	for _, to := range []string{"in_progress", "completed"} {
		expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/service-requests/" + request.ID + "/transitions", sess: staff,
			body: map[string]any{"to": to}}), 200)
	}
	r = e.do(req{method: "GET", host: "acme", path: "/api/portal/service-requests/" + request.ID, sess: client})
	r.json(t, &request)
	if request.Status != "completed" {
		t.Fatalf("final status %q", request.Status)
	}
	r = e.do(req{method: "GET", host: "acme", path: "/api/service-requests/" + request.ID + "/events", sess: staff})
	for _, want := range []string{"in_review", "approved", "scheduled", "in_progress", "completed"} {
		if !strings.Contains(string(r.Body), want) {
			t.Fatalf("timeline lacks %s: %s", want, r.Body)
		}
	}

	// Globex sees none of it.
	g := e.login("globex", "staff@globex.test")
	for _, path := range []string{"/api/services", "/api/service-requests", "/api/bookings"} {
		r := e.do(req{method: "GET", host: "globex", path: path, sess: g})
		expectStatus(t, r, 200)
		if strings.Contains(string(r.Body), "Acme") || strings.Contains(string(r.Body), request.ID) || strings.Contains(string(r.Body), booking.ID) {
			t.Fatalf("globex %s shows acme's data: %.300s", path, r.Body)
		}
	}
}
