package store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/tenant"
)

// translate turns a driver error into a tenant error. Errors that already
// carry a code pass through. Messages shown to clients never include the
// database's own text, which can name rows or constraints of the schema.
func translate(err error) error {
	if err == nil {
		return nil
	}
	if _, ok := errors.AsType[*tenant.Error](err); ok {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return &tenant.Error{Code: tenant.CodeNotFound, Message: "not found", Err: err}
	}
	if errors.Is(err, errPoolExhausted) {
		return &tenant.Error{Code: tenant.CodeUnavailable, Message: "the database is busy, retry later", Err: err}
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return &tenant.Error{Code: tenant.CodeUnavailable, Message: "the request took too long, retry later", Err: err}
	}
	if pgErr, ok := errors.AsType[*pgconn.PgError](err); ok {
		return translatePg(pgErr, err)
	}
	if _, ok := errors.AsType[net.Error](err); ok || pgconn.SafeToRetry(err) || isConnectError(err) {
		return &tenant.Error{Code: tenant.CodeUnavailable, Message: "the database is unavailable, retry later", Err: err}
	}
	return &tenant.Error{Code: tenant.CodeInternal, Message: "database error", Err: err}
}

func isConnectError(err error) bool {
	_, ok := errors.AsType[*pgconn.ConnectError](err)
	return ok
}

func translatePg(pgErr *pgconn.PgError, err error) error {
	e := &tenant.Error{Constraint: pgErr.ConstraintName, Err: err}
	switch code := pgErr.Code; {
	case code == sessionEndedState: // the session guard: the request's session is no longer live
		e.Code, e.Message = tenant.CodeUnauthorized, errSessionEnded.Message
		e.Err = fmt.Errorf("%w: %w", ErrSessionEnded, err)
	case code == "23505": // unique_violation
		e.Code, e.Message = tenant.CodeConflict, "already exists"
	case code == "23P01": // exclusion_violation
		e.Code, e.Message = tenant.CodeConflict, "conflicts with an existing entry"
	case code == "23503": // foreign_key_violation: composite keys make another tenant's row read as missing
		e.Code, e.Message = tenant.CodeNotFound, "a referenced item was not found"
	case code == "23514", code == "23502": // check_violation, not_null_violation
		e.Code, e.Message = tenant.CodeInvalid, "invalid value"
	case code == "23001": // restrict_violation
		e.Code, e.Message = tenant.CodeConflict, "still in use"
	case strings.HasPrefix(code, "22"): // data exception: bad format, out of range, too long
		e.Code, e.Message = tenant.CodeInvalid, "invalid value"
	case code == "42501" && strings.Contains(pgErr.Message, "row-level security"):
		// A write the tenant policy refused: the row is another tenant's.
		e.Code, e.Message = tenant.CodeNotFound, "not found"
	case code == "40001", code == "40P01": // serialization_failure, deadlock_detected (after retries)
		e.Code, e.Message = tenant.CodeConflict, "conflicting concurrent change, retry"
	case code == "55P03": // lock_not_available (lock_timeout)
		e.Code, e.Message = tenant.CodeUnavailable, "the data is locked by another change that takes too long; retry later"
	case code == "57014" && strings.Contains(pgErr.Message, "statement timeout"): // query_canceled by statement_timeout
		e.Code, e.Message = tenant.CodeUnavailable, "the request took longer than the database allows; retry later"
	case code == "57014": // query_canceled: the request's context ended
		e.Code, e.Message = tenant.CodeUnavailable, "the request took too long, retry later"
	case code == "25006": // read_only_sql_transaction: a read-only database or a standby
		e.Code, e.Message = tenant.CodeUnavailable, "the database accepts no changes at the moment; reading still works, retry the change later"
	case strings.HasPrefix(code, "53"): // insufficient resources: disk full, out of memory, too many connections
		e.Code, e.Message = tenant.CodeUnavailable, "the database is out of resources; retry later"
	case strings.HasPrefix(code, "08"), strings.HasPrefix(code, "57P"): // connection, shutdown, starting up
		e.Code, e.Message = tenant.CodeUnavailable, "the database is unavailable, retry later"
	default:
		e.Code, e.Message = tenant.CodeInternal, "database error"
	}
	return e
}

// isRetryable reports whether the whole transaction may be run again.
func isRetryable(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && (pgErr.Code == "40001" || pgErr.Code == "40P01")
}

// IsReadOnly reports whether err is a write the database refused because
// it accepts no changes (a standby, a database set read-only).
func IsReadOnly(err error) bool {
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	return ok && pgErr.Code == "25006"
}

// IsNotFound reports whether err means a missing row (or another tenant's).
// Use it inside a transaction function, where errors are not translated yet.
func IsNotFound(err error) bool { return tenant.IsCode(translate(err), tenant.CodeNotFound) }

// Translate returns err as a tenant error. InTenant and InPlatform translate
// what their function returns; use Translate to branch on a code inside it.
func Translate(err error) error { return translate(err) }

// Contains returns the ILIKE pattern that matches text containing q, with
// the wildcards of q escaped: a user's search text is matched literally.
func Contains(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
}
