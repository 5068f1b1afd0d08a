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
	"github.com/tenantkit/tenantkit/tenant"
)

// confirmationWorker mails a booking's client that it is confirmed.
type confirmationWorker struct {
	river.WorkerDefaults[BookingConfirmation]
	store  *store.Store
	sender mailer.Sender
	now    func() time.Time
	logger *slog.Logger
}

func (w *confirmationWorker) Work(ctx context.Context, job *river.Job[BookingConfirmation]) error {
	now := w.now()
	var msg *mailer.Message
	err := w.store.ReadTenant(ctx, func(tx *store.Tx) error {
		comm, err := tx.GetCommunicationSettings(ctx, tx.TenantID())
		if err != nil {
			return fmt.Errorf("read communication settings: %w", err)
		}
		if !comm.NotifyClientOnBooking {
			return nil
		}
		// Row security and the tenant filter: another tenant's booking id
		// finds nothing, like a missing one.
		b, err := tx.GetBookingMail(ctx, store.GetBookingMailParams{TenantID: tx.TenantID(), ID: job.Args.BookingID})
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read booking: %w", err)
		}
		if b.Status != "confirmed" {
			return nil
		}
		msg, err = bookingMail(ctx, tx, comm, MailBookingConfirmed, b, now)
		return err
	})
	if err != nil || msg == nil {
		return err
	}
	if err := deliver(ctx, w.store, w.sender, w.logger, now, *msg); err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "booking confirmation mailed", slog.String("booking_id", job.Args.BookingID.String()))
	return nil
}

// bookingMail renders the mail of kind about booking b to its client, in
// the tenant's time zone, with the booking's calendar entry.
func bookingMail(ctx context.Context, tx *store.Tx, comm store.GetCommunicationSettingsRow, kind string, b store.GetBookingMailRow, now time.Time) (*mailer.Message, error) {
	d, loc, err := tenantmail.Firm(ctx, tx, comm)
	if err != nil {
		return nil, err
	}
	d.Booking = bookingDataOf(b, loc)
	m, err := mailer.Render(kind, b.ClientEmail, d)
	if err != nil {
		return nil, err
	}
	m.TenantID = tx.TenantID()
	m.Attachments = []mailer.Attachment{bookingICS(b, d.Firm, now)}
	return &m, nil
}

// reminderWorker mails a booking's client a reminder with its calendar
// entry, unless the booking moved, is no longer confirmed, has begun, or
// the client opted out.
type reminderWorker struct {
	river.WorkerDefaults[BookingReminder]
	store  *store.Store
	sender mailer.Sender
	now    func() time.Time
	logger *slog.Logger
}

func (w *reminderWorker) Work(ctx context.Context, job *river.Job[BookingReminder]) error {
	now := w.now()
	var msg *mailer.Message
	err := w.store.ReadTenant(ctx, func(tx *store.Tx) error {
		comm, err := tx.GetCommunicationSettings(ctx, tx.TenantID())
		if err != nil {
			return fmt.Errorf("read communication settings: %w", err)
		}
		if !comm.NotifyClientOnBooking {
			return nil
		}
		b, err := tx.GetBookingMail(ctx, store.GetBookingMailParams{TenantID: tx.TenantID(), ID: job.Args.BookingID})
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read booking: %w", err)
		}
		if b.Status != "confirmed" || !b.StartsAt.Equal(job.Args.StartsAt) || !now.Before(b.StartsAt) {
			return nil
		}
		p, err := tx.GetClientPreferences(ctx, store.GetClientPreferencesParams{TenantID: tx.TenantID(), MemberID: b.ClientMemberID})
		if err != nil && !store.IsNotFound(err) {
			return fmt.Errorf("read client preferences: %w", err)
		}
		if _, ok := ReminderLead(p.ContactChannel, p.ReminderMinutesBefore); !ok {
			return nil
		}
		msg, err = bookingMail(ctx, tx, comm, MailBookingReminder, b, now)
		return err
	})
	if err != nil || msg == nil {
		return err
	}
	if err := deliver(ctx, w.store, w.sender, w.logger, now, *msg); err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "booking reminder mailed", slog.String("booking_id", job.Args.BookingID.String()))
	return nil
}

