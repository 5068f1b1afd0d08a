package mailer

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"
)

// The mail kinds. Each is a template pair in templates/ (kind.txt defines
// "subject" and "body", kind.html defines "body"), laid out by layout.txt
// and layout.html, and, for a tenant's mail, the kind its delivery log
// records it under.
const (
	KindBookingConfirmed   = "booking_confirmed"
	KindBookingReminder    = "booking_reminder"
	KindBookingRescheduled = "booking_rescheduled"
	KindBookingCancelled   = "booking_cancelled"
	KindRequestCreated     = "request_created"
	KindRequestCommented   = "request_commented"
	// KindInvitation invites an address into a tenant, with a one-time link.
	KindInvitation = "invitation"
	// KindRequestReceived asks the address a tenant's public form was
	// filled with to confirm the request, with a one-time link.
	KindRequestReceived = "request_received"
	// KindPasswordReset is account mail, not a tenant's: no tenant's
	// delivery log records it.
	KindPasswordReset = "password_reset"
)

// kinds lists every kind with the partial template its parts share
// ("booking": the booking's service and time; "link": a one-time link)
// and whether it is a tenant's mail.
var kinds = map[string]struct {
	partial string
	tenant  bool
}{
	KindBookingConfirmed:   {"booking", true},
	KindBookingReminder:    {"booking", true},
	KindBookingRescheduled: {"booking", true},
	KindBookingCancelled:   {"booking", true},
	KindRequestCreated:     {"", true},
	KindRequestCommented:   {"", true},
	KindInvitation:         {"link", true},
	KindRequestReceived:    {"link", true},
	KindPasswordReset:      {"link", false},
}

// TenantKind reports whether mail of kind is a tenant's mail, which the
// tenant's delivery log records; account mail (a password reset) is
// nobody's to read but its recipient's.
func TenantKind(kind string) bool { return kinds[kind].tenant }

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// template is one kind's templates: the subject and text part from
// text/template, the HTML part from html/template (which escapes what a
// client, an admin or the public wrote).
type template struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var templates = func() map[string]template {
	out := map[string]template{}
	for kind, k := range kinds {
		parts := []string{"templates/layout", "templates/" + kind}
		if k.partial != "" {
			parts = append(parts, "templates/"+k.partial)
		}
		var txt, html []string
		for _, p := range parts {
			txt, html = append(txt, p+".txt"), append(html, p+".html")
		}
		out[kind] = template{
			text: texttemplate.Must(texttemplate.New(kind).Option("missingkey=error").ParseFS(templateFS, txt...)),
			html: htmltemplate.Must(htmltemplate.New(kind).Option("missingkey=error").ParseFS(templateFS, html...)),
		}
	}
	return out
}()

// Data is what a mail template reads.
type Data struct {
	// Firm is the tenant's display name (empty for account mail asked on
	// the apex); Sender signs the mail (the communication settings' sender
	// name); Footer closes it.
	Firm, Sender, Footer string
	// Subject is the rendered subject (the HTML part's title); Render sets
	// it.
	Subject string
	// Recipient is the name of the person the mail goes to, when known.
	Recipient string
	// Role is the role an invitation offers.
	Role    string
	Link    *LinkData
	Booking *BookingData
	Request *RequestData
	Comment *CommentData
}

// LinkData is a one-time link: built from the configured public URL, never
// from a request's Host.
type LinkData struct {
	URL string
	// Label is the HTML part's button text.
	Label string
	// Expires is when the link stops working, as text.
	Expires string
}

// BookingData is the booking a booking mail is about, in the tenant's
// time zone.
type BookingData struct {
	Client, Service        string
	Date, Start, End, Zone string
	When                   string // date and start, for the subject
}

// RequestData is the service request a staff mail is about.
type RequestData struct {
	Title, Client, Source string
}

// CommentData is the comment a staff mail is about.
type CommentData struct {
	Author, Body string
}

// ExpiryFormat is how a link's expiry reads in a mail.
const ExpiryFormat = "Monday 2 January 2006 at 15:04 MST"

// Render renders the mail of kind to address to from d, as a subject, a
// text part and an HTML part. The message's Kind is kind; its TenantID is
// the caller's to set.
func Render(kind, to string, d Data) (Message, error) {
	t, ok := templates[kind]
	if !ok {
		return Message{}, fmt.Errorf("no mail template %q", kind)
	}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", d); err != nil {
		return Message{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	d.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := t.text.ExecuteTemplate(&text, "layout", d); err != nil {
		return Message{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, "layout", d); err != nil {
		return Message{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	return Message{Kind: kind, To: to, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
}
