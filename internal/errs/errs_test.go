package errs_test

import (
	"errors"
	"testing"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestWrap(t *testing.T) {
	var err error
	errs.Wrap(&err, "catalog: get service %d", 7)
	if err != nil {
		t.Fatalf("a nil error became %v", err)
	}
	cause := tenant.NotFound("service")
	err = cause
	errs.Wrap(&err, "catalog: get service %d", 7)
	if got, want := err.Error(), "catalog: get service 7: "+cause.Error(); got != want {
		t.Fatalf("wrapped: %q, want %q", got, want)
	}
	if !errors.Is(err, cause) || tenant.ErrorCode(err) != tenant.CodeNotFound || tenant.ErrorMessage(err) != cause.Message {
		t.Fatalf("the wrapped error lost its code or message: %v", err)
	}
}
