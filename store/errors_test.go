package store

import (
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/tenant"
)

// The database's refusals that a retry can outlast are unavailable (503
// with Retry-After at the edge), each with a message that says what
// happened and no text of the driver's; a read-only database or a full
// disk refuses changes this way while reads go on.
func TestTranslateFaults(t *testing.T) {
	for _, tc := range []struct {
		name, code, message string
		want                tenant.Code
		says                string
	}{
		{"LockTimeout", "55P03", "canceling statement due to lock timeout", tenant.CodeUnavailable, "locked"},
		{"StatementTimeout", "57014", "canceling statement due to statement timeout", tenant.CodeUnavailable, "longer than the database allows"},
		{"Cancelled", "57014", "canceling statement due to user request", tenant.CodeUnavailable, "took too long"},
		{"ReadOnly", "25006", "cannot execute INSERT in a read-only transaction", tenant.CodeUnavailable, "accepts no changes"},
		{"DiskFull", "53100", "could not extend file \"base/16384/16385\": No space left on device", tenant.CodeUnavailable, "out of resources"},
		{"OutOfMemory", "53200", "out of memory", tenant.CodeUnavailable, "out of resources"},
		{"TooManyConnections", "53300", "sorry, too many clients already", tenant.CodeUnavailable, "out of resources"},
		{"AdminShutdown", "57P01", "terminating connection due to administrator command", tenant.CodeUnavailable, "unavailable"},
		{"StartingUp", "57P03", "the database system is starting up", tenant.CodeUnavailable, "unavailable"},
		{"ConnectionFailure", "08006", "connection failure", tenant.CodeUnavailable, "unavailable"},
		{"Unknown", "XX000", "internal error in the server", tenant.CodeInternal, "internal error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := translate(&pgconn.PgError{Code: tc.code, Message: tc.message})
			if got := tenant.ErrorCode(err); got != tc.want {
				t.Fatalf("%s: code %s, want %s", tc.code, got, tc.want)
			}
			msg := tenant.ErrorMessage(err)
			if !strings.Contains(msg, tc.says) || strings.Contains(msg, tc.message) {
				t.Fatalf("%s: message %q: want it to say %q without the server's text", tc.code, msg, tc.says)
			}
		})
	}
}
