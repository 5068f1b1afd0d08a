// Package mailer sends tenantkit's email: invitations, password resets and
// the mail of the tenants' jobs (bookings, staff notifications).
// Recipients come from the database under row security and links from the
// configured public URL, never from a request's Host header.
//
// Every message is rendered from the embedded templates by [Render]: a
// subject and a text part with text/template, an HTML part with
// html/template (which escapes whatever a client, an admin or the public
// typed), both laid out with the firm's name, sender and footer. The
// tenant's side (the firm's signature, the delivery log) is package
// tenantmail's.
//
// Three senders: [SMTP] for real delivery; [Outbox], which keeps the most
// recent messages in memory for `tenantkit dev` to show; and [Discard], for
// a server with no SMTP configured, which sends nothing and never shows a
// message's text (it holds one-time links) to anyone.
package mailer

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/google/uuid"
	mail "github.com/wneessen/go-mail"
)

// Message is one email. TenantID names the tenant it is sent for (uuid.Nil
// for platform mail).
type Message struct {
	TenantID uuid.UUID
	// Kind is what the mail is (KindInvitation, ...); [Render] sets it.
	// The tenant's delivery log records a message of a tenant kind under
	// it (see [TenantKind]).
	Kind    string
	To      string
	Subject string
	Text    string
	// HTML, when set, is the message's HTML part: the message is sent as
	// multipart/alternative, Text first.
	HTML        string
	Attachments []Attachment
	SentAt      time.Time
}

// Attachment is a file sent with a message, such as a calendar entry.
type Attachment struct {
	Name        string // file name, such as "booking.ics"
	ContentType string // such as "text/calendar; method=REQUEST"
	Data        []byte
}

// Sender sends messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// Discard is a Sender that sends nothing: it logs that a message was not
// sent, with its tenant and subject but neither its recipient nor its text.
type Discard struct {
	Logger *slog.Logger
}

// Send logs that m was not sent.
func (d Discard) Send(ctx context.Context, m Message) error {
	d.Logger.WarnContext(ctx, "mail not sent: no SMTP server is configured (SMTP_HOST)",
		slog.String("mail_tenant_id", m.TenantID.String()), slog.String("subject", m.Subject))
	return nil
}

// Outbox is a Sender that keeps the last messages in memory.
type Outbox struct {
	mu   sync.Mutex
	max  int
	now  func() time.Time
	msgs []Message
}

// NewOutbox returns an Outbox keeping the last max messages, stamped with
// the time from now.
func NewOutbox(max int, now func() time.Time) *Outbox { return &Outbox{max: max, now: now} }

// Send records m.
func (o *Outbox) Send(_ context.Context, m Message) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	m.SentAt = o.now()
	o.msgs = append(o.msgs, m)
	if len(o.msgs) > o.max {
		o.msgs = o.msgs[len(o.msgs)-o.max:]
	}
	return nil
}

// Messages returns the kept messages, newest first.
func (o *Outbox) Messages() []Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]Message, len(o.msgs))
	for i, m := range o.msgs {
		out[len(o.msgs)-1-i] = m
	}
	return out
}

// SMTPConfig configures SMTP delivery.
type SMTPConfig struct {
	Host, Username, Password, From string
	Port                           int
}

// SMTP delivers messages through an SMTP server, with STARTTLS required.
type SMTP struct {
	cfg SMTPConfig
}

// NewSMTP returns an SMTP sender.
func NewSMTP(cfg SMTPConfig) *SMTP { return &SMTP{cfg: cfg} }

// Send delivers m.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	msg := mail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return fmt.Errorf("mail from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("mail to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetBodyString(mail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(mail.TypeTextHTML, m.HTML)
	}
	for _, a := range m.Attachments {
		if err := msg.AttachReader(a.Name, bytes.NewReader(a.Data), mail.WithFileContentType(mail.ContentType(a.ContentType))); err != nil {
			return fmt.Errorf("mail attachment %s: %w", a.Name, err)
		}
	}
	opts := []mail.Option{mail.WithPort(s.cfg.Port), mail.WithTLSPolicy(mail.TLSMandatory), mail.WithTimeout(15 * time.Second)}
	if s.cfg.Username != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(s.cfg.Username), mail.WithPassword(s.cfg.Password))
	}
	c, err := mail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("smtp send: %w", err)
	}
	return nil
}
