//go:build !tenantkit_bench

package main

import (
	"errors"

	"github.com/tenantkit/tenantkit/app"
)

// baselineOption is unavailable without the tag: only a binary built
// with -tags tenantkit_bench can open a store without row security.
func baselineOption() (app.Option, error) {
	return nil, errors.New("variant b needs a build with -tags tenantkit_bench (make bench builds one)")
}
