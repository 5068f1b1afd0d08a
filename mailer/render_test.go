package mailer_test

import (
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/mailer"
)

const script = `<script>alert(1)</script>`

// data fills every field a template may read, each with a script.
func data() mailer.Data {
	return mailer.Data{
		Firm: "Acme & Sons " + script, Sender: "The Acme desk", Footer: "Acme, 1 Main St",
		Recipient: "Ann " + script, Role: "staff",
		Link:    &mailer.LinkData{URL: "https://acme.example.test/invitations/accept?token=abc", Label: "Open", Expires: "Monday 9 March 2026 at 12:00 UTC"},
		Booking: &mailer.BookingData{Client: "Bo " + script, Service: "Audit " + script, Date: "Monday 2 March 2026", Start: "10:00", End: "11:00", Zone: "UTC", When: "2 March 2026 at 10:00"},
		Request: &mailer.RequestData{Title: "Fix " + script, Client: "Cy " + script, Source: "public"},
		Comment: &mailer.CommentData{Author: "Cy " + script, Body: "Any news? " + script},
	}
}

func TestEveryKindRendersTextAndHTMLWithTheFirmsName(t *testing.T) {
	for _, kind := range []string{
		mailer.KindBookingConfirmed, mailer.KindBookingReminder, mailer.KindBookingRescheduled, mailer.KindBookingCancelled,
		mailer.KindRequestCreated, mailer.KindRequestCommented, mailer.KindInvitation, mailer.KindRequestReceived, mailer.KindPasswordReset,
	} {
		t.Run(kind, func(t *testing.T) {
			m, err := mailer.Render(kind, "ann@acme.test", data())
			if err != nil {
				t.Fatal(err)
			}
			if m.Kind != kind || m.To != "ann@acme.test" || !strings.Contains(m.Subject, "Acme & Sons") {
				t.Fatalf("kind %q to %q subject %q", m.Kind, m.To, m.Subject)
			}
			if !strings.Contains(m.Text, "The Acme desk") || !strings.Contains(m.Text, "Acme, 1 Main St") {
				t.Fatalf("text part %q", m.Text)
			}
			if !strings.Contains(m.HTML, "<html") || !strings.Contains(m.HTML, "Acme &amp; Sons") || !strings.Contains(m.HTML, "The Acme desk") {
				t.Fatalf("html part %q", m.HTML)
			}
			// Whatever anyone typed is escaped in the HTML part.
			if strings.Contains(m.HTML, "<script") || !strings.Contains(m.HTML, "&lt;script&gt;") {
				t.Fatalf("html part does not escape: %q", m.HTML)
			}
		})
	}
}

func TestOneTimeLinksAppearInBothParts(t *testing.T) {
	for _, kind := range []string{mailer.KindInvitation, mailer.KindRequestReceived, mailer.KindPasswordReset} {
		m, err := mailer.Render(kind, "ann@acme.test", data())
		if err != nil {
			t.Fatal(err)
		}
		link := data().Link.URL
		if !strings.Contains(m.Text, link) || !strings.Contains(m.HTML, `href="`+link+`"`) || !strings.Contains(m.Text, data().Link.Expires) {
			t.Fatalf("%s: text %q html %q", kind, m.Text, m.HTML)
		}
	}
}

func TestAccountMailWithoutAFirmReadsWhole(t *testing.T) {
	m, err := mailer.Render(mailer.KindPasswordReset, "ann@example.test", mailer.Data{Link: data().Link})
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Reset your password" || strings.Contains(m.HTML, "font-size:18px") {
		t.Fatalf("subject %q html %q", m.Subject, m.HTML)
	}
	if mailer.TenantKind(mailer.KindPasswordReset) || !mailer.TenantKind(mailer.KindInvitation) || !mailer.TenantKind(mailer.KindRequestReceived) {
		t.Fatal("a password reset is account mail; an invitation and a confirmation are a tenant's")
	}
}
