package jobs_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/jobs"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// request returns a service request of tenant slug.
func (e *env) request(t *testing.T, slug string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := e.admin.QueryRow(t.Context(), "SELECT id FROM service_requests WHERE tenant_id = $1 ORDER BY created_at, id LIMIT 1",
		e.tenantID(slug)).Scan(&id); err != nil {
		t.Fatalf("find a request of %s: %v", slug, err)
	}
	return id
}

// staffEmails returns the addresses of tenant slug's live staff, admins
// and owners.
func (e *env) staffEmails(t *testing.T, slug string) map[string]bool {
	t.Helper()
	rows, err := e.admin.Query(t.Context(), `SELECT a.email FROM members m JOIN accounts a ON a.id = m.account_id
		WHERE m.tenant_id = $1 AND m.role IN ('staff', 'admin', 'owner') AND m.removed_at IS NULL`, e.tenantID(slug))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out[s] = true
	}
	if len(out) == 0 {
		t.Fatalf("%s has no staff", slug)
	}
	return out
}

func (e *env) requests() *requests.Service {
	return requests.New(e.Store, requests.Config{Now: func() time.Time { return now }, Mailer: &recorder{},
		Link: func(slug, path string) string { return "https://" + slug + ".example.test" + path }})
}

func TestAClientsRequestAndCommentMailTheStaff(t *testing.T) {
	e := setup(t)
	e.run()
	ctx := e.As(t.Context(), "acme", "client")
	r, err := e.requests().CreateMyRequest(ctx, requests.ClientInput{Title: "Fix the <b>roof</b>", Details: "leaks"})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := e.admin.QueryRow(t.Context(), "SELECT id FROM river.river_job WHERE kind = 'request_staff_mail' AND args->>'request_id' = $1", r.ID.String()).Scan(&id); err != nil {
		t.Fatalf("the request inserted no job: %v", err)
	}
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	staff := e.staffEmails(t, "acme")
	msgs := e.mail.messages()
	if len(msgs) != len(staff) {
		t.Fatalf("%d messages for %d staff", len(msgs), len(staff))
	}
	for _, m := range msgs {
		if !staff[m.To] || m.TenantID != e.tenantID("acme") || !strings.Contains(m.Subject, "new service request") {
			t.Fatalf("message %+v", m)
		}
		// The HTML part escapes what the client wrote.
		if !strings.Contains(m.Text, "Fix the <b>roof</b>") || !strings.Contains(m.HTML, "Fix the &lt;b&gt;roof&lt;/b&gt;") {
			t.Fatalf("text %q html %q", m.Text, m.HTML)
		}
	}

	c, err := e.requests().AddMyComment(ctx, r.ID, "Any news?")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.admin.QueryRow(t.Context(), "SELECT id FROM river.river_job WHERE kind = 'request_staff_mail' AND args->>'comment_id' = $1", c.ID.String()).Scan(&id); err != nil {
		t.Fatalf("the comment inserted no job: %v", err)
	}
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	msgs = e.mail.messages()[len(staff):]
	if len(msgs) != len(staff) || !strings.Contains(msgs[0].Text, "Any news?") || !strings.Contains(msgs[0].Subject, "wrote on") {
		t.Fatalf("comment mail %+v", msgs)
	}
}

func TestStaffMailNamingAnotherTenantsRequestFindsNothing(t *testing.T) {
	e := setup(t)
	e.run()
	ctx := e.As(t.Context(), "acme", "client")
	// Acme's job, naming globex's request: it runs in acme's scope and reads
	// nothing of globex's, so nobody (least of all globex's staff) is mailed.
	id := e.insert(t, ctx, jobs.RequestStaffMail{Tenant: jobs.For(tenant.MustScope(ctx)), RequestID: e.request(t, "globex")})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	if msgs := e.mail.messages(); len(msgs) != 0 {
		t.Fatalf("acme's job mailed about globex's request: %+v", msgs)
	}
	// The control: acme's own request mails acme's staff, and only them.
	id = e.insert(t, ctx, jobs.RequestStaffMail{Tenant: jobs.For(tenant.MustScope(ctx)), RequestID: e.request(t, "acme")})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	staff := e.staffEmails(t, "acme")
	msgs := e.mail.messages()
	if len(msgs) != len(staff) {
		t.Fatalf("control: %d messages for %d staff", len(msgs), len(staff))
	}
	for _, m := range msgs {
		// Only acme's staff: globex's own (all but a consultant who works
		// for both) never.
		if !staff[m.To] {
			t.Fatalf("control mailed %s", m.To)
		}
	}
}

