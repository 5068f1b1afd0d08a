package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/store"
)

// StartSession records a session only for a live membership of the
// transaction's tenant, with the tenant's lifetime; otherwise nothing, and
// the expiry read back with COMMIT finds no row.
func TestStartSessionNeedsALiveMembership(t *testing.T) {
	f := setup(t)
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	acme, globex := f.Seeded["acme"], f.Seeded["globex"]
	at := time.Date(2026, 3, 2, 13, 0, 0, 0, time.UTC)
	start := func(m store.PlatformMember) (time.Time, error) {
		id := uuid.New()
		var expires time.Time
		err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
			err := tx.Later().StartSession(ctx, store.StartSessionParams{
				TenantID: tx.TenantID(), ID: id, MemberID: m.ID, AccountID: m.AccountID, CreatedAt: at,
			})
			if err != nil {
				return err
			}
			return tx.Finally(ctx, func(tx *store.Tx) error {
				var err error
				expires, err = tx.GetSessionExpiry(ctx, store.GetSessionExpiryParams{TenantID: tx.TenantID(), ID: id})
				return err
			})
		})
		return expires, err
	}
	var lifetime int32
	err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
		sec, err := tx.GetSecuritySettings(ctx, tx.TenantID())
		lifetime = sec.SessionLifetimeMinutes
		return err
	})
	if err != nil {
		t.Fatal(err)
	}

	staff := acme.Members["staff"]
	expires, err := start(staff)
	if err != nil || !expires.Equal(at.Add(time.Duration(lifetime)*time.Minute)) {
		t.Fatalf("a live member's session: expires %s, %v; want %s", expires, err, at.Add(time.Duration(lifetime)*time.Minute))
	}

	// globex's member, named in acme's transaction: no row.
	if _, err := start(globex.Members["staff"]); !store.IsNotFound(err) {
		t.Fatalf("a session for globex's member in acme: %v, want not found", err)
	}
	err = f.Store.InTenant(ctx, func(tx *store.Tx) error {
		_, err := tx.RemoveMember(ctx, store.RemoveMemberParams{TenantID: tx.TenantID(), ID: staff.ID})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start(staff); !store.IsNotFound(err) {
		t.Fatalf("a session for a removed member: %v, want not found", err)
	}
}
