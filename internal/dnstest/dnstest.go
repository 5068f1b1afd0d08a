// Package dnstest is a DNS resolver for tests: TXT records a test
// publishes, answered as net.Resolver answers them.
package dnstest

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
)

// Resolver answers LookupTXT from the records published on it; a name
// without records is not found, as NXDOMAIN reads from net.Resolver.
type Resolver struct {
	mu      sync.Mutex
	records map[string][]string
}

// New returns a resolver with no records.
func New() *Resolver { return &Resolver{records: map[string][]string{}} }

func canonical(name string) string { return strings.ToLower(strings.TrimSuffix(name, ".")) }

// Publish sets the TXT records of name to values (none: removes them).
func (r *Resolver) Publish(name string, values ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(values) == 0 {
		delete(r.records, canonical(name))
		return
	}
	r.records[canonical(name)] = slices.Clone(values)
}

// LookupTXT implements tenants.Resolver.
func (r *Resolver) LookupTXT(ctx context.Context, name string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	v, ok := r.records[canonical(name)]
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
	}
	return slices.Clone(v), nil
}
