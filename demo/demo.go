// Package demo seeds the demo tenants: acme and globex, each with an owner,
// a staff member and a client, one account that is a member of both, and a
// few rows in every tenant-owned table. Every name carries its tenant's
// marker word ("Acme", "Globex"), so a row shown on the wrong tenant is
// visible at a glance and detectable by the isolation probes.
//
// Seeding is idempotent: a tenant that already exists keeps its data, and
// only what use or time wears out is renewed (see [Seed]).
package demo

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tenantkit/tenantkit/password"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Password is the password of every demo account.
const Password = "tenantkit-demo"

// ConsultantEmail is the account that is a member of both demo tenants:
// staff in acme, admin in globex.
const ConsultantEmail = "consultant@example.test"

// Tenant describes one demo tenant.
type Tenant struct {
	Slug, Name, Marker, TimeZone, Currency string
}

// Tenants are the demo tenants.
var Tenants = []Tenant{
	{Slug: "acme", Name: "Acme Advisory", Marker: "Acme", TimeZone: "America/New_York", Currency: "USD"},
	{Slug: "globex", Name: "Globex Consulting", Marker: "Globex", TimeZone: "Europe/London", Currency: "GBP"},
}

// Login is one demo login, for printing.
type Login struct {
	Email, Tenants string
}

// Logins lists the demo logins.
func Logins() []Login {
	var out []Login
	for _, t := range Tenants {
		for _, r := range []string{"owner", "staff", "client"} {
			out = append(out, Login{Email: r + "@" + t.Slug + ".test", Tenants: t.Slug + " (" + r + ")"})
		}
	}
	return append(out, Login{Email: ConsultantEmail, Tenants: "acme (staff), globex (admin)"})
}

// Seeded reports what Seed created for one tenant.
type Seeded struct {
	TenantID uuid.UUID
	Created  bool
	Members  map[string]store.PlatformMember // by role, plus "consultant"
}

// Seed creates the demo tenants that do not exist yet, with their accounts,
// members and data; now anchors bookings and dates. A tenant that exists
// keeps its data, with what use and time wear out renewed: an open
// invitation and AwaitingOutcome past appointments to mark.
func Seed(ctx context.Context, st *store.Store, hasher *password.Hasher, now time.Time) (map[string]Seeded, error) {
	hash, err := hasher.Hash(ctx, Password)
	if err != nil {
		return nil, err
	}
	out := map[string]Seeded{}
	var usage []store.UsageRow
	for i, t := range Tenants {
		s, err := provision(ctx, st, t, hash)
		if err != nil {
			return nil, fmt.Errorf("provision %s: %w", t.Slug, err)
		}
		seed := seedTenantData
		if !s.Created {
			seed = refresh
		}
		if err := seed(ctx, st, t, s, now); err != nil {
			return nil, fmt.Errorf("seed %s: %w", t.Slug, err)
		}
		if s.Created {
			usage = append(usage, usageOf(s.TenantID, now, int64(i+1))...)
		}
		out[t.Slug] = s
	}
	// A new tenant's usage history: three minutes three hours ago, out of
	// the last hour that lists read by default.
	if err := st.WriteUsage(ctx, uuid.New(), usage); err != nil {
		return nil, fmt.Errorf("seed usage: %w", err)
	}
	return out, nil
}

// usageOf returns three minutes of usage of a tenant, scaled by k.
func usageOf(tenantID uuid.UUID, now time.Time, k int64) []store.UsageRow {
	start := now.UTC().Truncate(time.Minute).Add(-3 * time.Hour)
	out := make([]store.UsageRow, 0, 3)
	for i := range int64(3) {
		out = append(out, store.UsageRow{
			TenantID: tenantID, Minute: start.Add(time.Duration(i) * time.Minute),
			Requests: 40 * k, ClientErrors: 3 * k, ServerErrors: i, Refused: k,
			P50Ms: 10, P99Ms: 150, LatencyBuckets: []int64{0, 4 * k, 10 * k, 20 * k, 5 * k, 0, 0, 0, 0, k},
		})
	}
	return out
}

