package main

import "errors"

// Exit statuses of the operator tools (audit, adopt); any other error
// exits 1 as well.
const (
	exitProblems  = 1 // the tool ran and found problems, or refused
	exitCannotRun = 2 // bad flags, no connection, no such role or table
)

// exitError is an error that ends the process with a status other than
// 1: the audit exits 1 with findings and 2 when it cannot run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withExitCode makes err end the process with code; nil stays nil.
func withExitCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// exitCode returns the process status for err: 0 for nil, the code an
// exitError carries, 1 for any other error.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var e *exitError
	if errors.As(err, &e) {
		return e.code
	}
	return 1
}
