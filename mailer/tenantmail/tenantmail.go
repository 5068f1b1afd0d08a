// Package tenantmail is the tenant side of tenantkit's mail: the firm a
// tenant's mail is signed with, and the tenant's delivery log
// (mail_deliveries). Both go through the store's tenant path, under the
// row security of the tenant of the context's scope: a delivery is never
// recorded with the platform or owner role, and never in another tenant's
// log.
//
// The jobs record each message they send with [Deliver]; the mail a
// request causes (an invitation, a public form's confirmation) leaves
// through the mailer's queue, whose worker sends through a [Logged]
// sender, so its log row holds the real result of sending without the
// request waiting on the mail server.
package tenantmail

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Delivery results, as the delivery log records them.
const (
	Sent   = "sent"
	Failed = "failed"
)

// Firm returns what every mail of the tenant of tx is signed with (its
// name, the sender and footer of its communication settings comm) and the
// tenant's time zone.
func Firm(ctx context.Context, tx *store.Tx, comm store.GetCommunicationSettingsRow) (mailer.Data, *time.Location, error) {
	org, err := tx.GetOrganizationSettings(ctx, tx.TenantID())
	if err != nil {
		return mailer.Data{}, nil, fmt.Errorf("read organization settings: %w", err)
	}
	loc, err := time.LoadLocation(org.TimeZone)
	if err != nil {
		loc = time.UTC
	}
	return mailer.Data{Firm: org.DisplayName, Sender: comm.SenderName, Footer: comm.EmailFooter}, loc, nil
}

// ReadFirm is [Firm] reading the communication settings itself.
func ReadFirm(ctx context.Context, tx *store.Tx) (mailer.Data, *time.Location, error) {
	comm, err := tx.GetCommunicationSettings(ctx, tx.TenantID())
	if err != nil {
		return mailer.Data{}, nil, fmt.Errorf("read communication settings: %w", err)
	}
	return Firm(ctx, tx, comm)
}

// LinkMail renders the tenant mail of kind to address to, signed by the
// firm of tx's tenant, with a one-time link (its URL and button label)
// that stops working at expires, shown in the tenant's time zone. extra,
// when not nil, fills in what else the kind reads.
func LinkMail(ctx context.Context, tx *store.Tx, kind, to, url, label string, expires time.Time, extra func(*mailer.Data)) (mailer.Message, error) {
	d, loc, err := ReadFirm(ctx, tx)
	if err != nil {
		return mailer.Message{}, err
	}
	d.Link = &mailer.LinkData{URL: url, Label: label, Expires: expires.In(loc).Format(mailer.ExpiryFormat)}
	if extra != nil {
		extra(&d)
	}
	m, err := mailer.Render(kind, to, d)
	m.TenantID = tx.TenantID()
	return m, err
}

// Attempt is one message to send and record.
type Attempt struct {
	Message mailer.Message
	// At stamps the log row (and the message's SentAt).
	At time.Time
	// JobID is the job sending the message, 0 for none: a retry of the
	// job finds in the log whom its earlier attempts reached ([SentByJob]).
	JobID int64
}

// Deliver sends a.Message through sender and records the attempt, with
// its result, in the delivery log of the tenant of ctx's scope, under the
// message's Kind. It returns the sending error, if any (the log row is
// written either way; failing to write it is logged, not returned: the
// mail went, or did not, and must not go again for want of a row).
func Deliver(ctx context.Context, st *store.Store, sender mailer.Sender, logger *slog.Logger, a Attempt) error {
	m := a.Message
	m.SentAt = a.At
	sendErr := sender.Send(ctx, m)
	result, detail := Sent, ""
	if sendErr != nil {
		result, detail = Failed, deliveryError(sendErr)
	}
	var jobID *int64
	if a.JobID != 0 {
		jobID = &a.JobID
	}
	err := st.InTenant(ctx, func(tx *store.Tx) error {
		if m.TenantID != tx.TenantID() {
			return fmt.Errorf("message of tenant %s sent in the scope of tenant %s", m.TenantID, tx.TenantID())
		}
		return tx.InsertMailDelivery(ctx, store.InsertMailDeliveryParams{
			TenantID: tx.TenantID(), Kind: m.Kind, Recipient: m.To, Subject: clip(m.Subject, 500),
			Result: result, Error: detail, CreatedAt: a.At, JobID: jobID,
		})
	})
	if err != nil {
		logger.ErrorContext(ctx, "record mail delivery", slog.String("kind", m.Kind), slog.Any("error", err))
	}
	if sendErr != nil {
		return fmt.Errorf("send %s: %w", m.Kind, sendErr)
	}
	return nil
}

// SentByJob returns the recipients the delivery log shows job id of the
// tenant of tx already reached with mail of kind.
func SentByJob(ctx context.Context, tx *store.Tx, id int64, kind string) (map[string]bool, error) {
	rs, err := tx.ListJobMailSent(ctx, store.ListJobMailSentParams{TenantID: tx.TenantID(), JobID: id, Kind: kind})
	if err != nil {
		return nil, fmt.Errorf("read delivery log: %w", err)
	}
	out := make(map[string]bool, len(rs))
	for _, r := range rs {
		out[r] = true
	}
	return out, nil
}

// Logged is a Sender that sends through Next and records each message of
// a tenant kind (see mailer.TenantKind) in the delivery log of the tenant
// of the context's scope, which must be the message's tenant. Account
// mail (a password reset) passes through unrecorded. The mailer's queue
// delivers through it: the row is written off the request's path, with
// the real result.
type Logged struct {
	Next   mailer.Sender
	Store  *store.Store
	Now    func() time.Time
	Logger *slog.Logger
}

// Send sends m and records it when it is a tenant's.
func (l Logged) Send(ctx context.Context, m mailer.Message) error {
	if !mailer.TenantKind(m.Kind) {
		return l.Next.Send(ctx, m)
	}
	if s, ok := tenant.ScopeFrom(ctx); !ok || s.TenantID != m.TenantID {
		// Nothing to record it under: send it, and say so.
		l.Logger.ErrorContext(ctx, "tenant mail outside its tenant's scope: not recorded", slog.String("kind", m.Kind))
		return l.Next.Send(ctx, m)
	}
	return Deliver(ctx, l.Store, l.Next, l.Logger, Attempt{Message: m, At: l.Now()})
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