// provision creates the tenant, its accounts and members on the platform
// path: creating a tenant is cross-tenant work by nature.
func provision(ctx context.Context, st *store.Store, t Tenant, hash string) (Seeded, error) {
	s := Seeded{Members: map[string]store.PlatformMember{}}
	op := store.PlatformOp{Actor: "system:demo", Action: "demo.provision", Reason: "seed the demo tenant " + t.Slug,
		Detail: map[string]any{"slug": t.Slug}}
	err := st.InPlatform(ctx, op, func(tx *store.PlatformTx) error {
		if existing, err := tx.FindTenantBySlug(ctx, t.Slug); err == nil {
			s.TenantID = existing.ID
			return findMembers(ctx, tx, t, &s)
		} else if !store.IsNotFound(err) {
			return err
		}
		tn, err := tx.CreateTenant(ctx, store.PlatformCreateTenantParams{Slug: t.Slug, Name: t.Name})
		if err != nil {
			return err
		}
		s.TenantID, s.Created = tn.ID, true
		members := []struct{ key, email, role, name string }{
			{"owner", memberEmail(t, "owner"), "owner", t.Marker + " Owner Olivia"},
			{"staff", memberEmail(t, "staff"), "staff", t.Marker + " Staff Sam"},
			{"client", memberEmail(t, "client"), "client", t.Marker + " Client Carla"},
			{"consultant", memberEmail(t, "consultant"), map[string]string{"acme": "staff", "globex": "admin"}[t.Slug], t.Marker + " Consultant Chris"},
		}
		for _, m := range members {
			acct, err := tx.FindAccountByEmail(ctx, m.email)
			if store.IsNotFound(err) {
				acct, err = tx.CreateAccount(ctx, store.PlatformCreateAccountParams{Email: m.email, PasswordHash: &hash})
			}
			if err != nil {
				return err
			}
			mem, err := tx.CreateMemberInTenant(ctx, store.PlatformCreateMemberInTenantParams{
				TenantID: tn.ID, AccountID: acct.ID, Role: m.role, DisplayName: m.name,
			})
			if err != nil {
				return err
			}
			if acct.DefaultTenantID == nil {
				err := tx.SetAccountDefaultTenant(ctx, store.PlatformSetAccountDefaultTenantParams{TenantID: &tn.ID, AccountID: acct.ID})
				if err != nil {
					return err
				}
			}
			s.Members[m.key] = mem
		}
		return nil
	})
	return s, err
}

// memberKeys are the demo members of each tenant, by key.
var memberKeys = []string{"owner", "staff", "client", "consultant"}

func memberEmail(t Tenant, key string) string {
	if key == "consultant" {
		return ConsultantEmail
	}
	return key + "@" + t.Slug + ".test"
}

// findMembers fills s.Members with the demo members of an existing tenant
// that are still members of it.
func findMembers(ctx context.Context, tx *store.PlatformTx, t Tenant, s *Seeded) error {
	for _, key := range memberKeys {
		acct, err := tx.FindAccountByEmail(ctx, memberEmail(t, key))
		if store.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		ms, err := tx.ListAccountMemberships(ctx, acct.ID)
		if err != nil {
			return err
		}
		for _, m := range ms {
			if m.TenantID == s.TenantID {
				s.Members[key] = store.PlatformMember{
					TenantID: m.TenantID, ID: m.MemberID, AccountID: acct.ID, Role: m.Role, DisplayName: m.DisplayName,
				}
			}
		}
	}
	return nil
}

