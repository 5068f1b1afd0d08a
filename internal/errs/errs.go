// Package errs names the operation an error came from.
//
// Every exported method of a domain package starts with
//
//	defer errs.Wrap(&err, "catalog: update service %s", id)
//
// so a logged error reads as the path it took ("catalog: update service
// 9b7f…: store: …: deadlock detected"), while errors.As still finds the
// *tenant.Error that decides the response: its code and client-safe message
// are unchanged by the wrapping.
package errs

import "fmt"

// Wrap prefixes *errp with the operation, keeping it in the chain (%w). A
// nil *errp stays nil. The arguments are formatted only on failure.
func Wrap(errp *error, format string, args ...any) {
	if *errp != nil {
		*errp = fmt.Errorf(format+": %w", append(args, *errp)...)
	}
}
