package jobs

import (
	"bytes"
	"context"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"log/slog"
	"strings"
	texttemplate "text/template"
	"time"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
)

// The mail kinds: each is a template pair in templates/ (kind.txt defines
// "subject" and "body", kind.html defines "body"), laid out by layout.txt
// and layout.html, and the kind a delivery is logged under.
const (
	MailBookingConfirmed   = "booking_confirmed"
	MailBookingReminder    = "booking_reminder"
	MailBookingRescheduled = "booking_rescheduled"
	MailBookingCancelled   = "booking_cancelled"
	MailRequestCreated     = "request_created"
	MailRequestCommented   = "request_commented"
)

//go:embed templates/*.txt templates/*.html
var templateFS embed.FS

// mailTemplate is one kind's templates: the subject and text part from
// text/template, the HTML part from html/template (which escapes what a
// client or the public wrote).
type mailTemplate struct {
	text *texttemplate.Template
	html *htmltemplate.Template
}

var mailTemplates = func() map[string]mailTemplate {
	out := map[string]mailTemplate{}
	for _, kind := range []string{MailBookingConfirmed, MailBookingReminder, MailBookingRescheduled, MailBookingCancelled, MailRequestCreated, MailRequestCommented} {
		parts := []string{"templates/layout", "templates/" + kind}
		if strings.HasPrefix(kind, "booking_") {
			parts = append(parts, "templates/booking")
		}
		var txt, html []string
		for _, p := range parts {
			txt, html = append(txt, p+".txt"), append(html, p+".html")
		}
		out[kind] = mailTemplate{
			text: texttemplate.Must(texttemplate.New(kind).Option("missingkey=error").ParseFS(templateFS, txt...)),
			html: htmltemplate.Must(htmltemplate.New(kind).Option("missingkey=error").ParseFS(templateFS, html...)),
		}
	}
	return out
}()

// mailData is what a mail template reads.
type mailData struct {
	// Firm is the tenant's display name; Sender signs the mail (the
	// communication settings' sender name); Footer closes it.
	Firm, Sender, Footer string
	// Subject is the rendered subject (the HTML part's title).
	Subject string
	// Recipient is the name of the staff member a staff mail goes to.
	Recipient string
	Booking   *bookingData
	Request   *requestData
	Comment   *commentData
}

type bookingData struct {
	Client, Service        string
	Date, Start, End, Zone string
	When                   string // date and start, for the subject
}

type requestData struct {
	Title, Client, Source string
}

type commentData struct {
	Author, Body string
}

func bookingDataOf(b store.GetBookingMailRow, loc *time.Location) *bookingData {
	start, end := b.StartsAt.In(loc), b.EndsAt.In(loc)
	return &bookingData{
		Client: b.ClientName, Service: b.ServiceName,
		Date: start.Format("Monday 2 January 2006"), Start: start.Format("15:04"), End: end.Format("15:04"), Zone: loc.String(),
		When: start.Format("2 January 2006 at 15:04"),
	}
}

// renderMail renders the mail of kind to address to from d, as text and
// HTML.
func renderMail(kind, to string, d mailData) (mailer.Message, error) {
	t, ok := mailTemplates[kind]
	if !ok {
		return mailer.Message{}, fmt.Errorf("no mail template %q", kind)
	}
	var subject, text, html bytes.Buffer
	if err := t.text.ExecuteTemplate(&subject, "subject", d); err != nil {
		return mailer.Message{}, fmt.Errorf("render %s subject: %w", kind, err)
	}
	d.Subject = strings.Join(strings.Fields(subject.String()), " ")
	if err := t.text.ExecuteTemplate(&text, "layout", d); err != nil {
		return mailer.Message{}, fmt.Errorf("render %s text: %w", kind, err)
	}
	if err := t.html.ExecuteTemplate(&html, "layout", d); err != nil {
		return mailer.Message{}, fmt.Errorf("render %s html: %w", kind, err)
	}
	return mailer.Message{To: to, Subject: d.Subject, Text: text.String(), HTML: html.String()}, nil
}

// firm reads what every tenant mail is signed with: the tenant's name,
// sender and footer, and its time zone.
func firm(ctx context.Context, tx *store.Tx, comm store.GetCommunicationSettingsRow) (mailData, *time.Location, error) {
	org, err := tx.GetOrganizationSettings(ctx, tx.TenantID())
	if err != nil {
		return mailData{}, nil, fmt.Errorf("read organization settings: %w", err)
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return mailData{Firm: org.DisplayName, Sender: comm.SenderName, Footer: comm.EmailFooter}, loc, nil
}

// Delivery results, as the delivery log records them.
const (
	DeliverySent   = "sent"
	DeliveryFailed = "failed"
)

// deliver sends m (of kind) and records the attempt in the delivery log of
// the tenant of ctx's scope, stamped with now. It returns the sending
// error, if any (the log row is written either way).
func deliver(ctx context.Context, st *store.Store, sender mailer.Sender, logger *slog.Logger, now time.Time, kind string, m mailer.Message) error {
	m.SentAt = now
	sendErr := sender.Send(ctx, m)
	result, detail := DeliverySent, ""
	if sendErr != nil {
		result, detail = DeliveryFailed, deliveryError(sendErr)
	}
	err := st.InTenant(ctx, func(tx *store.Tx) error {
		return tx.InsertMailDelivery(ctx, store.InsertMailDeliveryParams{
			TenantID: tx.TenantID(), Kind: kind, Recipient: m.To, Subject: clip(m.Subject, 500),
			Result: result, Error: detail, CreatedAt: now,
		})
	})
	if err != nil {
		// The mail went (or did not): a missing log row must not send it
		// again.
		logger.ErrorContext(ctx, "record mail delivery", slog.String("kind", kind), slog.Any("error", err))
	}
	if sendErr != nil {
		return fmt.Errorf("send %s: %w", kind, sendErr)
	}
	return nil
}

// deliveryError is what the delivery log keeps of a sending error: its
// first line, cut short. Sending errors name the server's reply, never the
// credentials; the cut bounds what a server echoes.
func deliveryError(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return clip(s, 300)
}

// clip cuts s to at most n bytes without splitting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