func seedTenantData(ctx context.Context, st *store.Store, t Tenant, s Seeded, now time.Time) error {
	owner, staff, client, consultant := s.Members["owner"], s.Members["staff"], s.Members["client"], s.Members["consultant"]
	ctx = tenant.WithScope(ctx, tenant.Scope{
		TenantID: s.TenantID, AccountID: owner.AccountID, MemberID: owner.ID, Role: tenant.RoleOwner, RequestID: "demo-seed",
	})
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return err
	}
	stamp := ticker(now)
	return st.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		str := func(v string) *string { return &v }
		i32 := func(v int32) *int32 { return &v }
		i16 := func(v int16) *int16 { return &v }
		b := func(v bool) *bool { return &v }
		if _, err := tx.UpsertOrganizationSettings(ctx, store.UpsertOrganizationSettingsParams{
			TenantID: tid, DisplayName: str(t.Name), TimeZone: str(t.TimeZone), Locale: str("en"),
			Currency: str(t.Currency), WeekStartsOn: i16(1), ContactEmail: str("hello@" + t.Slug + ".test"),
		}); err != nil {
			return err
		}
		if _, err := tx.UpsertBookingSettings(ctx, store.UpsertBookingSettingsParams{
			TenantID: tid, LeadTimeMinutes: i32(60), BufferMinutes: i32(15), SlotIntervalMinutes: i32(30),
		}); err != nil {
			return err
		}
		if _, err := tx.UpsertSecuritySettings(ctx, store.UpsertSecuritySettingsParams{
			TenantID: tid, SessionLifetimeMinutes: i32(480),
		}); err != nil {
			return err
		}
		if _, err := tx.UpsertCommunicationSettings(ctx, store.UpsertCommunicationSettingsParams{
			TenantID: tid, SenderName: str(t.Name), EmailFooter: str(t.Marker + " — sent by " + t.Name),
			NotifyStaffOnRequest: b(true),
		}); err != nil {
			return err
		}

		var services []store.Service
		for i, sv := range []struct {
			slug, name string
			minutes    int32
			price      int64
			confirm    bool
		}{
			{"tax-review", t.Marker + " Tax Review", 60, 15000, false},
			{"bookkeeping-setup", t.Marker + " Bookkeeping Setup", 90, 24000, true},
			{"strategy-session", t.Marker + " Strategy Session", 45, 9900, false},
		} {
			svc, err := tx.CreateService(ctx, store.CreateServiceParams{
				TenantID: tid, Slug: sv.slug, Name: sv.name,
				Description:     fmt.Sprintf("%s service number %d.", t.Marker, i+1),
				DurationMinutes: sv.minutes, PriceMinor: sv.price, Currency: t.Currency, Active: true,
				RequiresConfirmation: sv.confirm,
			})
			if err != nil {
				return err
			}
			snap, _ := json.Marshal(map[string]any{"name": svc.Name, "slug": svc.Slug, "price_minor": svc.PriceMinor})
			if err := tx.InsertServiceVersion(ctx, store.InsertServiceVersionParams{
				TenantID: tid, ServiceID: svc.ID, Version: svc.Version, Snapshot: snap, ChangedByMemberID: &owner.ID,
			}); err != nil {
				return err
			}
			services = append(services, svc)
		}

		var requests []store.ServiceRequest
		for i, title := range []string{t.Marker + " quarterly filing help", t.Marker + " new ledger setup"} {
			req, err := tx.CreateServiceRequest(ctx, store.CreateServiceRequestParams{
				TenantID: tid, ClientMemberID: client.ID, ServiceID: &services[i].ID, Title: title,
				Details: t.Marker + " client details for the request.", Priority: "normal", Source: "portal",
				CreatedByMemberID: &client.ID, CreatedAt: stamp(),
			})
			if err != nil {
				return err
			}
			if err := tx.InsertServiceRequestEvent(ctx, store.InsertServiceRequestEventParams{
				TenantID: tid, ServiceRequestID: req.ID, ToStatus: "submitted", ActorMemberID: &client.ID,
				Note: t.Marker + " request submitted", CreatedAt: stamp(),
			}); err != nil {
				return err
			}
			requests = append(requests, req)
		}
		from := requests[0].Status
		if requests[0], err = tx.SetServiceRequestStatus(ctx, store.SetServiceRequestStatusParams{
			TenantID: tid, ID: requests[0].ID, Status: "in_review",
		}); err != nil {
			return err
		}
		if err := tx.InsertServiceRequestEvent(ctx, store.InsertServiceRequestEventParams{
			TenantID: tid, ServiceRequestID: requests[0].ID, FromStatus: &from, ToStatus: "in_review",
			ActorMemberID: &staff.ID, Note: t.Marker + " picked up for review", CreatedAt: stamp(),
		}); err != nil {
			return err
		}
		for _, c := range []struct {
			author    uuid.UUID
			body, vis string
		}{
			{client.ID, t.Marker + " client: the documents are attached.", "client"},
			{staff.ID, t.Marker + " staff note: check last year's filing.", "internal"},
		} {
			if _, err := tx.CreateServiceRequestComment(ctx, store.CreateServiceRequestCommentParams{
				TenantID: tid, ServiceRequestID: requests[0].ID, AuthorMemberID: c.author, Body: c.body, Visibility: c.vis,
				CreatedAt: stamp(),
			}); err != nil {
				return err
			}
		}

		// The ledger setup repeats monthly, twelve times, from today.
		y, mo, d := now.UTC().Date()
		twelve := int32(12)
		rule, err := tx.CreateRecurrenceRule(ctx, store.CreateRecurrenceRuleParams{
			TenantID: tid, ServiceRequestID: requests[1].ID, Frequency: "monthly", Every: 1,
			StartsOn: time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), MaxCount: &twelve, CreatedByMemberID: &staff.ID, CreatedAt: stamp(),
		})
		if err != nil {
			return err
		}
		// The request it repeats is its first occurrence.
		if _, err := tx.ClaimRecurrenceOccurrence(ctx, store.ClaimRecurrenceOccurrenceParams{
			TenantID: tid, RuleID: rule.ID, OccurrenceDate: rule.StartsOn, CreatedAt: stamp(),
		}); err != nil {
			return err
		}
		if err := tx.SetRecurrenceOccurrenceRequest(ctx, store.SetRecurrenceOccurrenceRequestParams{
			TenantID: tid, RuleID: rule.ID, OccurrenceDate: rule.StartsOn, ServiceRequestID: &requests[1].ID,
		}); err != nil {
			return err
		}
		// The staff were mailed about the client's first request.
		if err := tx.InsertMailDelivery(ctx, store.InsertMailDeliveryParams{
			TenantID: tid, Kind: "request_created", Recipient: memberEmail(t, "staff"),
			Subject: t.Name + ": new service request from " + t.Marker + " Client Carla: " + requests[0].Title, Result: "sent", CreatedAt: stamp(),
		}); err != nil {
			return err
		}

		for _, m := range []uuid.UUID{staff.ID, consultant.ID} {
			for wd := int16(1); wd <= 5; wd++ {
				if _, err := tx.CreateAvailabilityRule(ctx, store.CreateAvailabilityRuleParams{
					TenantID: tid, MemberID: m, Weekday: wd, StartTime: clock(9, 0), EndTime: clock(17, 0),
				}); err != nil {
					return err
				}
			}
		}
		holiday := civilDate(now.In(loc).AddDate(0, 0, 14))
		if _, err := tx.CreateAvailabilityException(ctx, store.CreateAvailabilityExceptionParams{
			TenantID: tid, MemberID: staff.ID, OnDate: holiday, Available: false, Note: t.Marker + " day off",
		}); err != nil {
			return err
		}

		day := nextWeekday(now.In(loc).AddDate(0, 0, 2))
		for i, bk := range []struct {
			hour   int
			status string
		}{{10, "confirmed"}, {14, "pending"}} {
			start := time.Date(day.Year(), day.Month(), day.Day(), bk.hour, 0, 0, 0, loc)
			svc := services[i]
			booking, err := tx.CreateBooking(ctx, store.CreateBookingParams{
				TenantID: tid, ServiceID: svc.ID, StaffMemberID: staff.ID, ClientMemberID: client.ID,
				ServiceRequestID: &requests[i].ID, StartsAt: start,
				EndsAt:             start.Add(time.Duration(svc.DurationMinutes) * time.Minute),
				BufferAfterMinutes: 15, Status: bk.status, CancellationNoticeMinutes: 1440,
				RescheduleNoticeMinutes: 1440, PriceMinor: svc.PriceMinor, Currency: svc.Currency,
				Notes: t.Marker + " booking notes", CreatedByMemberID: &client.ID,
			})
			if err != nil {
				return err
			}
			if err := tx.InsertBookingEvent(ctx, store.InsertBookingEventParams{
				TenantID: tid, BookingID: booking.ID, Kind: "created", ActorMemberID: &client.ID,
				Note: t.Marker + " booked",
			}); err != nil {
				return err
			}
		}
		if err := seedHistory(ctx, tx, t, now.In(loc), services, client.ID, []uuid.UUID{staff.ID, consultant.ID}); err != nil {
			return err
		}

		tpl, err := tx.CreateTaskTemplate(ctx, store.CreateTaskTemplateParams{
			TenantID: tid, Name: t.Marker + " onboarding checklist", Description: t.Marker + " steps for a new client",
			Checklist:      json.RawMessage(`["` + t.Marker + ` collect documents", "` + t.Marker + ` open ledger"]`),
			DefaultDueDays: i32(7),
		})
		if err != nil {
			return err
		}
		due := now.Add(72 * time.Hour)
		done := now.Add(-time.Hour)
		for _, tk := range []struct {
			title, status string
			completed     *time.Time
		}{{t.Marker + " collect client documents", "todo", nil}, {t.Marker + " send welcome pack", "done", &done}} {
			if _, err := tx.CreateTask(ctx, store.CreateTaskParams{
				TenantID: tid, TemplateID: &tpl.ID, ServiceRequestID: &requests[0].ID, Title: tk.title,
				Description: t.Marker + " task", Status: tk.status, Priority: "normal", AssigneeMemberID: &staff.ID,
				DueAt: &due, CompletedAt: tk.completed, CreatedByMemberID: &owner.ID,
			}); err != nil {
				return err
			}
		}

		for _, ex := range []struct {
			category string
			amount   int64
		}{{t.Marker + " travel", 4250}, {t.Marker + " software", 1999}} {
			if _, err := tx.CreateExpense(ctx, store.CreateExpenseParams{
				TenantID: tid, MemberID: staff.ID, ServiceRequestID: &requests[0].ID, Category: ex.category,
				Description: ex.category + " expense", AmountMinor: ex.amount, Currency: t.Currency,
				IncurredOn: civilDate(now.In(loc).AddDate(0, 0, -3)), Status: "submitted",
			}); err != nil {
				return err
			}
		}

		published := now.Add(-48 * time.Hour)
		for _, p := range []struct {
			slug, title, status string
			at                  *time.Time
		}{
			{"welcome", t.Marker + " welcomes new clients", "published", &published},
			{"tax-season", t.Marker + " tax season checklist", "draft", nil},
		} {
			if _, err := tx.CreatePost(ctx, store.CreatePostParams{
				TenantID: tid, Slug: p.slug, Title: p.title, Excerpt: t.Marker + " news",
				Body: t.Marker + " post body.", Status: p.status, PublishedAt: p.at, AuthorMemberID: &owner.ID,
			}); err != nil {
				return err
			}
		}
		// Identity rows, so every tenant-owned table holds data of both
		// tenants: an ended session, a used switch handoff and an open
		// invitation whose token nobody knows.
		sess, err := tx.CreateSession(ctx, store.CreateSessionParams{
			TenantID: tid, MemberID: owner.ID, AccountID: owner.AccountID, CreatedAt: stamp(), ExpiresAt: now.Add(time.Hour),
			UserAgent: t.Marker + " demo seed",
		})
		if err != nil {
			return err
		}
		if _, err := tx.RevokeSession(ctx, store.RevokeSessionParams{TenantID: tid, ID: sess.ID, AccountID: owner.AccountID}); err != nil {
			return err
		}
		if _, err := tx.CreateHandoff(ctx, store.CreateHandoffParams{
			TenantID: tid, MemberID: consultant.ID, AccountID: consultant.AccountID, TokenHash: randomHash(),
			RedirectPath: "/", CreatedAt: stamp(), ExpiresAt: now.Add(30 * time.Second),
		}); err != nil {
			return err
		}
		if _, err := tx.CreateInvitation(ctx, store.CreateInvitationParams{
			TenantID: tid, Email: "new.hire@" + t.Slug + ".test", Role: "staff", DisplayName: t.Marker + " New Hire",
			InvitedByMemberID: owner.ID, TokenHash: randomHash(), CreatedAt: stamp(), ExpiresAt: now.Add(7 * 24 * time.Hour),
		}); err != nil {
			return err
		}
		// A request from the public form that its address has not
		// confirmed (its token nobody knows).
		if _, err := tx.CreatePublicSubmission(ctx, store.CreatePublicSubmissionParams{
			TenantID: tid, Email: "visitor@" + t.Slug + "-visitors.test", Name: t.Marker + " Visitor Vera",
			Title: t.Marker + " website enquiry", Details: t.Marker + " unconfirmed details", ServiceID: &services[2].ID,
			TokenHash: randomHash(), CreatedAt: stamp(), ExpiresAt: now.Add(48 * time.Hour),
		}); err != nil {
			return err
		}
		if _, err := tx.UpsertClientPreferences(ctx, store.UpsertClientPreferencesParams{
			TenantID: tid, MemberID: client.ID, PreferredStaffMemberID: &staff.ID, ReminderMinutesBefore: i32(1440),
			ContactChannel: "email", Notes: t.Marker + " prefers mornings",
		}); err != nil {
			return err
		}
		// A completed idempotency record, as a create retried by a client
		// leaves behind.
		claim, err := tx.ClaimIdempotencyKey(ctx, store.ClaimIdempotencyKeyParams{
			TenantID: tid, AccountID: client.AccountID, Operation: "demo-seed", Key: t.Slug + "-seed", RequestHash: randomHash(),
			Now: stamp(), LeaseSeconds: 30, ExpiresAt: now.Add(24 * time.Hour),
		})
		if err != nil {
			return err
		}
		if err := tx.CompleteIdempotencyKey(ctx, store.CompleteIdempotencyKeyParams{
			TenantID: tid, ID: claim.ID, ResponseStatus: i32(200), Response: json.RawMessage(`{"marker":"` + t.Marker + `"}`),
		}); err != nil {
			return err
		}
		// A custom domain registered and not verified yet: it serves
		// nothing until its TXT record is published and checked.
		if _, err := tx.CreateDomainClaim(ctx, store.CreateDomainClaimParams{
			TenantID: tid, Domain: "www." + t.Slug + "-firm.example", Token: "tenantkit-demo-" + t.Slug + "-unverified", CreatedAt: stamp(),
		}); err != nil {
			return err
		}
		return tx.Audit(ctx, "demo.seed", "tenant", &tid, []byte(`{"marker":"`+t.Marker+`"}`))
	})
}