// fileRequest files a service request titled title as acme's client and
// returns the staff mail job it inserted, once finalized.
func (e *env) fileRequest(t *testing.T, title string) int64 {
	t.Helper()
	ctx := e.As(t.Context(), "acme", "client")
	r, err := e.requests().CreateMyRequest(ctx, requests.ClientInput{Title: title, Details: "d"})
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := e.admin.QueryRow(t.Context(), "SELECT id FROM river.river_job WHERE kind = 'request_staff_mail' AND args->>'request_id' = $1", r.ID.String()).Scan(&id); err != nil {
		t.Fatalf("the request inserted no job: %v", err)
	}
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	return id
}

func TestStaffMailHonoursTheCommunicationSetting(t *testing.T) {
	e := setup(t)
	if _, err := e.admin.Exec(t.Context(), "INSERT INTO communication_settings (tenant_id, notify_staff_on_request) VALUES ($1, false) ON CONFLICT (tenant_id) DO UPDATE SET notify_staff_on_request = false", e.tenantID("acme")); err != nil {
		t.Fatal(err)
	}
	e.run()
	e.fileRequest(t, "Quiet please")
	if n := len(e.mail.messages()); n != 0 {
		t.Fatalf("%d messages with notify_staff_on_request off", n)
	}
	var logged int
	if err := e.admin.QueryRow(t.Context(), "SELECT count(*) FROM mail_deliveries WHERE tenant_id = $1 AND created_at = $2", e.tenantID("acme"), now).Scan(&logged); err != nil || logged != 0 {
		t.Fatalf("%d deliveries logged (%v)", logged, err)
	}
}

func TestBookingMailHasTextAndHTMLWithTheFirmsName(t *testing.T) {
	e := setup(t)
	if _, err := e.admin.Exec(t.Context(), "INSERT INTO organization_settings (tenant_id, display_name) VALUES ($1, 'Acme & Sons') ON CONFLICT (tenant_id) DO UPDATE SET display_name = 'Acme & Sons'", e.tenantID("acme")); err != nil {
		t.Fatal(err)
	}
	if _, err := e.admin.Exec(t.Context(), "INSERT INTO communication_settings (tenant_id, sender_name) VALUES ($1, 'The Acme desk') ON CONFLICT (tenant_id) DO UPDATE SET sender_name = 'The Acme desk'", e.tenantID("acme")); err != nil {
		t.Fatal(err)
	}
	e.run()
	ctx := e.As(t.Context(), "acme", "staff")
	id := e.insert(t, ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: e.booking(t, "acme", "confirmed")})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	msgs := e.mail.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	if !strings.HasPrefix(m.Subject, "Acme & Sons: your booking on ") || !strings.Contains(m.Subject, "is confirmed") {
		t.Fatalf("subject %q", m.Subject)
	}
	if !strings.Contains(m.Text, "your booking with Acme & Sons is confirmed:") || !strings.Contains(m.Text, "The Acme desk") {
		t.Fatalf("text part %q", m.Text)
	}
	if !strings.Contains(m.HTML, "<html") || !strings.Contains(m.HTML, "Acme &amp; Sons") || !strings.Contains(m.HTML, "The Acme desk") {
		t.Fatalf("html part %q", m.HTML)
	}
	if len(m.Attachments) != 1 {
		t.Fatalf("attachments %+v", m.Attachments)
	}
}

func TestTheOutboxKeepsBothParts(t *testing.T) {
	o := mailer.NewOutbox(5, func() time.Time { return now })
	if err := o.Send(t.Context(), mailer.Message{To: "a@example.test", Subject: "s", Text: "plain", HTML: "<p>html</p>"}); err != nil {
		t.Fatal(err)
	}
	if m := o.Messages()[0]; m.Text != "plain" || m.HTML != "<p>html</p>" {
		t.Fatalf("%+v", m)
	}
}

// failing is a mail sender that fails every message.
type failing struct{}

func (failing) Send(context.Context, mailer.Message) error {
	return errSMTP
}

var errSMTP = &smtpError{}

type smtpError struct{}

func (*smtpError) Error() string { return "smtp send: 550 mailbox unavailable\nsecond line" }