// changeWorker mails a booking's client that it was moved or cancelled.
type changeWorker struct {
	river.WorkerDefaults[BookingChanged]
	store  *store.Store
	sender mailer.Sender
	now    func() time.Time
	logger *slog.Logger
}

func (w *changeWorker) Work(ctx context.Context, job *river.Job[BookingChanged]) error {
	kind := MailBookingRescheduled
	switch job.Args.Change {
	case ChangeRescheduled:
	case ChangeCancelled:
		kind = MailBookingCancelled
	default:
		return river.JobCancel(fmt.Errorf("unknown booking change %q", job.Args.Change))
	}
	now := w.now()
	var msg *mailer.Message
	err := w.store.ReadTenant(ctx, func(tx *store.Tx) error {
		comm, err := tx.GetCommunicationSettings(ctx, tx.TenantID())
		if err != nil {
			return fmt.Errorf("read communication settings: %w", err)
		}
		if !comm.NotifyClientOnBooking {
			return nil
		}
		b, err := tx.GetBookingMail(ctx, store.GetBookingMailParams{TenantID: tx.TenantID(), ID: job.Args.BookingID})
		if store.IsNotFound(err) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read booking: %w", err)
		}
		switch job.Args.Change {
		case ChangeRescheduled:
			if b.Status != "confirmed" || !b.StartsAt.Equal(job.Args.StartsAt) {
				return nil
			}
		case ChangeCancelled:
			if b.Status != "cancelled" {
				return nil
			}
		}
		p, err := tx.GetClientPreferences(ctx, store.GetClientPreferencesParams{TenantID: tx.TenantID(), MemberID: b.ClientMemberID})
		if err != nil && !store.IsNotFound(err) {
			return fmt.Errorf("read client preferences: %w", err)
		}
		if p.ContactChannel == "none" {
			return nil
		}
		msg, err = bookingMail(ctx, tx, comm, kind, b, now)
		return err
	})
	if err != nil || msg == nil {
		return err
	}
	if err := deliver(ctx, w.store, w.sender, w.logger, now, *msg); err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "booking change mailed", slog.String("booking_id", job.Args.BookingID.String()), slog.String("change", job.Args.Change))
	return nil
}

// purgeWorker deletes one tenant's expired rows, in its transaction.
type purgeWorker struct {
	river.WorkerDefaults[Purge]
	store  *store.Store
	now    func() time.Time
	logger *slog.Logger
}

// PurgeCounts are the rows one purge deleted, per table.
type PurgeCounts struct {
	Sessions, Handoffs, Invitations, IdempotencyKeys, PublicSubmissions, MailDeliveries int64
}

func (w *purgeWorker) Work(ctx context.Context, job *river.Job[Purge]) error {
	c, err := PurgeTenant(ctx, w.store, w.now())
	if err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "expired rows purged",
		slog.Int64("sessions", c.Sessions), slog.Int64("handoffs", c.Handoffs), slog.Int64("invitations", c.Invitations),
		slog.Int64("idempotency_keys", c.IdempotencyKeys), slog.Int64("public_submissions", c.PublicSubmissions),
		slog.Int64("mail_deliveries", c.MailDeliveries))
	return nil
}

// PurgeTenant deletes the expired rows of the tenant of ctx's scope:
// those whose expiry is at or before now, and the delivery log's entries
// [MailDeliveryRetention] old or older.
func PurgeTenant(ctx context.Context, st *store.Store, now time.Time) (PurgeCounts, error) {
	var c PurgeCounts
	err := st.InTenant(ctx, func(tx *store.Tx) error {
		id := tx.TenantID()
		var err error
		if c.Sessions, err = tx.PurgeExpiredSessions(ctx, store.PurgeExpiredSessionsParams{TenantID: id, Now: now}); err != nil {
			return fmt.Errorf("purge sessions: %w", err)
		}
		if c.Handoffs, err = tx.PurgeExpiredHandoffs(ctx, store.PurgeExpiredHandoffsParams{TenantID: id, Now: now}); err != nil {
			return fmt.Errorf("purge handoffs: %w", err)
		}
		if c.Invitations, err = tx.PurgeExpiredInvitations(ctx, store.PurgeExpiredInvitationsParams{TenantID: id, Now: now}); err != nil {
			return fmt.Errorf("purge invitations: %w", err)
		}
		if c.IdempotencyKeys, err = tx.PurgeExpiredIdempotencyKeys(ctx, store.PurgeExpiredIdempotencyKeysParams{TenantID: id, Now: now}); err != nil {
			return fmt.Errorf("purge idempotency keys: %w", err)
		}
		if c.PublicSubmissions, err = tx.PurgeExpiredPublicSubmissions(ctx, store.PurgeExpiredPublicSubmissionsParams{TenantID: id, Now: now}); err != nil {
			return fmt.Errorf("purge public submissions: %w", err)
		}
		if c.MailDeliveries, err = tx.PurgeMailDeliveries(ctx, store.PurgeMailDeliveriesParams{TenantID: id, Before: now.Add(-MailDeliveryRetention)}); err != nil {
			return fmt.Errorf("purge mail deliveries: %w", err)
		}
		return nil
	})
	return c, err
}

