//go:build !tenantkit_bench

package main

import (
	"context"
	"strings"
	"testing"
)

// A build without the bench tag — every build but make bench's, serve
// included — cannot open the store without row security, nor serve the
// floor, which trusts the tenant its caller names.
func TestBaselineNeedsTheBenchBuild(t *testing.T) {
	if _, err := baselineOption(); err == nil || !strings.Contains(err.Error(), "tenantkit_bench") {
		t.Fatalf("baselineOption() without the tag: %v, want an error naming the tag", err)
	}
	for _, v := range []string{"b", "c"} {
		err := serve(context.Background(), []string{"-variant", v})
		if err == nil || !strings.Contains(err.Error(), "tenantkit_bench") {
			t.Fatalf("serve -variant %s without the tag: %v, want an error naming the tag", v, err)
		}
	}
}