// ticker returns a clock that starts at now and moves on a microsecond at
// each reading, so rows seeded one after another keep their order.
func ticker(now time.Time) func() time.Time {
	return func() time.Time {
		now = now.Add(time.Microsecond)
		return now
	}
}

func randomHash() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	h := sha256.Sum256(b)
	return h[:]
}

func clock(h, m int) pgtype.Time {
	return pgtype.Time{Microseconds: int64(h*3600+m*60) * 1e6, Valid: true}
}

func civilDate(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func nextWeekday(t time.Time) time.Time {
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, 1)
	}
	return t
}

// PastBookings is the number of past appointments each demo tenant has,
// all of its client.
const PastBookings = 24

// AwaitingOutcome is the number of past appointments, still confirmed,
// that each demo tenant keeps for staff to mark completed or no-show: Seed
// books more when marking outcomes has used them up.
const AwaitingOutcome = 16

// seedHistory books the last PastBookings weekdays, one appointment a day
// at 11:00, the staff taking turns: the older ones completed (one a
// no-show), the AwaitingOutcome most recent still confirmed.
func seedHistory(ctx context.Context, tx *store.Tx, t Tenant, now time.Time, services []store.Service, client uuid.UUID, staff []uuid.UUID) error {
	day := now
	for k := range PastBookings {
		day = prevWeekday(day.AddDate(0, 0, -1))
		status := "confirmed"
		switch {
		case k == AwaitingOutcome+2:
			status = "no_show"
		case k >= AwaitingOutcome:
			status = "completed"
		}
		if err := bookPast(ctx, tx, t, day, services[k%len(services)], client, staff[k%len(staff)], status); err != nil {
			return err
		}
	}
	return nil
}