func TestTheDeliveryLogIsEachTenantsOwn(t *testing.T) {
	e := setup(t)
	e.run()
	acme, globex := e.As(t.Context(), "acme", "staff"), e.As(t.Context(), "globex", "staff")
	for _, c := range []struct {
		ctx  context.Context
		slug string
	}{{acme, "acme"}, {globex, "globex"}} {
		id := e.insert(t, c.ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(c.ctx)), BookingID: e.booking(t, c.slug, "confirmed")})
		if st := e.wait(t, id); st != "completed" {
			t.Fatalf("job %s", st)
		}
	}
	svc := settings.New(e.Store)
	for _, c := range []struct{ slug, to string }{{"acme", "client@acme.test"}, {"globex", "client@globex.test"}} {
		all, _, err := svc.FindDeliveries(e.As(t.Context(), c.slug, "owner"), settings.DeliveryPage{Limit: 50})
		if err != nil {
			t.Fatal(err)
		}
		var ds []settings.Delivery // the demo's seeded entry aside
		for _, d := range all {
			if !strings.HasSuffix(d.Recipient, "@"+c.slug+".test") {
				t.Fatalf("%s's log names %s", c.slug, d.Recipient)
			}
			if d.Kind == jobs.MailBookingConfirmed {
				ds = append(ds, d)
			}
		}
		if len(ds) != 1 || ds[0].Recipient != c.to || ds[0].Result != jobs.DeliverySent || ds[0].Kind != jobs.MailBookingConfirmed || !ds[0].CreatedAt.Equal(now) {
			t.Fatalf("%s's log: %+v", c.slug, ds)
		}
	}
	// Row security alone keeps them apart: as the app role in globex's
	// scope, a query with no tenant filter reads only globex's entries.
	conn := pgtest.Connect(t, e.DB.AppURL)
	tx, err := conn.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(t.Context(), "SELECT set_config('app.current_tenant_id', $1, true)", e.tenantID("globex").String()); err != nil {
		t.Fatal(err)
	}
	rows, err := tx.Query(t.Context(), "SELECT recipient FROM mail_deliveries WHERE kind = 'booking_confirmed'")
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for rows.Next() {
		var r string
		if err := rows.Scan(&r); err != nil {
			t.Fatal(err)
		}
		seen = append(seen, r)
	}
	if len(seen) != 1 || seen[0] != "client@globex.test" {
		t.Fatalf("globex's scope reads %v", seen)
	}
	// Staff may not read the log.
	if _, _, err := svc.FindDeliveries(acme, settings.DeliveryPage{Limit: 50}); !tenant.IsCode(err, tenant.CodeForbidden) {
		t.Fatalf("staff read the log: %v", err)
	}
}

func TestAFailedDeliveryIsLoggedWithoutDetail(t *testing.T) {
	f := demotest.New(t, demotest.At(now))
	ctx := f.As(t.Context(), "acme", "staff")
	r, err := jobs.New(jobs.Config{Store: f.Store, Sender: failing{}, Now: func() time.Time { return now }, PurgeInterval: -1, RecurrenceInterval: -1, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	admin := pgtest.Connect(t, f.DB.AdminURL)
	var booking uuid.UUID
	if err := admin.QueryRow(t.Context(), "SELECT id FROM bookings WHERE tenant_id = $1 AND status = 'confirmed' AND starts_at > $2 ORDER BY starts_at LIMIT 1",
		f.Seeded["acme"].TenantID, now).Scan(&booking); err != nil {
		t.Fatal(err)
	}
	if err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.InsertJob(ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: booking})
	}); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	defer r.Close(context.Background())
	deadline := time.Now().Add(15 * time.Second)
	var result, detail string
	for time.Now().Before(deadline) {
		err := admin.QueryRow(t.Context(), "SELECT result, error FROM mail_deliveries WHERE tenant_id = $1 AND kind = 'booking_confirmed'", f.Seeded["acme"].TenantID).Scan(&result, &detail)
		if err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if result != jobs.DeliveryFailed || detail != "smtp send: 550 mailbox unavailable" {
		t.Fatalf("logged %q %q", result, detail)
	}
}

func TestPurgeDropsOldDeliveries(t *testing.T) {
	e := setup(t)
	id := e.tenantID("acme")
	for _, age := range []time.Duration{jobs.MailDeliveryRetention + time.Hour, jobs.MailDeliveryRetention - time.Hour} {
		if _, err := e.admin.Exec(t.Context(), "INSERT INTO mail_deliveries (tenant_id, kind, recipient, subject, result, created_at) VALUES ($1, 'booking_confirmed', 'x@example.test', 's', 'sent', $2)",
			id, now.Add(-age)); err != nil {
			t.Fatal(err)
		}
	}
	c, err := jobs.PurgeTenant(e.As(t.Context(), "acme", "owner"), e.Store, now)
	if err != nil {
		t.Fatal(err)
	}
	var left int
	if err := e.admin.QueryRow(t.Context(), "SELECT count(*) FROM mail_deliveries WHERE tenant_id = $1 AND recipient = 'x@example.test'", id).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if c.MailDeliveries != 1 || left != 1 {
		t.Fatalf("purged %d, %d left", c.MailDeliveries, left)
	}
}

