package tenant

import (
	"errors"
	"fmt"
	"time"
)

// Code classifies an error for every layer. The web layer maps each code to
// one HTTP status; nothing else about an internal error reaches a client.
type Code string

// The error codes.
const (
	CodeInvalid            Code = "invalid"             // malformed or unacceptable input (400/422)
	CodeUnauthorized       Code = "unauthorized"        // not authenticated (401)
	CodeForbidden          Code = "forbidden"           // authenticated, but bound elsewhere or role too low (403)
	CodeNotFound           Code = "not_found"           // missing, or another tenant's (404)
	CodeConflict           Code = "conflict"            // unique or overlap violation, in-flight duplicate (409)
	CodePreconditionFailed Code = "precondition_failed" // stale If-Match (412)
	CodeRateLimited        Code = "rate_limited"        // too many requests (429)
	CodeUnavailable        Code = "unavailable"         // database or dependency unavailable, retry later (503)
	CodeInternal           Code = "internal"            // a bug or an unexpected failure (500)
)

// Error is a failure with a code, a message safe to show a client (except for
// CodeInternal, whose message is only logged), optional per-field details,
// and an optional cause that is never shown.
type Error struct {
	Code    Code
	Message string
	// Fields maps an input field (a JSON pointer-like path such as
	// "body.slug") to what is wrong with it.
	Fields map[string]string
	// Constraint is the database constraint that produced the error, when
	// there is one, so a domain package can name the field it protects.
	Constraint string
	// RetryAfter tells a client when to try again (rate limited,
	// unavailable); zero when it does not apply.
	RetryAfter time.Duration
	Err        error
}

// Error implements the error interface.
func (e *Error) Error() string {
	msg := string(e.Code)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain,
// CodeInternal for any other non-nil error, and "" for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	if e, ok := errors.AsType[*Error](err); ok {
		return e.Code
	}
	return CodeInternal
}

// ErrorMessage returns the client-safe message of err: the message of the
// first *Error in its chain unless that is internal, otherwise a generic one.
func ErrorMessage(err error) string {
	e, ok := errors.AsType[*Error](err)
	if !ok || e.Code == CodeInternal {
		return "internal error"
	}
	if e.Message == "" {
		return string(e.Code)
	}
	return e.Message
}

// IsCode reports whether err carries code.
func IsCode(err error, code Code) bool { return ErrorCode(err) == code }

// NotFound returns the error for a row that is missing or belongs to another
// tenant. The message names only the kind of thing, never the id, so that
// both cases read the same.
func NotFound(kind string) *Error {
	return &Error{Code: CodeNotFound, Message: kind + " not found"}
}

// RetryAfter returns how long err asks the client to wait, or zero.
func RetryAfter(err error) time.Duration {
	if e, ok := errors.AsType[*Error](err); ok {
		return e.RetryAfter
	}
	return 0
}
