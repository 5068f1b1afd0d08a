package tenantmail_test

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/mailer/tenantmail"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// sender keeps what it is given, and fails the addresses in fail.
type sender struct {
	mu   sync.Mutex
	fail map[string]bool
	msgs []mailer.Message
}

func (s *sender) Send(_ context.Context, m mailer.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail[m.To] {
		return errors.New("smtp send: 550 mailbox unavailable")
	}
	s.msgs = append(s.msgs, m)
	return nil
}

func (s *sender) messages() []mailer.Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]mailer.Message(nil), s.msgs...)
}

type env struct {
	*demotest.Fixture
	sent    *sender
	queue   *mailer.Queue
	members *members.Service
	reqs    *requests.Service
}

// setup wires the services as the application does: their mail leaves
// through a queue that delivers through tenantmail.Logged.
func setup(t *testing.T) *env {
	t.Helper()
	f := demotest.New(t, demotest.At(clocktest.Default))
	clock := clocktest.New(clocktest.Default)
	e := &env{Fixture: f, sent: &sender{fail: map[string]bool{}}}
	logger := slog.New(slog.DiscardHandler)
	e.queue = mailer.NewQueue(tenantmail.Logged{Next: e.sent, Store: f.Store, Now: clock.Now, Logger: logger}, 100, logger)
	t.Cleanup(func() { _ = e.queue.Close(context.WithoutCancel(t.Context())) })
	link := func(slug, path string) string { return "https://" + slug + ".tenantkit.test" + path }
	e.members = members.New(members.Config{Store: f.Store, Mailer: e.queue, Now: clock.Now, Link: link})
	e.reqs = requests.New(f.Store, requests.Config{Now: clock.Now, Mailer: e.queue, Link: link})
	return e
}

func (e *env) flush(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := e.queue.Flush(ctx); err != nil {
		t.Fatal(err)
	}
}