func TestARecurringRuleMakesEachOccurrenceOnceWhenItsJobRunsTwice(t *testing.T) {
	e := setup(t)
	clock := clocktest.New(now)
	svc := requests.New(e.Store, requests.Config{Now: clock.Now, Mailer: &recorder{}, Link: func(slug, path string) string { return path }})
	r, err := jobs.New(jobs.Config{Store: e.Store, Sender: e.mail, Now: clock.Now, Occurrences: svc.MakeDueOccurrences,
		PurgeInterval: -1, RecurrenceInterval: -1, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Start(context.WithoutCancel(t.Context())); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(context.Background()) })
	ctx := e.As(t.Context(), "acme", "staff")
	template := e.request(t, "acme")
	rule, err := svc.CreateRule(ctx, requests.RuleInput{ServiceRequestID: template, Frequency: requests.FrequencyWeekly, Every: 1, StartsOn: now})
	if err != nil {
		t.Fatal(err)
	}
	clock.Advance(15 * 24 * time.Hour) // three dates due: day 0, 7 and 14
	// Two runs inserted together (so they may run at once), then a third
	// after them.
	if err := e.Store.InTenant(ctx, func(tx *store.Tx) error {
		for range 2 {
			if err := tx.InsertJob(ctx, jobs.Recurrence{Tenant: jobs.For(tenant.MustScope(ctx))}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	rows, err := e.admin.Query(t.Context(), "SELECT id FROM river.river_job WHERE kind = 'recurrence_tenant'")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if len(ids) != 2 {
		t.Fatalf("%d jobs", len(ids))
	}
	for _, id := range ids {
		if st := e.wait(t, id); st != "completed" {
			t.Fatalf("job %s", st)
		}
	}
	if st := e.wait(t, e.insert(t, ctx, jobs.Recurrence{Tenant: jobs.For(tenant.MustScope(ctx))})); st != "completed" {
		t.Fatalf("job %s", st)
	}
	rows, err = e.admin.Query(t.Context(), `SELECT r.due_on::text, count(*) FROM recurrence_occurrences o
		JOIN service_requests r ON r.tenant_id = o.tenant_id AND r.id = o.service_request_id
		WHERE o.tenant_id = $1 AND o.rule_id = $2 GROUP BY r.due_on ORDER BY r.due_on`, e.tenantID("acme"), rule.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for rows.Next() {
		var d string
		var n int
		if err := rows.Scan(&d, &n); err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Fatalf("%s made %d times", d, n)
		}
		got = append(got, d)
	}
	want := []string{"2026-03-02", "2026-03-09", "2026-03-16"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("occurrences %v, want %v", got, want)
	}
	var copies int
	if err := e.admin.QueryRow(t.Context(), `SELECT count(*) FROM service_requests r JOIN service_requests t ON t.tenant_id = r.tenant_id AND t.id = $2
		WHERE r.tenant_id = $1 AND r.title = t.title AND r.due_on IS NOT NULL AND r.id <> t.id AND r.created_by_member_id IS NULL AND r.source = 'staff'`,
		e.tenantID("acme"), template).Scan(&copies); err != nil || copies != 3 {
		t.Fatalf("%d copies of the template (%v)", copies, err)
	}
}

func TestAStaffMailRetryMailsOnlyTheRecipientsNotReached(t *testing.T) {
	e := setup(t)
	staff := e.staffEmails(t, "acme")
	if len(staff) < 2 {
		t.Fatalf("acme has %d staff", len(staff))
	}
	var failing string
	for s := range staff {
		failing = s
		break
	}
	e.mail.failNext(failing, 1)
	e.run()
	id := e.fileRequest(t, "Partly mailed")
	var attempts int
	if err := e.admin.QueryRow(t.Context(), "SELECT attempt FROM river.river_job WHERE id = $1", id).Scan(&attempts); err != nil || attempts != 2 {
		t.Fatalf("the job ran %d times (%v), want 2: one partial failure, one retry", attempts, err)
	}
	// Everyone reached exactly once: the retry mailed the failed recipient
	// alone.
	got := map[string]int{}
	for _, m := range e.mail.messages() {
		got[m.To]++
	}
	for s := range staff {
		if got[s] != 1 {
			t.Fatalf("mails per recipient %v, want one each for %v", got, staff)
		}
	}
	// The log shows it: one failure and one success for the failed
	// recipient, one success for each of the others.
	rows, err := e.admin.Query(t.Context(), "SELECT recipient, result FROM mail_deliveries WHERE tenant_id = $1 AND job_id = $2 ORDER BY created_at",
		e.tenantID("acme"), id)
	if err != nil {
		t.Fatal(err)
	}
	logged := map[string][]string{}
	for rows.Next() {
		var to, result string
		if err := rows.Scan(&to, &result); err != nil {
			t.Fatal(err)
		}
		logged[to] = append(logged[to], result)
	}
	for s := range staff {
		want := "[sent]"
		if s == failing {
			want = "[failed sent]"
		}
		if fmt.Sprint(logged[s]) != want {
			t.Fatalf("log of %s: %v, want %s (all: %v)", s, logged[s], want, logged)
		}
	}
}
