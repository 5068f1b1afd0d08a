package jobs

import (
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"

	"github.com/tenantkit/tenantkit/tenant"
)

// Tenant is embedded in the arguments of every tenant job: the tenant the
// job acts for and, when a member's action caused it, the member. The
// worker rebuilds the job's scope from these and nothing else.
type Tenant struct {
	// TenantID is the tenant the job acts for. The JSON key is the one the
	// river schema's row security reads: the app role can insert a job
	// only for the tenant of its transaction.
	TenantID uuid.UUID `json:"tenant_id"`
	// MemberID is the member whose action caused the job, if any: the job
	// runs only while that membership stands, and with its role.
	MemberID uuid.UUID `json:"member_id,omitzero"`
}

// JobTenantID returns the tenant the job acts for (store.JobArgs).
func (t Tenant) JobTenantID() uuid.UUID { return t.TenantID }

// For returns the Tenant of a job caused by the actor of scope s.
func For(s tenant.Scope) Tenant { return Tenant{TenantID: s.TenantID, MemberID: s.MemberID} }

// BookingConfirmation mails the client of a confirmed booking that it is
// confirmed, when the tenant's communication settings say so
// (notify_client_on_booking). Inserted in the transaction that creates a
// confirmed booking or confirms a pending one.
type BookingConfirmation struct {
	Tenant
	BookingID uuid.UUID `json:"booking_id"`
}

// Kind names the job for River.
func (BookingConfirmation) Kind() string { return "booking_confirmation_mail" }

// BookingReminder mails the client of a confirmed booking a reminder, with
// the booking's calendar entry, at RemindAt. Inserted with the
// confirmation, and again by a reschedule: a reminder whose StartsAt is no
// longer the booking's start (moved), or whose booking is no longer
// confirmed (cancelled), sends nothing, so the app role never has to
// change or delete a queued job. Sends nothing either when the client's
// preferences opt out (contact channel "none", or 0 minutes before).
type BookingReminder struct {
	Tenant
	BookingID uuid.UUID `json:"booking_id"`
	StartsAt  time.Time `json:"starts_at"`
	RemindAt  time.Time `json:"remind_at"`
}

// Kind names the job for River.
func (BookingReminder) Kind() string { return "booking_reminder_mail" }

// InsertOpts schedules the reminder at RemindAt (river.JobArgsWithInsertOpts).
func (a BookingReminder) InsertOpts() river.InsertOpts {
	return river.InsertOpts{ScheduledAt: a.RemindAt}
}

// BookingChanged mails the client that a booking was rescheduled or
// cancelled, with its calendar entry (the same UID: the calendar moves or
// removes the entry). A reschedule's mail sends nothing once the booking
// moved again (a newer one follows) or is no longer confirmed; a
// cancellation's only while the booking is cancelled.
type BookingChanged struct {
	Tenant
	BookingID uuid.UUID `json:"booking_id"`
	// Change is ChangeRescheduled or ChangeCancelled.
	Change string `json:"change"`
	// StartsAt is the new start of a reschedule.
	StartsAt time.Time `json:"starts_at,omitzero"`
}

// The changes BookingChanged mails about.
const (
	ChangeRescheduled = "rescheduled"
	ChangeCancelled   = "cancelled"
)

// Kind names the job for River.
func (BookingChanged) Kind() string { return "booking_change_mail" }

// DefaultReminderLead is how long before a booking its reminder goes out
// when the client's preferences do not say.
const DefaultReminderLead = 24 * time.Hour

// ReminderLead returns how long before a booking a client is reminded,
// from the client's preferences (contact channel, minutes before; a nil
// minutes before is the default), and false when the client opted out.
func ReminderLead(channel string, minutesBefore *int32) (time.Duration, bool) {
	if channel == "none" || minutesBefore != nil && *minutesBefore == 0 {
		return 0, false
	}
	if minutesBefore != nil {
		return time.Duration(*minutesBefore) * time.Minute, true
	}
	return DefaultReminderLead, true
}

// RequestStaffMail mails the tenant's staff about a service request a
// client filed (in the portal, or confirmed from the public form) or, with
// CommentID, about a client's comment on one, when the communication
// settings say so (notify_staff_on_request). The mail goes to the
// request's assignee when it has one who is still staff, otherwise to
// every live staff member, admin and owner of the tenant: never to anyone
// of another tenant, since the recipients are read under the job's
// tenant's row security. Inserted in the transaction that files the
// request or the comment. When some recipients could not be reached the
// job fails, and its retry mails only those: each message is logged with
// the job's id, and the log says whom the earlier attempts reached.
type RequestStaffMail struct {
	Tenant
	RequestID uuid.UUID `json:"request_id"`
	CommentID uuid.UUID `json:"comment_id,omitzero"`
}

// Kind names the job for River.
func (RequestStaffMail) Kind() string { return "request_staff_mail" }

// Recurrence makes one tenant's due occurrences of its recurring service
// requests (Config.Occurrences).
type Recurrence struct {
	Tenant
}

// Kind names the job for River.
func (Recurrence) Kind() string { return "recurrence_tenant" }

// RecurrenceFanOut is periodic and global: it inserts one Recurrence per
// active tenant, each in that tenant's own transaction.
type RecurrenceFanOut struct{}

// Kind names the job for River.
func (RecurrenceFanOut) Kind() string { return "recurrence_fan_out" }

// Purge deletes one tenant's expired sessions, switch handoffs, open
// invitations, idempotency keys and unconfirmed public submissions, and
// its delivery log's entries older than [MailDeliveryRetention].
type Purge struct {
	Tenant
}

// Kind names the job for River.
func (Purge) Kind() string { return "purge_tenant" }

// PurgeFanOut is periodic and global: it inserts one Purge per active
// tenant, each in that tenant's own transaction.
type PurgeFanOut struct{}

// Kind names the job for River.
func (PurgeFanOut) Kind() string { return "purge_fan_out" }

// PurgeAccounts is periodic and global: it deletes the expired rows no
// tenant owns (password resets, sign-ups, apex sessions) on the audited
// platform path.
type PurgeAccounts struct{}

// Kind names the job for River.
func (PurgeAccounts) Kind() string { return "purge_accounts" }

// globalKinds are the kinds that act for no tenant. Every other kind must
// name its tenant, or the worker refuses it.
var globalKinds = map[string]bool{
	PurgeFanOut{}.Kind():      true,
	PurgeAccounts{}.Kind():    true,
	RecurrenceFanOut{}.Kind(): true,
}

// MailDeliveryRetention is how long the delivery log keeps an entry.
const MailDeliveryRetention = 90 * 24 * time.Hour
