package jobs

import (
	"github.com/google/uuid"

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

// Purge deletes one tenant's expired sessions, switch handoffs, open
// invitations, idempotency keys and unconfirmed public submissions.
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
	PurgeFanOut{}.Kind():   true,
	PurgeAccounts{}.Kind(): true,
}