// logged returns tenant slug's delivery log entries of kind, read by its
// owner.
func (e *env) logged(t *testing.T, slug, kind string) []settings.Delivery {
	t.Helper()
	all, _, err := settings.New(e.Store).FindDeliveries(e.As(t.Context(), slug, "owner"), settings.DeliveryPage{Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	var out []settings.Delivery
	for _, d := range all {
		if d.Kind == kind {
			out = append(out, d)
		}
	}
	return out
}

func TestAnInvitationIsInTheInvitingTenantsLogOnly(t *testing.T) {
	e := setup(t)
	if _, err := e.members.Invite(e.As(t.Context(), "acme", "owner"), "new@acme.test", tenant.RoleStaff, "New <b>one</b>"); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	msgs := e.sent.messages()
	if len(msgs) != 1 || msgs[0].Kind != mailer.KindInvitation || msgs[0].To != "new@acme.test" {
		t.Fatalf("sent %+v", msgs)
	}
	m := msgs[0]
	if !strings.Contains(m.Text, "https://acme.tenantkit.test/invitations/accept?token=") || !strings.Contains(m.HTML, "New &lt;b&gt;one&lt;/b&gt;") || !strings.Contains(m.HTML, "<html") {
		t.Fatalf("text %q html %q", m.Text, m.HTML)
	}
	if ds := e.logged(t, "acme", mailer.KindInvitation); len(ds) != 1 || ds[0].Recipient != "new@acme.test" || ds[0].Result != tenantmail.Sent || ds[0].Subject != m.Subject {
		t.Fatalf("acme's log: %+v", ds)
	}
	if ds := e.logged(t, "globex", mailer.KindInvitation); len(ds) != 0 {
		t.Fatalf("globex's log holds acme's invitation: %+v", ds)
	}
}

func TestARolledBackInvitationSendsAndLogsNothing(t *testing.T) {
	e := setup(t)
	admin := pgtest.Connect(t, e.DB.AdminURL)
	// Without the communication settings the mail cannot be signed: the
	// invitation's transaction fails after inserting the invitation, and
	// rolls back.
	if _, err := admin.Exec(t.Context(), "REVOKE SELECT ON communication_defaults FROM tenantkit_app"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.members.Invite(e.As(t.Context(), "acme", "owner"), "someone@acme.test", tenant.RoleStaff, "Someone"); err == nil {
		t.Fatal("the invitation went through")
	}
	e.flush(t)
	var n int
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM invitations WHERE email = 'someone@acme.test'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d invitations kept (%v)", n, err)
	}
	if msgs := e.sent.messages(); len(msgs) != 0 {
		t.Fatalf("a rolled-back invitation sent %+v", msgs)
	}
	if err := admin.QueryRow(t.Context(), "SELECT count(*) FROM mail_deliveries WHERE kind = 'invitation'").Scan(&n); err != nil || n != 0 {
		t.Fatalf("%d invitations logged (%v)", n, err)
	}
}

func TestAPublicFormConfirmationIsInItsTenantsLogOnly(t *testing.T) {
	e := setup(t)
	in := requests.PublicInput{Email: "someone@example.test", Name: "<script>alert(1)</script>", Title: "Help <script>x</script>", Details: "<script>y</script>"}
	if err := e.reqs.SubmitPublicRequest(e.Public(t.Context(), "acme"), in, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	msgs := e.sent.messages()
	if len(msgs) != 1 || msgs[0].Kind != mailer.KindRequestReceived {
		t.Fatalf("sent %+v", msgs)
	}
	m := msgs[0]
	// The confirmation carries nothing the submitter typed, escaped or not.
	for _, part := range []string{m.Subject, m.Text, m.HTML} {
		if strings.Contains(part, "script") || strings.Contains(part, "Help") {
			t.Fatalf("the confirmation carries what the public typed: %q", part)
		}
	}
	if !strings.Contains(m.Text, "https://acme.tenantkit.test/requests/confirm?token=") || !strings.Contains(m.HTML, "<html") {
		t.Fatalf("text %q html %q", m.Text, m.HTML)
	}
	if ds := e.logged(t, "acme", mailer.KindRequestReceived); len(ds) != 1 || ds[0].Recipient != "someone@example.test" || ds[0].Result != tenantmail.Sent {
		t.Fatalf("acme's log: %+v", ds)
	}
	if ds := e.logged(t, "globex", mailer.KindRequestReceived); len(ds) != 0 {
		t.Fatalf("globex's log holds acme's confirmation: %+v", ds)
	}
}

func TestAFailedSendIsLoggedAsFailed(t *testing.T) {
	e := setup(t)
	e.sent.fail["someone@example.test"] = true
	in := requests.PublicInput{Email: "someone@example.test", Name: "Someone", Title: "Help"}
	if err := e.reqs.SubmitPublicRequest(e.Public(t.Context(), "acme"), in, "192.0.2.1"); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	ds := e.logged(t, "acme", mailer.KindRequestReceived)
	if len(ds) != 1 || ds[0].Result != tenantmail.Failed || ds[0].Error != "smtp send: 550 mailbox unavailable" {
		t.Fatalf("acme's log: %+v", ds)
	}
}

func TestAccountMailAndMailOutsideItsTenantAreNotLogged(t *testing.T) {
	e := setup(t)
	acme, globex := e.As(t.Context(), "acme", "owner"), e.As(t.Context(), "globex", "owner")
	reset, err := mailer.Render(mailer.KindPasswordReset, "owner@acme.test", mailer.Data{Firm: "Acme", Link: &mailer.LinkData{URL: "https://acme.tenantkit.test/password-reset?token=x"}})
	if err != nil {
		t.Fatal(err)
	}
	reset.TenantID = e.Seeded["acme"].TenantID
	// acme's invitation mail queued in globex's scope: sent, but recorded
	// in neither log.
	stray, err := mailer.Render(mailer.KindInvitation, "x@acme.test", mailer.Data{Firm: "Acme", Role: "staff", Link: &mailer.LinkData{URL: "https://acme.tenantkit.test/"}})
	if err != nil {
		t.Fatal(err)
	}
	stray.TenantID = e.Seeded["acme"].TenantID
	if err := e.queue.Send(acme, reset); err != nil {
		t.Fatal(err)
	}
	if err := e.queue.Send(globex, stray); err != nil {
		t.Fatal(err)
	}
	e.flush(t)
	if n := len(e.sent.messages()); n != 2 {
		t.Fatalf("%d sent", n)
	}
	for _, slug := range []string{"acme", "globex"} {
		for _, kind := range []string{mailer.KindPasswordReset, mailer.KindInvitation} {
			if ds := e.logged(t, slug, kind); len(ds) != 0 {
				t.Fatalf("%s's log: %+v", slug, ds)
			}
		}
	}
}
