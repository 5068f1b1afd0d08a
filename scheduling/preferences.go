package scheduling

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
)

// Preferences are a client's booking preferences.
type Preferences struct {
	// PreferredStaffMemberID names a staff member the client prefers; nil
	// for none.
	PreferredStaffMemberID *uuid.UUID
	PreferredStaffName     string
	// ReminderMinutesBefore asks for a reminder this long before a
	// booking; nil for none.
	ReminderMinutesBefore *int32
	// ContactChannel is email, phone or none.
	ContactChannel string
	Phone          string
	Notes          string
	// UpdatedAt is nil until the client first saves preferences.
	UpdatedAt *time.Time
}

// The contact channels of Preferences.
var contactChannels = map[string]bool{"email": true, "phone": true, "none": true}

// MyPreferences returns the scope's client's preferences; a client that
// never saved any gets the defaults.
func (s *Scheduler) MyPreferences(ctx context.Context) (_ Preferences, err error) {
	defer errs.Wrap(&err, "scheduling: my preferences")
	scope, err := clientScope(ctx)
	if err != nil {
		return Preferences{}, err
	}
	var out Preferences
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		p, err := tx.GetClientPreferences(ctx, store.GetClientPreferencesParams{TenantID: tx.TenantID(), MemberID: scope.MemberID})
		if store.IsNotFound(err) {
			out = Preferences{ContactChannel: "email"}
			return nil
		}
		if err != nil {
			return err
		}
		out, err = preferencesOf(ctx, tx, p)
		return err
	})
	return out, err
}

func preferencesOf(ctx context.Context, tx *store.Tx, p store.ClientPreference) (Preferences, error) {
	out := Preferences{PreferredStaffMemberID: p.PreferredStaffMemberID, ReminderMinutesBefore: p.ReminderMinutesBefore,
		ContactChannel: p.ContactChannel, Phone: p.Phone, Notes: p.Notes, UpdatedAt: &p.UpdatedAt}
	if p.PreferredStaffMemberID != nil {
		m, err := tx.GetMember(ctx, store.GetMemberParams{TenantID: tx.TenantID(), ID: *p.PreferredStaffMemberID})
		if err != nil {
			return out, err
		}
		out.PreferredStaffName = m.DisplayName
	}
	return out, nil
}

// SetMyPreferences replaces the scope's client's preferences. A preferred
// staff member must be a live staff member of the tenant (CodeNotFound
// otherwise); the phone channel needs a phone number.
func (s *Scheduler) SetMyPreferences(ctx context.Context, in Preferences) (_ Preferences, err error) {
	defer errs.Wrap(&err, "scheduling: set my preferences")
	scope, err := clientScope(ctx)
	if err != nil {
		return Preferences{}, err
	}
	f := map[string]string{}
	if !contactChannels[in.ContactChannel] {
		f["body.contact_channel"] = "email, phone or none"
	}
	if in.ContactChannel == "phone" && in.Phone == "" {
		f["body.phone"] = "required for the phone channel"
	}
	if utf8.RuneCountInString(in.Phone) > 40 {
		f["body.phone"] = "at most 40 characters"
	}
	if utf8.RuneCountInString(in.Notes) > 2000 {
		f["body.notes"] = "at most 2000 characters"
	}
	if r := in.ReminderMinutesBefore; r != nil && (*r < 0 || *r > 10080) {
		f["body.reminder_minutes_before"] = "0 to 10080 (a week)"
	}
	if len(f) > 0 {
		return Preferences{}, invalid("invalid preferences", f)
	}
	var out Preferences
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		if in.PreferredStaffMemberID != nil {
			if _, err := liveStaff(ctx, tx, *in.PreferredStaffMemberID); err != nil {
				return err
			}
		}
		p, err := tx.UpsertClientPreferences(ctx, store.UpsertClientPreferencesParams{
			TenantID: tx.TenantID(), MemberID: scope.MemberID, PreferredStaffMemberID: in.PreferredStaffMemberID,
			ReminderMinutesBefore: in.ReminderMinutesBefore, ContactChannel: in.ContactChannel, Phone: in.Phone, Notes: in.Notes,
		})
		if err != nil {
			return err
		}
		if out, err = preferencesOf(ctx, tx, p); err != nil {
			return err
		}
		return audit(ctx, tx, "client_preferences.updated", "member", scope.MemberID,
			map[string]any{"preferred_staff_member_id": in.PreferredStaffMemberID, "contact_channel": in.ContactChannel})
	})
	return out, err
}
