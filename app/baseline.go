//go:build tenantkit_bench

package app

import "github.com/tenantkit/tenantkit/store"

// WithoutRowSecurityForBench opens the store for the benchmark's baseline
// (store.WithoutRowSecurityForBench): DatabaseURL must then name a role
// that bypasses row security. Compiled only with -tags tenantkit_bench.
func WithoutRowSecurityForBench() Option {
	return func(o *options) { o.storeConfig = store.WithoutRowSecurityForBench }
}
