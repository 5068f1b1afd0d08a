package requests_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/tenant"
)

func date(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

func TestRuleDates(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	three := 3
	for _, tc := range []struct {
		name string
		rule requests.Rule
		now  time.Time
		want []string // date and due_at (RFC 3339, UTC)
	}{
		{
			name: "WeeklyAcrossTheSpringChange",
			rule: requests.Rule{Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23")},
			now:  time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC),
			want: []string{"2026-03-23 2026-03-22T23:00:00Z", "2026-03-30 2026-03-29T22:00:00Z", "2026-04-06 2026-04-05T22:00:00Z"},
		},
		{
			name: "FortnightlyAcrossTheAutumnChange",
			rule: requests.Rule{Frequency: requests.FrequencyWeekly, Every: 2, StartsOn: date("2026-10-19")},
			now:  time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"2026-10-19 2026-10-18T22:00:00Z", "2026-11-02 2026-11-01T23:00:00Z", "2026-11-16 2026-11-15T23:00:00Z"},
		},
		{
			name: "MonthlyOnThe31stFallsOnTheLastDay",
			rule: requests.Rule{Frequency: requests.FrequencyMonthly, Every: 1, StartsOn: date("2027-01-31")},
			now:  time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"2027-01-31 2027-01-30T23:00:00Z", "2027-02-28 2027-02-27T23:00:00Z", "2027-03-31 2027-03-30T22:00:00Z"},
		},
		{
			name: "TodayInTheTenantsZoneIsDueAlready",
			// 23:30 UTC on the 22nd is already the 23rd in Berlin: the
			// 22nd is past, the 23rd is today.
			rule: requests.Rule{Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-16"), MaxCount: &three},
			now:  time.Date(2026, 3, 22, 23, 30, 0, 0, time.UTC),
			want: []string{"2026-03-23 2026-03-22T23:00:00Z", "2026-03-30 2026-03-29T22:00:00Z"},
		},
		{
			name: "UntilEndsIt",
			rule: requests.Rule{Frequency: requests.FrequencyMonthly, Every: 2, StartsOn: date("2026-01-15"), UntilOn: ptr(date("2026-05-15"))},
			now:  time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
			want: []string{"2026-01-15 2026-01-14T23:00:00Z", "2026-03-15 2026-03-14T23:00:00Z", "2026-05-15 2026-05-14T22:00:00Z"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, o := range tc.rule.Next(tc.now, berlin, 3) {
				got = append(got, o.Date.Format(time.DateOnly)+" "+o.DueAt.UTC().Format(time.RFC3339))
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for i := range got {
				if got[i] != tc.want[i] {
					t.Fatalf("got %v, want %v", got, tc.want)
				}
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

type recurrenceFixture struct {
	*demotest.Fixture
	svc   *requests.Service
	clock *clocktest.Clock
}

func setupRecurrence(t *testing.T) *recurrenceFixture {
	t.Helper()
	clock := clocktest.New(time.Date(2026, 3, 20, 12, 0, 0, 0, time.UTC))
	f := demotest.New(t, demotest.At(clock.Peek()))
	svc := requests.New(f.Store, requests.Config{Now: clock.Now, Mailer: mailer.NewOutbox(10, clock.Now),
		Link: func(slug, path string) string { return path }})
	admin := pgtest.Connect(t, f.DB.AdminURL)
	if _, err := admin.Exec(t.Context(), `INSERT INTO organization_settings (tenant_id, time_zone) VALUES ($1, 'Europe/Berlin')
		ON CONFLICT (tenant_id) DO UPDATE SET time_zone = 'Europe/Berlin'`, f.Seeded["acme"].TenantID); err != nil {
		t.Fatal(err)
	}
	return &recurrenceFixture{Fixture: f, svc: svc, clock: clock}
}

func (f *recurrenceFixture) request(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := pgtest.Connect(t, f.DB.AdminURL).QueryRow(t.Context(), "SELECT id FROM service_requests WHERE tenant_id = $1 ORDER BY id LIMIT 1",
		f.Seeded[slug].TenantID).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

func (f *recurrenceFixture) rules(t *testing.T) int {
	t.Helper()
	var n int
	if err := pgtest.Connect(t, f.DB.AdminURL).QueryRow(t.Context(), "SELECT count(*) FROM recurrence_rules").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func listed(rs []requests.Rule, id uuid.UUID) bool {
	for _, r := range rs {
		if r.ID == id {
			return true
		}
	}
	return false
}

func TestPreviewAcrossADSTChange(t *testing.T) {
	f := setupRecurrence(t)
	ctx := f.As(t.Context(), "acme", "staff")
	r, err := f.svc.CreateRule(ctx, requests.RuleInput{ServiceRequestID: f.request(t, "acme"), Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23")})
	if err != nil {
		t.Fatal(err)
	}
	os, err := f.svc.PreviewRule(ctx, r.ID, time.Time{}, 3)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-03-23 2026-03-22T23:00:00Z", "2026-03-30 2026-03-29T22:00:00Z", "2026-04-06 2026-04-05T22:00:00Z"}
	if len(os) != len(want) {
		t.Fatalf("preview %+v", os)
	}
	for i, o := range os {
		if got := o.Date.Format(time.DateOnly) + " " + o.DueAt.UTC().Format(time.RFC3339); got != want[i] {
			t.Fatalf("date %d: %s, want %s", i, got, want[i])
		}
	}
}

// A preview from a given day lists the same dates whatever day it is
// asked on (the probe's read-back relies on it).
func TestPreviewFromADay(t *testing.T) {
	f := setupRecurrence(t)
	ctx := f.As(t.Context(), "acme", "staff")
	r, err := f.svc.CreateRule(ctx, requests.RuleInput{ServiceRequestID: f.request(t, "acme"), Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23")})
	if err != nil {
		t.Fatal(err)
	}
	os, err := f.svc.PreviewRule(ctx, r.ID, date("2026-04-01"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(os) != 2 || os[0].Date.Format(time.DateOnly) != "2026-04-06" || os[1].Date.Format(time.DateOnly) != "2026-04-13" {
		t.Fatalf("preview from 2026-04-01: %+v", os)
	}
}

func TestBadRecurringRulesStoreNothing(t *testing.T) {
	f := setupRecurrence(t)
	ctx := f.As(t.Context(), "acme", "staff")
	own := f.request(t, "acme")
	zero, big := 0, 1001
	before := f.rules(t)
	for _, tc := range []struct {
		name string
		in   requests.RuleInput
		code tenant.Code
	}{
		{"UnknownFrequency", requests.RuleInput{ServiceRequestID: own, Frequency: "daily", Every: 1, StartsOn: date("2026-03-23")}, tenant.CodeInvalid},
		{"EveryZero", requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 0, StartsOn: date("2026-03-23")}, tenant.CodeInvalid},
		{"EveryTooLarge", requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 53, StartsOn: date("2026-03-23")}, tenant.CodeInvalid},
		{"NoStart", requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 1}, tenant.CodeInvalid},
		{"StartInThePast", requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-19")}, tenant.CodeInvalid},
		{"UntilBeforeStart", requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23"), UntilOn: ptr(date("2026-03-22"))}, tenant.CodeInvalid},
		{"CountZero", requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23"), MaxCount: &zero}, tenant.CodeInvalid},
		{"CountTooLarge", requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23"), MaxCount: &big}, tenant.CodeInvalid},
		{"OtherTenantsRequestIsNotFound", requests.RuleInput{ServiceRequestID: f.request(t, "globex"), Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23")}, tenant.CodeNotFound},
		{"MissingRequestIsNotFound", requests.RuleInput{ServiceRequestID: uuid.New(), Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23")}, tenant.CodeNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := f.svc.CreateRule(ctx, tc.in); !tenant.IsCode(err, tc.code) {
				t.Fatalf("err %v, want %s", err, tc.code)
			}
		})
	}
	if n := f.rules(t); n != before {
		t.Fatalf("%d rules stored", n-before)
	}
	if _, err := f.svc.CreateRule(f.As(t.Context(), "acme", "client"), requests.RuleInput{ServiceRequestID: own, Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23")}); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("a client made a rule: %v", err)
	}
}

func TestAnotherTenantsRuleIsNotFound(t *testing.T) {
	f := setupRecurrence(t)
	ctx := f.As(t.Context(), "acme", "staff")
	r, err := f.svc.CreateRule(ctx, requests.RuleInput{ServiceRequestID: f.request(t, "acme"), Frequency: requests.FrequencyMonthly, Every: 1, StartsOn: date("2026-03-31")})
	if err != nil {
		t.Fatal(err)
	}
	other := f.As(t.Context(), "globex", "owner")
	if _, err := f.svc.PreviewRule(other, r.ID, time.Time{}, 3); !tenant.IsCode(err, tenant.CodeNotFound) {
		t.Fatalf("preview: %v", err)
	}
	if err := f.svc.DeleteRule(other, r.ID); !tenant.IsCode(err, tenant.CodeNotFound) {
		t.Fatalf("delete: %v", err)
	}
	if rs, _, err := f.svc.FindRules(other, requests.Page{Limit: 50}); err != nil || listed(rs, r.ID) {
		t.Fatalf("globex lists %+v (%v)", rs, err)
	}
	// Globex's job makes nothing of acme's rule, however late.
	f.clock.Advance(60 * 24 * time.Hour)
	if _, err := f.svc.MakeDueOccurrences(other); err != nil {
		t.Fatal(err)
	}
	var made int
	if err := pgtest.Connect(t, f.DB.AdminURL).QueryRow(t.Context(), "SELECT count(*) FROM recurrence_occurrences WHERE rule_id = $1", r.ID).Scan(&made); err != nil || made != 0 {
		t.Fatalf("globex's run made %d of acme's occurrences (%v)", made, err)
	}
	if rs, _, err := f.svc.FindRules(ctx, requests.Page{Limit: 50}); err != nil || !listed(rs, r.ID) {
		t.Fatalf("acme lists %+v (%v)", rs, err)
	}
	if _, err := f.svc.PreviewRule(ctx, r.ID, time.Time{}, 0); !tenant.IsCode(err, tenant.CodeInvalid) {
		t.Fatalf("preview of 0: %v", err)
	}
	before := f.rules(t)
	if err := f.svc.DeleteRule(ctx, r.ID); err != nil {
		t.Fatal(err)
	}
	if n := f.rules(t); n != before-1 {
		t.Fatalf("%d rules after delete, %d before", n, before)
	}
}

// An update changes a rule's schedule but never makes a date before today
// due: a past date would be made at once, late.
func TestUpdateRule(t *testing.T) {
	f := setupRecurrence(t)
	ctx := f.As(t.Context(), "acme", "staff")
	one, three, five := 1, 3, 5
	r, err := f.svc.CreateRule(ctx, requests.RuleInput{ServiceRequestID: f.request(t, "acme"), Frequency: requests.FrequencyWeekly, Every: 1,
		StartsOn: date("2026-03-23"), MaxCount: &one})
	if err != nil {
		t.Fatal(err)
	}
	f.clock.Set(time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)) // 03-23 is past, 03-30 would be
	for _, tc := range []struct {
		name  string
		up    requests.RuleUpdate
		field string
	}{
		{"NewCadenceFromThePast", requests.RuleUpdate{Frequency: requests.FrequencyWeekly, Every: 2, StartsOn: date("2026-03-23")}, "body.starts_on"},
		{"NewStartInThePast", requests.RuleUpdate{Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-24"), MaxCount: &one}, "body.starts_on"},
		{"MoreCountReachesAPastDate", requests.RuleUpdate{Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23"), MaxCount: &three}, "body.count"},
		{"NoEndReachesAPastDate", requests.RuleUpdate{Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23")}, "body.count"},
		{"EveryZero", requests.RuleUpdate{Frequency: requests.FrequencyWeekly, Every: 0, StartsOn: date("2026-04-02")}, "body.every"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := f.svc.UpdateRule(ctx, r.ID, tc.up)
			te, ok := errors.AsType[*tenant.Error](err)
			if !ok || te.Code != tenant.CodeInvalid || te.Fields[tc.field] == "" {
				t.Fatalf("err %v, want invalid %s", err, tc.field)
			}
		})
	}
	t.Run("OtherTenantIsNotFound", func(t *testing.T) {
		up := requests.RuleUpdate{Frequency: requests.FrequencyMonthly, Every: 1, StartsOn: date("2026-04-02")}
		if _, err := f.svc.UpdateRule(f.As(t.Context(), "globex", "owner"), r.ID, up); !tenant.IsCode(err, tenant.CodeNotFound) {
			t.Fatalf("err %v", err)
		}
	})
	got, err := f.svc.PreviewRule(ctx, r.ID, date("2026-03-01"), 5)
	if err != nil || len(got) != 1 || got[0].Date != date("2026-03-23") {
		t.Fatalf("the refused updates changed the rule: %+v %v", got, err)
	}
	// Same first date with an end that adds only future dates; then a
	// new cadence from today.
	if _, err := f.svc.UpdateRule(ctx, r.ID, requests.RuleUpdate{Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: date("2026-03-23"),
		UntilOn: ptr(date("2026-03-23"))}); err != nil {
		t.Fatal(err)
	}
	u, err := f.svc.UpdateRule(ctx, r.ID, requests.RuleUpdate{Frequency: requests.FrequencyMonthly, Every: 2, StartsOn: date("2026-04-01"), MaxCount: &five})
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != r.ID || u.ServiceRequestID != r.ServiceRequestID || u.Frequency != requests.FrequencyMonthly || u.Every != 2 || *u.MaxCount != 5 || u.UntilOn != nil {
		t.Fatalf("updated %+v", u)
	}
	got, err = f.svc.PreviewRule(ctx, r.ID, time.Time{}, 2)
	if err != nil || len(got) != 2 || got[0].Date != date("2026-04-01") || got[1].Date != date("2026-06-01") {
		t.Fatalf("preview after the update %+v %v", got, err)
	}
}
