package jobs

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
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
		if msgs, err = staffMessages(ctx, tx, kind, job.Args); err != nil || job.Attempt <= 1 || len(msgs) == 0 {
			return err
		}
		// A retry mails only whom the earlier attempts did not reach: the
		// delivery log, where each attempt recorded each message with the
		// job's id, is the record.
		sent, err := tenantmail.SentByJob(ctx, tx, job.ID, kind)
		msgs = slices.DeleteFunc(msgs, func(m mailer.Message) bool { return sent[m.To] })
		return err
	})
	if err != nil {
		return err
	}
	// One message per recipient (no one sees another's address). When any
	// fails the job fails, and River retries it for those alone.
	var failed []error
	for _, m := range msgs {
		if err := tenantmail.Deliver(ctx, w.store, w.sender, w.logger, tenantmail.Attempt{Message: m, At: now, JobID: job.ID}); err != nil {
			w.logger.WarnContext(ctx, "staff mail not sent", slog.String("kind", kind), slog.Any("error", err))
			failed = append(failed, err)
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("staff mail: %d of %d recipients not reached: %w", len(failed), len(msgs), errors.Join(failed...))
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