// fanOutWorker inserts one Purge per active tenant, each in that tenant's
// own transaction (so the database checks the job's tenant as it checks
// any other).
type fanOutWorker struct {
	river.WorkerDefaults[PurgeFanOut]
	store  *store.Store
	logger *slog.Logger
}

func (w *fanOutWorker) Work(ctx context.Context, _ *river.Job[PurgeFanOut]) error {
	n, err := FanOut(ctx, w.store, func(t Tenant) store.JobArgs { return Purge{Tenant: t} })
	w.logger.InfoContext(ctx, "purges queued", slog.Int("tenants", n))
	return err
}

// FanOut inserts the job mk returns for each active tenant, in a
// transaction of that tenant, and returns how many it inserted.
func FanOut(ctx context.Context, st *store.Store, mk func(Tenant) store.JobArgs) (int, error) {
	var ids []uuid.UUID
	if err := st.ReadGlobal(ctx, func(tx *store.Tx) error {
		var err error
		ids, err = tx.ListActiveTenantIDs(ctx)
		return err
	}); err != nil {
		return 0, fmt.Errorf("list active tenants: %w", err)
	}
	n := 0
	for _, id := range ids {
		sctx := tenant.WithScope(ctx, tenant.Scope{TenantID: id, RequestID: tenant.RequestIDFrom(ctx)})
		err := st.InTenant(sctx, func(tx *store.Tx) error { return tx.InsertJob(sctx, mk(Tenant{TenantID: id})) })
		if tenant.IsCode(err, tenant.CodeNotFound) {
			continue // suspended since it was listed: row security refuses its rows
		}
		if err != nil {
			return n, fmt.Errorf("queue job for tenant %s: %w", id, err)
		}
		n++
	}
	return n, nil
}

// purgeAccountsWorker deletes the expired rows no tenant owns.
type purgeAccountsWorker struct {
	river.WorkerDefaults[PurgeAccounts]
	store  *store.Store
	now    func() time.Time
	logger *slog.Logger
}

func (w *purgeAccountsWorker) Work(ctx context.Context, _ *river.Job[PurgeAccounts]) error {
	resets, signups, sessions, err := PurgeAccountRows(ctx, w.store, w.now())
	if err != nil {
		return err
	}
	w.logger.InfoContext(ctx, "expired account rows purged",
		slog.Int64("password_resets", resets), slog.Int64("signups", signups), slog.Int64("account_sessions", sessions))
	return nil
}

// PurgeAccountRows deletes the password resets, unconfirmed sign-ups and
// apex sessions expired at now, on the audited platform path.
func PurgeAccountRows(ctx context.Context, st *store.Store, now time.Time) (resets, signups, sessions int64, err error) {
	op := store.PlatformOp{
		Actor: "system:jobs", Action: "purge.expired",
		Reason: "delete expired password resets, sign-ups and apex sessions",
		Detail: map[string]any{"now": now},
	}
	err = st.InPlatform(ctx, op, func(tx *store.PlatformTx) error {
		var err error
		if resets, err = tx.PurgeExpiredPasswordResets(ctx, now); err != nil {
			return fmt.Errorf("purge password resets: %w", err)
		}
		if signups, err = tx.PurgeExpiredSignups(ctx, now); err != nil {
			return fmt.Errorf("purge sign-ups: %w", err)
		}
		if sessions, err = tx.PurgeExpiredAccountSessions(ctx, now); err != nil {
			return fmt.Errorf("purge apex sessions: %w", err)
		}
		return nil
	})
	return resets, signups, sessions, err
}
