//go:build tenantkit_bench

package store

// WithoutRowSecurityForBench makes Open accept, for the app pool, a role
// that bypasses row security — and only such a role — so that the
// benchmark's baseline (cmd/tenantkit-bench, variant b) runs the same
// handlers and the same batches with row security off: what is left is
// the explicit WHERE tenant_id every query carries. This file is compiled
// only with -tags tenantkit_bench: no binary built without the tag, serve
// included, can turn row security off.
func WithoutRowSecurityForBench(cfg *Config) { cfg.withoutRowSecurity = true }
