package jobs

import (
	"context"
	"log/slog"
	"time"

	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/mailer/tenantmail"
	"github.com/tenantkit/tenantkit/store"
)

// The mail kinds the jobs send, as the delivery log records them (the
// templates are the mailer's).
const (
	MailBookingConfirmed   = mailer.KindBookingConfirmed
	MailBookingReminder    = mailer.KindBookingReminder
	MailBookingRescheduled = mailer.KindBookingRescheduled
	MailBookingCancelled   = mailer.KindBookingCancelled
	MailRequestCreated     = mailer.KindRequestCreated
	MailRequestCommented   = mailer.KindRequestCommented
)

// Delivery results, as the delivery log records them.
const (
	DeliverySent   = tenantmail.Sent
	DeliveryFailed = tenantmail.Failed
)

func bookingDataOf(b store.GetBookingMailRow, loc *time.Location) *mailer.BookingData {
	start, end := b.StartsAt.In(loc), b.EndsAt.In(loc)
	return &mailer.BookingData{
		Client: b.ClientName, Service: b.ServiceName,
		Date: start.Format("Monday 2 January 2006"), Start: start.Format("15:04"), End: end.Format("15:04"), Zone: loc.String(),
		When: start.Format("2 January 2006 at 15:04"),
	}
}

// deliver sends m and records the attempt in the delivery log of the
// tenant of ctx's scope, stamped with now (tenantmail.Deliver).
func deliver(ctx context.Context, st *store.Store, sender mailer.Sender, logger *slog.Logger, now time.Time, m mailer.Message) error {
	return tenantmail.Deliver(ctx, st, sender, logger, tenantmail.Attempt{Message: m, At: now})
}
