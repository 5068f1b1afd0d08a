package demo_test

import (
	"context"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/demo"
	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/store"
)

// census is what TestSeedRenewsWhatUseWearsOut reads back of one tenant.
type census struct {
	bookings, awaiting, invitations, services int
}

func count(t *testing.T, ctx context.Context, st *store.Store, now time.Time) census {
	t.Helper()
	var c census
	err := st.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		all, err := tx.ListBookings(ctx, store.ListBookingsParams{TenantID: tid, PageSize: 1000})
		if err != nil {
			return err
		}
		c.bookings = len(all)
		for _, b := range all {
			if b.Booking.Status == "confirmed" && b.Booking.StartsAt.Before(now) {
				c.awaiting++
			}
		}
		inv, err := tx.ListInvitations(ctx, store.ListInvitationsParams{TenantID: tid, Now: now})
		c.invitations = len(inv)
		if err != nil {
			return err
		}
		svc, err := tx.ListServices(ctx, store.ListServicesParams{TenantID: tid, IncludeArchived: true, PageSize: 1000})
		c.services = len(svc)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A long-lived demo keeps its workflows open: seeding again renews the
// past appointments that marking outcomes used up and the invitation that
// was revoked, and adds nothing while nothing was used.
func TestSeedRenewsWhatUseWearsOut(t *testing.T) {
	t.Parallel()
	testSeedRenews(t, clocktest.Default)
}

// The demo seeds and renews the same on any day, at any hour, in any
// time zone of the process.
func TestSeedDateMatrix(t *testing.T) {
	for _, at := range clocktest.Matrix {
		t.Run(at.Name, func(t *testing.T) {
			t.Parallel()
			testSeedRenews(t, at.At)
		})
	}
}

func testSeedRenews(t *testing.T, now time.Time) {
	ctx := t.Context()
	f := demotest.New(t, demotest.At(now))
	acme, globex := f.As(ctx, "acme", "owner"), f.As(ctx, "globex", "owner")

	before := count(t, acme, f.Store, now)
	if before.awaiting != demo.AwaitingOutcome || before.invitations != 1 {
		t.Fatalf("fresh demo: %+v, want %d awaiting and 1 invitation", before, demo.AwaitingOutcome)
	}
	if _, err := demo.Seed(ctx, f.Store, demotest.Hasher, now); err != nil {
		t.Fatal(err)
	}
	if again := count(t, acme, f.Store, now); again != before {
		t.Fatalf("seeding an untouched demo again changed it: %+v, was %+v", again, before)
	}

	// Staff mark every past appointment of acme, and revoke its invitation.
	err := f.Store.InTenant(acme, func(tx *store.Tx) error {
		tid := tx.TenantID()
		all, err := tx.ListBookings(ctx, store.ListBookingsParams{TenantID: tid, StartsBefore: &now, PageSize: 1000})
		if err != nil {
			return err
		}
		for _, b := range all {
			if b.Booking.Status == "confirmed" {
				if err := tx.SetBookingStatus(ctx, store.SetBookingStatusParams{TenantID: tid, ID: b.Booking.ID, Status: "completed"}); err != nil {
					return err
				}
			}
		}
		inv, err := tx.ListInvitations(ctx, store.ListInvitationsParams{TenantID: tid, Now: now})
		if err != nil {
			return err
		}
		for _, i := range inv {
			if _, err := tx.RevokeInvitation(ctx, store.RevokeInvitationParams{TenantID: tid, ID: i.ID}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if used := count(t, acme, f.Store, now); used.awaiting != 0 || used.invitations != 0 {
		t.Fatalf("after marking and revoking: %+v", used)
	}
	globexBefore := count(t, globex, f.Store, now)

	later := now.Add(time.Hour)
	if _, err := demo.Seed(ctx, f.Store, demotest.Hasher, later); err != nil {
		t.Fatal(err)
	}
	after := count(t, acme, f.Store, later)
	want := census{
		bookings: before.bookings + demo.AwaitingOutcome, awaiting: demo.AwaitingOutcome,
		invitations: 1, services: before.services,
	}
	if after != want {
		t.Errorf("acme after seeding again: %+v, want %+v", after, want)
	}
	if g := count(t, globex, f.Store, later); g != globexBefore {
		t.Errorf("globex, which nothing used, changed: %+v, was %+v", g, globexBefore)
	}
}
