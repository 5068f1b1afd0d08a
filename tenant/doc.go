// Package tenant is the core of tenantkit: the tenant record, the scope a
// request or job runs in, the roles a member can hold, and the error codes
// every layer speaks.
//
// # Scope
//
// A [Scope] names the one tenant a unit of work may touch, and the account
// and member acting in it. It lives only in a [context.Context], under an
// unexported key, set by [WithScope] after the web layer has verified the
// host, the session and the signed tenant cookie against each other, or by a
// job worker after it has re-checked the tenant and member named in the job.
// Nothing else may construct the scope a data path uses: the store refuses to
// run a tenant transaction when [ScopeFrom] finds none.
//
// # Errors
//
// Every layer reports failures as an [*Error] carrying a [Code]. The store
// translates driver errors into codes at its boundary, the web layer maps
// codes to HTTP statuses in one table. Another tenant's row is reported
// exactly like a missing one: [CodeNotFound], never [CodeForbidden].
//
// The package imports only the standard library and github.com/google/uuid,
// a value type with no I/O, so that identifiers have one representation from
// the database to the wire.
package tenant
