// Package jobs is tenantkit's background work, on River
// (github.com/riverqueue/river) over PostgreSQL.
//
// # A job carries its tenant
//
// A tenant job's arguments embed [Tenant]: the tenant it acts for and the
// member whose action caused it. It is inserted with store.Tx.InsertJob in
// the tenant transaction of the change that causes it (River's InsertTx),
// so a change that rolls back leaves no job; the database refuses a job
// that names another tenant than the transaction's (row security on
// river.river_job).
//
// # A worker rebuilds the scope
//
// Before any work, a middleware reads the tenant (and member) from the
// job's arguments, and cancels the job when the tenant is suspended or
// gone or the member no longer holds the membership; otherwise it puts the
// scope in the context, and the work reaches the database only through the
// store's tenant path, as the app role: another tenant's ids in the
// arguments find nothing. Kinds that act for no tenant (the periodic
// fan-outs) are listed apart, and any other kind without a tenant is
// refused.
//
// # Roles
//
// River's own bookkeeping (fetching, completing, retrying, leader
// election) runs on a pool of the jobs role, which reaches only the river
// schema; the work itself runs on the store's app pool in the job's
// tenant.
//
// # Periodic jobs
//
// [PurgeFanOut] inserts one [Purge] per active tenant; [PurgeAccounts]
// purges the account-level rows on the audited platform path. Purges
// delete only rows expired at the instant of the injected clock.
// [RecurrenceFanOut] inserts one [Recurrence] per active tenant, which
// makes that tenant's due recurring service requests: each occurrence
// once, however often it runs (a key on the rule and the date).
//
// # Mail
//
// Mail is rendered from the mailer's templates (mailer.Render: a subject
// and a text part with text/template, an HTML part with html/template,
// both laid out with the firm's name, sender and footer) and sent as
// multipart/alternative. Every attempt is recorded in the tenant's
// delivery log (mail_deliveries, tenantmail.Deliver), written by the job
// in its tenant's transaction and stamped by the injected clock; the
// purge keeps it [MailDeliveryRetention].
package jobs
