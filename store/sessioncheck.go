package store

import (
	"context"
	"errors"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/tenant"
)

// sessionGuardSQL raises SQLSTATE TKS01 (through session_ended, migration
// 00025) unless the session is live with the member and role given: what
// CheckSession checks, and that the member and role the server remembered
// are still the database's. It runs as the app role, under the policies
// of the scope the same batch set. $1 tenant, $2 session, $3 account, $4
// member, $5 role, $6 the token's session version, $7 now.
const sessionGuardSQL = `SELECT CASE WHEN EXISTS (
    SELECT 1
    FROM sessions s
    JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
    JOIN accounts a ON a.id = s.account_id
    CROSS JOIN security_defaults d
    LEFT JOIN security_settings ss ON ss.tenant_id = s.tenant_id
    WHERE s.tenant_id = $1 AND s.id = $2 AND s.account_id = $3
      AND s.revoked_at IS NULL AND s.expires_at > $7::timestamptz
      AND s.last_used_at > $7::timestamptz - make_interval(mins => coalesce(ss.idle_timeout_minutes, d.idle_timeout_minutes))
      AND m.id = $4 AND m.role = $5::text AND m.removed_at IS NULL
      AND a.disabled_at IS NULL AND a.session_version = $6::bigint
) THEN true ELSE session_ended() END`

// sessionEndedState is the SQLSTATE the session guard raises.
const sessionEndedState = "TKS01"

// ErrSessionEnded is the cause of the error a request gets when its
// session check finds the session, membership or account no longer live.
var ErrSessionEnded = errors.New("session revoked, expired, or membership ended")

// errSessionEnded is what the request sees: the same as for any dead
// session at sign-in time.
var errSessionEnded = &tenant.Error{Code: tenant.CodeUnauthorized, Message: "sign in required", Err: ErrSessionEnded}

// A SessionCheck is the per-request check of a tenant session whose
// member and role the server already knows (from an earlier full check),
// deferred to the request's first statement: the store sends it in the
// same batch as the scope settings and that statement, so a read request
// stays one round trip with revocation included. When the session is no
// longer live the check raises, PostgreSQL skips the rest of the batch,
// and the statement fails with CodeUnauthorized before any tenant row is
// read. After a failure every later statement of the request fails the
// same way without reaching the database.
//
// A request that sends no statement in its tenant must still run the
// check before it answers: see [Store.ConfirmSession].
type SessionCheck struct {
	TenantID  uuid.UUID
	SessionID uuid.UUID
	AccountID uuid.UUID
	MemberID  uuid.UUID
	Role      string
	Version   int64
	Now       time.Time

	state atomic.Int32 // checkPending, checkPassed or checkFailed
}

const (
	checkPending int32 = iota
	checkPassed
	checkFailed
)

func (c *SessionCheck) args() []any {
	return []any{c.TenantID, c.SessionID, c.AccountID, c.MemberID, c.Role, c.Version, c.Now}
}

// settle records the outcome of a batch that carried the check: err is
// the batch's first error, nil when the check's statement succeeded.
func (c *SessionCheck) settle(err error) {
	switch {
	case err == nil:
		c.state.CompareAndSwap(checkPending, checkPassed)
	case isSessionEnded(err):
		c.state.Store(checkFailed)
	}
	// Any other error (the connection, a cancelled context) decides
	// nothing: the check stays pending.
}

func isSessionEnded(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == sessionEndedState
}

type sessionCheckKey struct{}

// WithSessionCheck returns ctx carrying c: the store's tenant paths send
// it with the first statement they run in c's tenant.
func WithSessionCheck(ctx context.Context, c *SessionCheck) context.Context {
	return context.WithValue(ctx, sessionCheckKey{}, c)
}

// sessionCheckFor returns the check a batch in scope must carry, nil when
// there is none or it has passed, or errSessionEnded when it has failed.
// A check of another tenant than the scope's (never made by the binding)
// cannot travel with the scope's statements: it is run on its own first.
func (s *Store) sessionCheckFor(ctx context.Context, scope tenant.Scope) (*SessionCheck, error) {
	c, _ := ctx.Value(sessionCheckKey{}).(*SessionCheck)
	if c == nil {
		return nil, nil
	}
	switch c.state.Load() {
	case checkPassed:
		return nil, nil
	case checkFailed:
		return nil, errSessionEnded
	}
	if scope.TenantID == c.TenantID {
		return c, nil
	}
	return nil, s.ConfirmSession(ctx)
}

// ConfirmSession runs ctx's session check if no statement has carried it
// yet (one round trip, then), and returns the error a dead session gets.
// Without a check in ctx it returns nil. The HTTP layer calls it before a
// tenant request answers, so a handler that never reached the database
// still answers a dead session with 401; and the store calls it before
// any work on another path than the tenant's (account, global, platform).
func (s *Store) ConfirmSession(ctx context.Context) error {
	c, _ := ctx.Value(sessionCheckKey{}).(*SessionCheck)
	if c == nil {
		return nil
	}
	switch c.state.Load() {
	case checkPassed:
		return nil
	case checkFailed:
		return errSessionEnded
	}
	// The scope's own batch carries the check; the statement after it
	// reads nothing.
	scope := tenant.Scope{TenantID: c.TenantID, AccountID: c.AccountID, RequestID: tenant.RequestIDFrom(ctx)}
	return s.oneShot(ctx, scope, setScopeReadOnlySQL, func(tx *Tx) error {
		_, err := tx.conn.Exec(ctx, "SELECT 1")
		return err
	})
}

// queueCheck appends c to b when it is still pending, and reports whether
// it did.
func queueCheck(b *pgx.Batch, c *SessionCheck) bool {
	if c == nil || c.state.Load() != checkPending {
		return false
	}
	b.Queue(sessionGuardSQL, c.args()...)
	return true
}
