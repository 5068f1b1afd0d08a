package probe_test

import (
	"context"
	"crypto/rand"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/probe"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// soakMarkers are the marker words of the soak's extra tenants: none is
// part of another, of a demo marker, or of anything the probe generates
// (its strings are all lower or all upper case).
var soakMarkers = []string{
	"Initech", "Umbrella", "Hooli", "Vandelay", "Wonka", "Stark", "Wayne", "Tyrell", "Cyberdyne",
	"Soylent", "Oscorp", "Aperture", "Dunder", "Gringotts", "Monarch", "Nakatomi", "Sirius", "Zorg",
}

// seedTenant provisions a tenant on the platform path, as the demo does:
// the tenant, an owner, a staff member and a client (logins role@slug.test
// with the demo password), then services and an invitation in the
// tenant's own transaction. Every name carries the marker.
func seedTenant(tb testing.TB, s *server, marker string) string {
	tb.Helper()
	ctx := context.Background()
	slug := strings.ToLower(marker)
	hash, err := s.hasher.Hash(ctx, demo.Password)
	if err != nil {
		tb.Fatal(err)
	}
	var tid uuid.UUID
	members := map[string]store.PlatformMember{}
	op := store.PlatformOp{Actor: "system:probe-test", Action: "test.provision", Reason: "seed a tenant of the isolation soak",
		Detail: map[string]any{"slug": slug}}
	err = s.store.InPlatform(ctx, op, func(tx *store.PlatformTx) error {
		tn, err := tx.CreateTenant(ctx, store.PlatformCreateTenantParams{Slug: slug, Name: marker + " Partners"})
		if err != nil {
			return err
		}
		tid = tn.ID
		for _, role := range []string{"owner", "staff", "client"} {
			acct, err := tx.CreateAccount(ctx, store.PlatformCreateAccountParams{Email: role + "@" + slug + ".test", PasswordHash: &hash})
			if err != nil {
				return err
			}
			m, err := tx.CreateMemberInTenant(ctx, store.PlatformCreateMemberInTenantParams{
				TenantID: tn.ID, AccountID: acct.ID, Role: role, DisplayName: marker + " " + role,
			})
			if err != nil {
				return err
			}
			if err := tx.SetAccountDefaultTenant(ctx, store.PlatformSetAccountDefaultTenantParams{TenantID: &tn.ID, AccountID: acct.ID}); err != nil {
				return err
			}
			members[role] = m
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("provision %s: %v", slug, err)
	}
	owner := members["owner"]
	ctx = tenant.WithScope(ctx, tenant.Scope{TenantID: tid, AccountID: owner.AccountID, MemberID: owner.ID, Role: tenant.RoleOwner, RequestID: "probe-seed"})
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		for i, name := range []string{"Audit", "Payroll", "Advisory", "Training"} {
			if _, err := tx.CreateService(ctx, store.CreateServiceParams{
				TenantID: tid, Slug: strings.ToLower(name), Name: marker + " " + name, Description: marker + " service " + strconv.Itoa(i),
				DurationMinutes: 30 + int32(i)*15, PriceMinor: 1000 * int64(i+1), Currency: "EUR", Active: true,
			}); err != nil {
				return err
			}
		}
		token := make([]byte, 32)
		_, _ = rand.Read(token)
		_, err := tx.CreateInvitation(ctx, store.CreateInvitationParams{
			TenantID: tid, Email: "new@" + slug + ".test", Role: "staff", DisplayName: marker + " Newcomer",
			InvitedByMemberID: owner.ID, TokenHash: token, CreatedAt: s.clock.Now(), ExpiresAt: s.clock.Now().Add(24 * time.Hour),
		})
		return err
	})
	if err != nil {
		tb.Fatalf("seed %s: %v", slug, err)
	}
	return slug
}

// soakProbes is the soak's length: 10⁴ by default (CI), TENANTKIT_SOAK_PROBES
// for make soak.
func soakProbes(tb testing.TB) int {
	if v := os.Getenv("TENANTKIT_SOAK_PROBES"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			tb.Fatalf("TENANTKIT_SOAK_PROBES=%q: want a positive count", v)
		}
		return n
	}
	return 10_000
}

// The randomized soak: 20 tenants, concurrent random operations through
// the real HTTP server, an app pool of two connections, about one request
// in a hundred cancelled mid-flight, one in ten carrying another tenant's
// id. No answer may hold another tenant's marker or id, no pooled
// connection may carry a tenant setting to its next borrower.
func TestSoak(t *testing.T) {
	probes := soakProbes(t)
	s := newServer(t, withPool(2))
	slugs := []string{"acme", "globex"}
	for _, m := range soakMarkers {
		slugs = append(slugs, seedTenant(t, s, m))
	}
	cfg := s.config()
	cfg.Soak = probe.SoakConfig{Probes: probes, Tenants: slugs}
	res, err := probe.Soak(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("soak: %d probes over %d tenants in %.1fs: %.0f probes/s; %d cancelled mid-flight, %d with another tenant's id; %d leaks, %d server errors; statuses %v",
		res.Probes, res.Tenants, res.Seconds, res.PerSecond, res.Cancelled, res.Foreign, res.Leaks, res.ServerErrors, res.Statuses)
	for _, l := range res.Samples {
		t.Error(l)
	}
	switch {
	case res.Tenants < 20 || res.Probes < int64(probes):
		t.Errorf("the soak ran %d probes over %d tenants, want %d over 20", res.Probes, res.Tenants, probes)
	case res.Leaks != 0 || res.ServerErrors != 0:
		t.Errorf("%d leaks, %d server errors", res.Leaks, res.ServerErrors)
	case res.Cancelled == 0 || res.Foreign == 0:
		t.Errorf("vacuous soak: %d requests cancelled mid-flight, %d with another tenant's id", res.Cancelled, res.Foreign)
	}
	st := s.store.Stats()
	if st.DirtyConnections != 0 {
		t.Errorf("%d pooled connections carried a tenant setting to their next borrower", st.DirtyConnections)
	}
	if st.TotalConns > 2 {
		t.Errorf("the app pool grew to %d connections", st.TotalConns)
	}
}
