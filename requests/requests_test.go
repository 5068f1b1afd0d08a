package requests_test

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"sync"
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

func TestMain(m *testing.M) { pgtest.Main(m) }

type fixture struct {
	*demotest.Fixture
	svc    *requests.Service
	outbox *mailer.Outbox
}

// setup returns the service over a fresh database seeded with the demo
// tenants, connected as the app role.
func setup(tb testing.TB, cfg requests.Config) *fixture {
	tb.Helper()
	f := demotest.New(tb)
	clock := clocktest.New(clocktest.Default)
	outbox := mailer.NewOutbox(100, clock.Now)
	cfg.Now, cfg.Mailer = clock.Now, outbox
	cfg.Link = func(slug, path string) string { return "https://" + slug + ".tenantkit.test" + path }
	return &fixture{Fixture: f, svc: requests.New(f.Store, cfg), outbox: outbox}
}

// tokens returns the tokens of the links mailed to address, oldest first.
func (f *fixture) tokens(tb testing.TB, address string) []string {
	tb.Helper()
	var out []string
	msgs := f.outbox.Messages()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].To != address {
			continue
		}
		text := msgs[i].Text
		at := strings.Index(text, "token=")
		if at < 0 {
			tb.Fatalf("no link in %q", text)
		}
		tok, err := url.QueryUnescape(strings.Fields(text[at+len("token="):])[0])
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, tok)
	}
	return out
}

// as returns ctx scoped to the demo member key (owner, staff, client,
// consultant) of tenant slug.
func (f *fixture) as(slug, key string) context.Context { return f.As(context.Background(), slug, key) }

// public returns ctx scoped as the public form of tenant slug is: the
// tenant alone.
func (f *fixture) public(slug string) context.Context { return f.Public(context.Background(), slug) }

func (f *fixture) count(tb testing.TB, sql string, args ...any) int {
	tb.Helper()
	var n int
	if err := pgtest.Connect(tb, f.DB.AdminURL).QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		tb.Fatal(err)
	}
	return n
}

// The domain checks the role itself: a caller other than the web layer
// cannot skip it.
func TestRolesAreCheckedByTheService(t *testing.T) {
	f := setup(t, requests.Config{})
	client, staff := f.as("acme", "client"), f.as("acme", "staff")
	mine, _, err := f.svc.FindMyRequests(client, nil, requests.Page{})
	if err != nil || len(mine) == 0 {
		t.Fatalf("my requests: %v %v", mine, err)
	}
	id := mine[0].ID
	for name, call := range map[string]func(context.Context) error{
		"FindRequests": func(ctx context.Context) error {
			_, _, err := f.svc.FindRequests(ctx, requests.RequestFilter{})
			return err
		},
		"FindRequestByID": func(ctx context.Context) error {
			_, err := f.svc.FindRequestByID(ctx, id)
			return err
		},
		"CreateRequest": func(ctx context.Context) error {
			_, err := f.svc.CreateRequest(ctx, requests.RequestInput{ClientMemberID: f.Seeded["acme"].Members["client"].ID, Title: "Acme x"})
			return err
		},
		"UpdateRequest": func(ctx context.Context) error {
			title := "Acme x"
			_, err := f.svc.UpdateRequest(ctx, id, requests.RequestUpdate{Title: &title})
			return err
		},
		"TransitionRequest": func(ctx context.Context) error {
			_, err := f.svc.TransitionRequest(ctx, id, requests.StatusCancelled, "")
			return err
		},
		"AssignRequest": func(ctx context.Context) error {
			m := f.Seeded["acme"].Members["staff"].ID
			_, err := f.svc.AssignRequest(ctx, id, &m)
			return err
		},
		"AddComment": func(ctx context.Context) error {
			_, err := f.svc.AddComment(ctx, id, "x", requests.VisibilityInternal)
			return err
		},
		"FindComments":     func(ctx context.Context) error { _, _, err := f.svc.FindComments(ctx, id, requests.Page{}); return err },
		"FindEvents":       func(ctx context.Context) error { _, _, err := f.svc.FindEvents(ctx, id, requests.Page{}); return err },
		"NextStatuses":     func(ctx context.Context) error { _, err := f.svc.NextStatuses(ctx, id); return err },
		"RequestAnalytics": func(ctx context.Context) error { _, err := f.svc.RequestAnalytics(ctx, nil, nil); return err },
	} {
		if err := call(client); !tenant.IsCode(err, tenant.CodeForbidden) {
			t.Errorf("%s as a client: %v", name, err)
		}
	}
	if err := f.svc.DeleteRequest(staff, id); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Errorf("DeleteRequest as staff: %v", err)
	}
	if err := f.svc.DeleteComment(staff, id, uuid.New()); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Errorf("DeleteComment as staff: %v", err)
	}
	// The portal acts for a member: a scope without one (the public form's)
	// is refused before any SQL.
	if _, _, err := f.svc.FindMyRequests(f.public("acme"), nil, requests.Page{}); !tenant.IsCode(err, tenant.CodeForbidden) && !tenant.IsCode(err, tenant.CodeInternal) {
		t.Errorf("portal without a member: %v", err)
	}
	if _, err := f.svc.FindRequestByID(context.Background(), id); !tenant.IsCode(err, tenant.CodeInternal) {
		t.Errorf("no scope: %v", err)
	}
}

