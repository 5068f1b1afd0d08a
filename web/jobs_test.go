package web_test

import (
	"strings"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/mailer"
)

// The application as serve runs it works the jobs: confirming a booking
// through the API mails its client, with the calendar entry, through the
// outbox; /readyz reports the job queue.
func TestConfirmingABookingMailsTheClientThroughTheServer(t *testing.T) {
	e := newEnv(t, workingJobs())
	r := e.do(req{method: "GET", host: "", path: "/readyz"})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"jobs":"ok"`) {
		t.Fatalf("readyz %d %s", r.Status, r.Body)
	}
	s := e.login("acme", "staff@acme.test")
	var list struct {
		Items []struct {
			ID string `json:"id"`
		} `json:"items"`
	}
	e.get("acme", "/api/bookings?status=pending", s, &list)
	if len(list.Items) == 0 {
		t.Fatal("no pending booking")
	}
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/bookings/" + list.Items[0].ID + "/confirm", sess: s}), 200)
	var got *mailer.Message
	for deadline := time.Now().Add(15 * time.Second); got == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		for _, m := range e.outbox.Messages() {
			if m.To == "client@acme.test" && strings.Contains(m.Subject, "is confirmed") {
				got = &m
			}
		}
	}
	if got == nil {
		t.Fatal("no confirmation mail in the outbox after 15s")
	}
	if got.TenantID != e.seeded["acme"].TenantID || len(got.Attachments) != 1 || !strings.Contains(string(got.Attachments[0].Data), "BEGIN:VEVENT") {
		t.Fatalf("confirmation %+v", got)
	}
}
