package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/mailer/tenantmail"
	"github.com/tenantkit/tenantkit/store"
)

// staffMailWorker mails the tenant's staff about a client's new request or
// comment.
type staffMailWorker struct {
	river.WorkerDefaults[RequestStaffMail]
	store  *store.Store
	sender mailer.Sender
	now    func() time.Time
	logger *slog.Logger
}

func (w *staffMailWorker) Work(ctx context.Context, job *river.Job[RequestStaffMail]) error {
	now := w.now()
	kind := MailRequestCreated
	if job.Args.CommentID != uuid.Nil {
		kind = MailRequestCommented
	}
	var msgs []mailer.Message
	err := w.store.ReadTenant(ctx, func(tx *store.Tx) error {
		var err error
		msgs, err = staffMessages(ctx, tx, kind, job.Args)
		return err
	})
	if err != nil {
		return err
	}
	// One message per recipient (no one sees another's address). A retry
	// would mail again those already mailed, so the job fails (and is
	// retried) only when no message went out; the delivery log records
	// each failure.
	var failed error
	nFailed := 0
	for _, m := range msgs {
		if err := deliver(ctx, w.store, w.sender, w.logger, now, m); err != nil {
			w.logger.WarnContext(ctx, "staff mail not sent", slog.String("kind", kind), slog.Any("error", err))
			failed = err
			nFailed++
		}
	}
	if nFailed > 0 && nFailed == len(msgs) {
		return failed
	}
	if len(msgs) > 0 {
		w.logger.InfoContext(ctx, "staff mailed", slog.String("kind", kind),
			slog.String("service_request_id", job.Args.RequestID.String()), slog.Int("recipients", len(msgs)))
	}
	return nil
}

// staffMessages renders the staff mail of kind about the request (and
// comment) of args, in the tenant of tx: none when the settings turn it
// off, or when the request or comment is not found (another tenant's id
// reads like a missing one), or the comment is not a client's.
func staffMessages(ctx context.Context, tx *store.Tx, kind string, args RequestStaffMail) ([]mailer.Message, error) {
	comm, err := tx.GetCommunicationSettings(ctx, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("read communication settings: %w", err)
	}
	if !comm.NotifyStaffOnRequest {
		return nil, nil
	}
	r, err := tx.GetRequestMail(ctx, store.GetRequestMailParams{TenantID: tx.TenantID(), ID: args.RequestID})
	if store.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read service request: %w", err)
	}
	d, _, err := tenantmail.Firm(ctx, tx, comm)
	if err != nil {
		return nil, err
	}
	d.Request = &mailer.RequestData{Title: r.Title, Client: r.ClientName, Source: r.Source}
	if kind == MailRequestCommented {
		c, err := tx.GetCommentMail(ctx, store.GetCommentMailParams{TenantID: tx.TenantID(), ServiceRequestID: r.ID, ID: args.CommentID})
		if store.IsNotFound(err) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read comment: %w", err)
		}
		if c.AuthorRole != "client" || c.Visibility != "client" {
			return nil, nil
		}
		d.Comment = &mailer.CommentData{Author: c.AuthorName, Body: c.Body}
	}
	staff, err := tx.ListStaffRecipients(ctx, tx.TenantID())
	if err != nil {
		return nil, fmt.Errorf("read staff: %w", err)
	}
	if r.AssignedMemberID != nil {
		for _, s := range staff {
			if s.ID == *r.AssignedMemberID {
				staff = []store.ListStaffRecipientsRow{s}
				break
			}
		}
	}
	out := make([]mailer.Message, 0, len(staff))
	for _, s := range staff {
		d.Recipient = s.DisplayName
		m, err := mailer.Render(kind, s.Email, d)
		if err != nil {
			return nil, err
		}
		m.TenantID = tx.TenantID()
		out = append(out, m)
	}
	return out, nil
}