// The transition table decides every move, and each move writes exactly
// one event with its actor and note.
func TestWorkflowFollowsTheTransitionTable(t *testing.T) {
	f := setup(t, requests.Config{})
	ctx := f.as("acme", "staff")
	r, err := f.svc.CreateRequest(ctx, requests.RequestInput{ClientMemberID: f.Seeded["acme"].Members["client"].ID, Title: "Acme workflow"})
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[requests.Status][]requests.Status{
		requests.StatusSubmitted:  {requests.StatusInReview, requests.StatusApproved, requests.StatusCancelled},
		requests.StatusInReview:   {requests.StatusApproved, requests.StatusCancelled},
		requests.StatusApproved:   {requests.StatusScheduled, requests.StatusInProgress, requests.StatusCancelled},
		requests.StatusScheduled:  {requests.StatusApproved, requests.StatusInProgress, requests.StatusCancelled},
		requests.StatusInProgress: {requests.StatusCompleted, requests.StatusCancelled},
	}
	path := []requests.Status{requests.StatusInReview, requests.StatusApproved, requests.StatusScheduled, requests.StatusInProgress, requests.StatusCompleted}
	events := 1
	for _, next := range path {
		cur, err := f.svc.FindRequestByID(ctx, r.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := f.svc.NextStatuses(ctx, r.ID)
		if err != nil || fmt.Sprint(got) != fmt.Sprint(allowed[cur.Status]) {
			t.Fatalf("from %s: next %v (%v), want %v", cur.Status, got, err, allowed[cur.Status])
		}
		for _, st := range requests.Statuses {
			if st == next || containsStatus(allowed[cur.Status], st) {
				continue
			}
			if _, err := f.svc.TransitionRequest(ctx, r.ID, st, "refused"); !tenant.IsCode(err, tenant.CodeConflict) {
				t.Fatalf("%s → %s: want conflict, got %v", cur.Status, st, err)
			}
		}
		if _, err := f.svc.TransitionRequest(ctx, r.ID, next, "to "+string(next)); err != nil {
			t.Fatalf("%s → %s: %v", cur.Status, next, err)
		}
		events++
	}
	es, _, err := f.svc.FindEvents(ctx, r.ID, requests.Page{})
	if err != nil || len(es) != events {
		t.Fatalf("%d events (%v), want %d: refused moves must leave none", len(es), err, events)
	}
	for i, e := range es[1:] {
		if e.To != path[i] || e.Note != "to "+string(path[i]) || e.ActorName != "Acme Staff Sam" {
			t.Fatalf("event %d: %+v", i+1, e)
		}
	}
}

func containsStatus(ss []requests.Status, s requests.Status) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// The tenant-wide limit of the public form holds across client addresses
// and does not touch another tenant's form.
func TestPublicFormTenantLimit(t *testing.T) {
	f := setup(t, requests.Config{PublicPerTenant: requests.Rate{Burst: 3, Every: time.Hour}})
	in := func(i int) requests.PublicInput {
		return requests.PublicInput{Email: fmt.Sprintf("p%d@example.test", i), Name: "Acme P", Title: "Acme public"}
	}
	for i := range 3 {
		if err := f.svc.SubmitPublicRequest(f.public("acme"), in(i), fmt.Sprintf("192.0.2.%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	err := f.svc.SubmitPublicRequest(f.public("acme"), in(9), "192.0.2.9")
	if !tenant.IsCode(err, tenant.CodeRateLimited) || tenant.RetryAfter(err) <= 0 {
		t.Fatalf("over the tenant limit: %v", err)
	}
	if err := f.svc.SubmitPublicRequest(f.public("globex"), in(9), "192.0.2.9"); err != nil {
		t.Fatalf("globex throttled by acme's flood: %v", err)
	}
}

// Concurrent confirmations for one new address make one account and one
// membership, and file every request.
func TestPublicFormConcurrentConfirmations(t *testing.T) {
	f := setup(t, requests.Config{PublicPerEmail: requests.Rate{Burst: 100, Every: time.Second}})
	for i := range 8 {
		if err := f.svc.SubmitPublicRequest(f.public("acme"),
			requests.PublicInput{Email: "race@example.test", Name: "Acme Race", Title: "Acme race"}, fmt.Sprintf("192.0.2.%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	tokens := f.tokens(t, "race@example.test")
	if len(tokens) != 8 {
		t.Fatalf("%d confirmation mails, want 8", len(tokens))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(tokens))
	for i, tok := range tokens {
		wg.Go(func() { errs[i] = f.svc.ConfirmPublicRequest(f.public("acme"), tok) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if n := f.count(t, "SELECT count(*) FROM accounts WHERE email = 'race@example.test'"); n != 1 {
		t.Fatalf("%d accounts", n)
	}
	if n := f.count(t, "SELECT count(*) FROM members m JOIN accounts a ON a.id = m.account_id WHERE a.email = 'race@example.test'"); n != 1 {
		t.Fatalf("%d memberships", n)
	}
	if n := f.count(t, "SELECT count(*) FROM service_requests WHERE title = 'Acme race' AND source = 'public'"); n != 8 {
		t.Fatalf("%d requests", n)
	}
}

// A submission of the public form attaches nothing to anyone until the
// address confirms it: no account, no membership, no request; the link's
// token then files it once, on its own tenant only.
func TestPublicFormWaitsForTheAddress(t *testing.T) {
	f := setup(t, requests.Config{})
	in := requests.PublicInput{Email: "Someone@Example.test", Name: "Acme Someone", Title: "Acme public help", Details: "Acme details"}
	if err := f.svc.SubmitPublicRequest(f.public("acme"), in, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	accounts := "SELECT count(*) FROM accounts WHERE email = 'someone@example.test'"
	filed := "SELECT count(*) FROM service_requests WHERE title = 'Acme public help'"
	if a, r := f.count(t, accounts), f.count(t, filed); a != 0 || r != 0 {
		t.Fatalf("before confirmation: %d accounts, %d requests", a, r)
	}
	msgs := f.outbox.Messages()
	if len(msgs) != 1 || msgs[0].To != "someone@example.test" || strings.Contains(msgs[0].Text, "Acme public help") || strings.Contains(msgs[0].Text, "Acme details") {
		t.Fatalf("confirmation mail: %+v", msgs)
	}
	tok := f.tokens(t, "someone@example.test")[0]
	if err := f.svc.ConfirmPublicRequest(f.public("globex"), tok); !tenant.IsCode(err, tenant.CodeInvalid) {
		t.Fatalf("another tenant's token: %v", err)
	}
	if err := f.svc.ConfirmPublicRequest(f.public("acme"), tok); err != nil {
		t.Fatal(err)
	}
	if a, r := f.count(t, accounts), f.count(t, filed); a != 1 || r != 1 {
		t.Fatalf("after confirmation: %d accounts, %d requests", a, r)
	}
	if err := f.svc.ConfirmPublicRequest(f.public("acme"), tok); !tenant.IsCode(err, tenant.CodeInvalid) {
		t.Fatalf("a used token: %v", err)
	}
	if r := f.count(t, filed); r != 1 {
		t.Fatalf("a used token filed again: %d requests", r)
	}
}

// Analytics ranges: defaults, order and span.
func TestAnalyticsRange(t *testing.T) {
	f := setup(t, requests.Config{})
	ctx := f.as("acme", "owner")
	day := func(s string) *time.Time {
		d, _ := time.Parse(time.DateOnly, s)
		return &d
	}
	for _, tc := range []struct {
		name     string
		from, to *time.Time
		months   int
		invalid  bool
	}{
		{"OneDay", day("2024-02-29"), day("2024-02-29"), 1, false},
		{"AcrossYears", day("2023-11-15"), day("2024-02-01"), 4, false},
		{"DefaultFrom", nil, day("2024-06-30"), 12, false},
		{"Reversed", day("2024-02-02"), day("2024-02-01"), 0, true},
		{"TooLong", day("2010-01-01"), day("2024-01-01"), 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, err := f.svc.RequestAnalytics(ctx, tc.from, tc.to)
			if tc.invalid {
				if !tenant.IsCode(err, tenant.CodeInvalid) {
					t.Fatalf("want invalid, got %v", err)
				}
				return
			}
			if err != nil || len(a.ByMonth) != tc.months || a.TimeZone != "America/New_York" || len(a.ByStatus) != len(requests.Statuses) {
				t.Fatalf("%+v %v", a, err)
			}
		})
	}
}