// bookPast books the client with staff member on day at 11:00, in status,
// and writes the booking's timeline.
func bookPast(ctx context.Context, tx *store.Tx, t Tenant, day time.Time, svc store.Service, client, member uuid.UUID, status string) error {
	tid := tx.TenantID()
	start := time.Date(day.Year(), day.Month(), day.Day(), 11, 0, 0, 0, day.Location())
	booking, err := tx.CreateBooking(ctx, store.CreateBookingParams{
		TenantID: tid, ServiceID: svc.ID, StaffMemberID: member, ClientMemberID: client, StartsAt: start,
		EndsAt:             start.Add(time.Duration(svc.DurationMinutes) * time.Minute),
		BufferAfterMinutes: 15, Status: status, CancellationNoticeMinutes: 1440,
		RescheduleNoticeMinutes: 1440, PriceMinor: svc.PriceMinor, Currency: svc.Currency,
		Notes: t.Marker + " past appointment", CreatedByMemberID: &client,
	})
	if err != nil {
		return err
	}
	events := []store.InsertBookingEventParams{{Kind: "created", ActorMemberID: &client, Note: t.Marker + " booked"}}
	if status != "confirmed" {
		events = append(events, store.InsertBookingEventParams{Kind: status, ActorMemberID: &member, Note: t.Marker + " outcome"})
	}
	for _, e := range events {
		e.TenantID, e.BookingID = tid, booking.ID
		if err := tx.InsertBookingEvent(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// refresh renews the demo data of an existing tenant that use or time
// wears out, so a long-lived demo keeps every workflow open: an open
// invitation (they expire, and get accepted or revoked), and
// AwaitingOutcome past appointments still to be marked (marking one uses
// it up; the API cannot book the past). Members removed from the demo are
// left removed, and what needs them is not renewed.
func refresh(ctx context.Context, st *store.Store, t Tenant, s Seeded, now time.Time) error {
	owner, ok := s.Members["owner"]
	if !ok || owner.Role != string(tenant.RoleOwner) {
		return nil
	}
	loc, err := time.LoadLocation(t.TimeZone)
	if err != nil {
		return err
	}
	now = now.In(loc)
	ctx = tenant.WithScope(ctx, tenant.Scope{
		TenantID: s.TenantID, AccountID: owner.AccountID, MemberID: owner.ID, Role: tenant.RoleOwner, RequestID: "demo-refresh",
	})
	return st.InTenant(ctx, func(tx *store.Tx) error {
		tid := tx.TenantID()
		open, err := tx.ListInvitations(ctx, store.ListInvitationsParams{TenantID: tid, Now: now})
		if err != nil {
			return err
		}
		if len(open) == 0 {
			if _, err := tx.CreateInvitation(ctx, store.CreateInvitationParams{
				TenantID: tid, Email: "new.hire@" + t.Slug + ".test", Role: "staff", DisplayName: t.Marker + " New Hire",
				InvitedByMemberID: owner.ID, TokenHash: randomHash(), CreatedAt: now, ExpiresAt: now.Add(7 * 24 * time.Hour),
			}); err != nil {
				return err
			}
		}

		client, ok := s.Members["client"]
		if !ok || client.Role != string(tenant.RoleClient) {
			return nil
		}
		var staff []uuid.UUID
		for _, key := range []string{"staff", "consultant"} {
			if m, ok := s.Members[key]; ok && tenant.Role(m.Role).AtLeast(tenant.RoleStaff) {
				staff = append(staff, m.ID)
			}
		}
		services, err := tx.ListServices(ctx, store.ListServicesParams{TenantID: tid, Active: ptr(true), PageSize: 3})
		if err != nil || len(staff) == 0 || len(services) == 0 {
			return err
		}
		// The past the demo books into: the weekdays of the last 90 days
		// on which a staff member has no appointment at all.
		from := now.AddDate(0, 0, -90)
		awaiting := 0
		busy := map[string]bool{}
		page := store.ListBookingsParams{TenantID: tid, StartsFrom: &from, StartsBefore: &now, PageSize: 500}
		for {
			past, err := tx.ListBookings(ctx, page)
			if err != nil {
				return err
			}
			for _, b := range past {
				if b.Booking.Status == "confirmed" {
					awaiting++
				}
				busy[b.Booking.StaffMemberID.String()+b.Booking.StartsAt.In(loc).Format(time.DateOnly)] = true
			}
			if len(past) < int(page.PageSize) {
				break
			}
			last := past[len(past)-1].Booking
			page.HasAfter, page.AfterStartsAt, page.AfterID = true, last.StartsAt, last.ID
		}
		day := now
		for k := 0; awaiting < AwaitingOutcome && day.After(from); k++ {
			day = prevWeekday(day.AddDate(0, 0, -1))
			member := staff[k%len(staff)]
			if busy[member.String()+day.Format(time.DateOnly)] {
				continue
			}
			if err := bookPast(ctx, tx, t, day, services[k%len(services)], client.ID, member, "confirmed"); err != nil {
				return err
			}
			awaiting++
		}
		return nil
	})
}

func ptr[T any](v T) *T { return &v }

func prevWeekday(t time.Time) time.Time {
	for t.Weekday() == time.Saturday || t.Weekday() == time.Sunday {
		t = t.AddDate(0, 0, -1)
	}
	return t
}
