package jobs_test

import (
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/demotest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/jobs"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// now is the instant every test runs at.
var now = time.Date(2026, 3, 2, 12, 0, 0, 0, time.UTC)

// recorder is a mail sender that keeps what it is given. It fails the
// first failures[address] messages to an address (and keeps those out of
// msgs).
type recorder struct {
	mu       sync.Mutex
	msgs     []mailer.Message
	failures map[string]int
}

func (r *recorder) Send(_ context.Context, m mailer.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures[m.To] > 0 {
		r.failures[m.To]--
		return errSMTP
	}
	r.msgs = append(r.msgs, m)
	return nil
}

// failNext makes the next n messages to address fail.
func (r *recorder) failNext(address string, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failures == nil {
		r.failures = map[string]int{}
	}
	r.failures[address] = n
}

func (r *recorder) messages() []mailer.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]mailer.Message(nil), r.msgs...)
}

type env struct {
	*demotest.Fixture
	admin *pgx.Conn
	mail  *recorder
	run   func() // starts the runner
}

// setup returns the demo tenants, a superuser connection to inspect and
// arrange rows, and a runner (started by run) that mails to a recorder.
func setup(t *testing.T) *env {
	t.Helper()
	f := demotest.New(t, demotest.At(now))
	e := &env{Fixture: f, admin: pgtest.Connect(t, f.DB.AdminURL), mail: &recorder{}}
	r, err := jobs.New(jobs.Config{
		Store: f.Store, Sender: e.mail, Now: func() time.Time { return now },
		PurgeInterval: -1, RecurrenceInterval: -1, PollInterval: 20 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	started := false
	e.run = func() {
		if err := r.Start(context.WithoutCancel(t.Context())); err != nil {
			t.Fatal(err)
		}
		started = true
	}
	t.Cleanup(func() {
		if started {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			_ = r.Stop(ctx)
		}
		r.Close(context.Background())
	})
	return e
}

func (e *env) tenantID(slug string) uuid.UUID { return e.Seeded[slug].TenantID }

// booking returns an upcoming booking of tenant slug in status.
func (e *env) booking(t *testing.T, slug, status string) uuid.UUID {
	t.Helper()
	var id uuid.UUID
	if err := e.admin.QueryRow(t.Context(), "SELECT id FROM bookings WHERE tenant_id = $1 AND status = $2 AND starts_at > $3 ORDER BY starts_at LIMIT 1",
		e.tenantID(slug), status, now).Scan(&id); err != nil {
		t.Fatalf("find %s booking of %s: %v", status, slug, err)
	}
	return id
}

// insert inserts args in a transaction of the scope of ctx, committed.
func (e *env) insert(t *testing.T, ctx context.Context, args store.JobArgs) int64 {
	t.Helper()
	if err := e.Store.InTenant(ctx, func(tx *store.Tx) error { return tx.InsertJob(ctx, args) }); err != nil {
		t.Fatalf("insert job: %v", err)
	}
	var id int64
	if err := e.admin.QueryRow(t.Context(), "SELECT max(id) FROM river.river_job WHERE kind = $1", args.Kind()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	return id
}

// wait waits for job id to be finalized and returns its state.
func (e *env) wait(t *testing.T, id int64) string {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		var state string
		if err := e.admin.QueryRow(t.Context(), "SELECT state::text FROM river.river_job WHERE id = $1", id).Scan(&state); err != nil {
			t.Fatal(err)
		}
		switch state {
		case "completed", "cancelled", "discarded":
			return state
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("job %d not finalized in 15s", id)
	return ""
}

func TestConfirmingABookingMailsTheClient(t *testing.T) {
	e := setup(t)
	e.run()
	ctx := e.As(t.Context(), "acme", "staff")
	pending := e.booking(t, "acme", "pending")
	if _, err := scheduling.New(e.Store, func() time.Time { return now }).ConfirmBooking(ctx, pending); err != nil {
		t.Fatal(err)
	}
	var id int64
	if err := e.admin.QueryRow(t.Context(), "SELECT id FROM river.river_job WHERE kind = 'booking_confirmation_mail' AND args->>'booking_id' = $1", pending.String()).Scan(&id); err != nil {
		t.Fatalf("the confirmation inserted no job: %v", err)
	}
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	// The client gets exactly one confirmation. (A booking confirmed
	// inside its reminder window also gets its reminder at once, a job of
	// its own that may or may not have run by now.)
	var msgs []mailer.Message
	for _, m := range e.mail.messages() {
		if strings.Contains(m.Subject, "reminder") {
			continue
		}
		msgs = append(msgs, m)
	}
	if len(msgs) != 1 {
		for _, m := range msgs {
			t.Logf("sent: %s to %s", m.Subject, m.To)
		}
		t.Fatalf("%d messages besides the reminder, want 1", len(msgs))
	}
	m := msgs[0]
	if m.To != "client@acme.test" || m.TenantID != e.tenantID("acme") || !strings.Contains(m.Subject, "is confirmed") {
		t.Fatalf("message %+v", m)
	}
	if !m.SentAt.Equal(now) {
		t.Fatalf("sent at %v, want the injected clock's %v", m.SentAt, now)
	}
}

func TestConfirmationHonoursTheCommunicationSetting(t *testing.T) {
	e := setup(t)
	if _, err := e.admin.Exec(t.Context(), "INSERT INTO communication_settings (tenant_id, notify_client_on_booking) VALUES ($1, false) ON CONFLICT (tenant_id) DO UPDATE SET notify_client_on_booking = false", e.tenantID("acme")); err != nil {
		t.Fatal(err)
	}
	e.run()
	ctx := e.As(t.Context(), "acme", "staff")
	id := e.insert(t, ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: e.booking(t, "acme", "confirmed")})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	if n := len(e.mail.messages()); n != 0 {
		t.Fatalf("%d messages with notify_client_on_booking off", n)
	}
}

func TestJobNamingAnotherTenantsIDsFindsNothing(t *testing.T) {
	e := setup(t)
	e.run()
	ctx := e.As(t.Context(), "acme", "staff")
	// Acme's job, carrying globex's booking id: it runs in acme's scope and
	// reads nothing of globex's.
	id := e.insert(t, ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: e.booking(t, "globex", "confirmed")})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	if msgs := e.mail.messages(); len(msgs) != 0 {
		t.Fatalf("acme's job mailed about globex's booking: %+v", msgs)
	}
	// The control: acme's own booking is mailed.
	id = e.insert(t, ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: e.booking(t, "acme", "confirmed")})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	if msgs := e.mail.messages(); len(msgs) != 1 || msgs[0].To != "client@acme.test" {
		t.Fatalf("control: %+v", msgs)
	}
}

func TestAJobCannotBeInsertedForAnotherTenant(t *testing.T) {
	e := setup(t)
	ctx := e.As(t.Context(), "acme", "staff")
	globex := jobs.Tenant{TenantID: e.tenantID("globex")}
	err := e.Store.InTenant(ctx, func(tx *store.Tx) error { return tx.InsertJob(ctx, jobs.Purge{Tenant: globex}) })
	if !tenant.IsCode(err, tenant.CodeInternal) {
		t.Fatalf("store: %v, want refused", err)
	}
	// The database refuses it too: the app role, in acme's transaction,
	// writing a job that names globex.
	app := pgtest.Connect(t, e.DB.AppURL)
	tx, err := app.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), "SELECT set_config('app.current_tenant_id', $1, true)", e.tenantID("acme").String()); err != nil {
		t.Fatal(err)
	}
	for name, stmt := range map[string]string{
		"OtherTenant": `INSERT INTO river.river_job (args, kind, max_attempts, priority, queue, state) VALUES ('{"tenant_id":"` + e.tenantID("globex").String() + `"}', 'purge_tenant', 25, 1, 'default', 'available')`,
		"NoTenant":    `INSERT INTO river.river_job (args, kind, max_attempts, priority, queue, state) VALUES ('{}', 'purge_fan_out', 25, 1, 'default', 'available')`,
		"Running":     `INSERT INTO river.river_job (args, kind, max_attempts, priority, queue, state) VALUES ('{"tenant_id":"` + e.tenantID("acme").String() + `"}', 'purge_tenant', 25, 1, 'default', 'running')`,
		"Attempted":   `INSERT INTO river.river_job (args, kind, max_attempts, priority, queue, state, attempt) VALUES ('{"tenant_id":"` + e.tenantID("acme").String() + `"}', 'purge_tenant', 25, 1, 'default', 'available', 1)`,
		"ReadLeader":  `SELECT * FROM river.river_leader`,
		"Delete":      `DELETE FROM river.river_job`,
	} {
		_, err := tx.Exec(t.Context(), "SAVEPOINT s")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tx.Exec(t.Context(), stmt); err == nil {
			t.Errorf("%s: the app role may: %s", name, stmt)
		}
		if _, err := tx.Exec(t.Context(), "ROLLBACK TO SAVEPOINT s"); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAppRoleSeesOnlyItsTenantsJobs(t *testing.T) {
	e := setup(t)
	acme, globex := e.As(t.Context(), "acme", "staff"), e.As(t.Context(), "globex", "staff")
	e.insert(t, acme, jobs.Purge{Tenant: jobs.Tenant{TenantID: e.tenantID("acme")}})
	e.insert(t, globex, jobs.Purge{Tenant: jobs.Tenant{TenantID: e.tenantID("globex")}})
	app := pgtest.Connect(t, e.DB.AppURL)
	tx, err := app.Begin(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(t.Context())
	if _, err := tx.Exec(t.Context(), "SELECT set_config('app.current_tenant_id', $1, true)", e.tenantID("acme").String()); err != nil {
		t.Fatal(err)
	}
	var n, other int
	if err := tx.QueryRow(t.Context(), "SELECT count(*), count(*) FILTER (WHERE args->>'tenant_id' <> $1) FROM river.river_job", e.tenantID("acme").String()).Scan(&n, &other); err != nil {
		t.Fatal(err)
	}
	if n != 1 || other != 0 {
		t.Fatalf("acme's transaction sees %d jobs, %d of another tenant", n, other)
	}
	tag, err := tx.Exec(t.Context(), "UPDATE river.river_job SET kind = 'booking_confirmation_mail'")
	if err != nil || tag.RowsAffected() != 0 {
		t.Fatalf("update: %v, %d rows", err, tag.RowsAffected())
	}
}

func TestARolledBackJobNeverRuns(t *testing.T) {
	e := setup(t)
	ctx := e.As(t.Context(), "acme", "staff")
	scope := tenant.MustScope(ctx)
	boom := errors.New("the change fails")
	err := e.Store.InTenant(ctx, func(tx *store.Tx) error {
		if err := tx.InsertJob(ctx, jobs.BookingConfirmation{Tenant: jobs.For(scope), BookingID: e.booking(t, "acme", "confirmed")}); err != nil {
			return err
		}
		return boom
	})
	if !errors.Is(err, boom) {
		t.Fatal(err)
	}
	var n int
	if err := e.admin.QueryRow(t.Context(), "SELECT count(*) FROM river.river_job").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Fatalf("%d jobs after the rollback", n)
	}
	e.run()
	// A committed job after it runs, and is the only mail.
	id := e.insert(t, ctx, jobs.BookingConfirmation{Tenant: jobs.For(scope), BookingID: e.booking(t, "acme", "confirmed")})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	if n := len(e.mail.messages()); n != 1 {
		t.Fatalf("%d messages, want the committed job's only", n)
	}
}

func TestASuspendedTenantsJobDoesNotRun(t *testing.T) {
	e := setup(t)
	ctx := e.As(t.Context(), "acme", "staff")
	id := e.insert(t, ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: e.booking(t, "acme", "confirmed")})
	if _, err := e.admin.Exec(t.Context(), "UPDATE tenants SET status = 'suspended' WHERE id = $1", e.tenantID("acme")); err != nil {
		t.Fatal(err)
	}
	e.run()
	if st := e.wait(t, id); st != "cancelled" {
		t.Fatalf("job %s, want cancelled", st)
	}
	if n := len(e.mail.messages()); n != 0 {
		t.Fatalf("%d messages for a suspended tenant", n)
	}
}

func TestADeletedTenantsJobDoesNotRun(t *testing.T) {
	e := setup(t)
	e.run()
	gone := jobs.Tenant{TenantID: uuid.New()}
	// Only the jobs role can write a job for no live tenant (the app role
	// names its transaction's): as a job left from a deleted tenant.
	var id int64
	if err := e.admin.QueryRow(t.Context(), `INSERT INTO river.river_job (args, kind, max_attempts, priority, queue, state)
		VALUES (jsonb_build_object('tenant_id', $1::text), 'purge_tenant', 25, 1, 'default', 'available') RETURNING id`, gone.TenantID.String()).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if st := e.wait(t, id); st != "cancelled" {
		t.Fatalf("job %s, want cancelled", st)
	}
}

func TestARemovedMembersJobDoesNotRun(t *testing.T) {
	e := setup(t)
	ctx := e.As(t.Context(), "acme", "staff")
	id := e.insert(t, ctx, jobs.BookingConfirmation{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: e.booking(t, "acme", "confirmed")})
	if _, err := e.admin.Exec(t.Context(), "UPDATE members SET removed_at = $2 WHERE tenant_id = $1 AND id = $3",
		e.tenantID("acme"), now, tenant.MustScope(ctx).MemberID); err != nil {
		t.Fatal(err)
	}
	e.run()
	if st := e.wait(t, id); st != "cancelled" {
		t.Fatalf("job %s, want cancelled", st)
	}
	if n := len(e.mail.messages()); n != 0 {
		t.Fatalf("%d messages", n)
	}
}

func TestAJobWithoutATenantIsRefused(t *testing.T) {
	e := setup(t)
	e.run()
	var id int64
	if err := e.admin.QueryRow(t.Context(), `INSERT INTO river.river_job (args, kind, max_attempts, priority, queue, state)
		VALUES ('{"booking_id":"`+uuid.NewString()+`"}', 'booking_confirmation_mail', 25, 1, 'default', 'available') RETURNING id`).Scan(&id); err != nil {
		t.Fatal(err)
	}
	if st := e.wait(t, id); st != "cancelled" {
		t.Fatalf("job %s, want cancelled", st)
	}
}

func token() []byte {
	b := make([]byte, 32)
	rand.Read(b)
	return b
}

// seedExpiring writes, for tenant slug, one row expired at now and one
// still live in each table a tenant purge covers.
func (e *env) seedExpiring(t *testing.T, slug string) {
	t.Helper()
	tid := e.tenantID(slug)
	m := e.Seeded[slug].Members["staff"]
	for _, exp := range []time.Time{now.Add(-time.Second), now.Add(30 * time.Second)} {
		created := exp.Add(-50 * time.Second)
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO sessions (tenant_id, member_id, account_id, created_at, last_used_at, expires_at) VALUES ($1, $2, $3, $4, $4, $5)", []any{tid, m.ID, m.AccountID, created, exp}},
			{"INSERT INTO auth_handoffs (tenant_id, member_id, account_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)", []any{tid, m.ID, m.AccountID, token(), created, exp}},
			{"INSERT INTO invitations (tenant_id, email, role, display_name, invited_by_member_id, token_hash, created_at, expires_at) VALUES ($1, 'x@example.test', 'staff', 'X', $2, $3, $4, $5)", []any{tid, m.ID, token(), created, exp}},
			{"INSERT INTO idempotency_keys (tenant_id, account_id, operation, key, request_hash, lease_until, created_at, expires_at) VALUES ($1, $2, 'op', $3, $4, $5, $5, $6)", []any{tid, m.AccountID, uuid.NewString(), token(), created, exp}},
			{"INSERT INTO public_submissions (tenant_id, email, name, title, token_hash, created_at, expires_at) VALUES ($1, 'p@example.test', 'P', 'T', $2, $3, $4)", []any{tid, token(), created, exp}},
		} {
			if _, err := e.admin.Exec(t.Context(), stmt.sql, stmt.args...); err != nil {
				t.Fatalf("%s: %v", stmt.sql, err)
			}
		}
	}
}

var purgedTables = []string{"sessions", "auth_handoffs", "invitations", "idempotency_keys", "public_submissions"}

// counts returns, per table, the rows of tenant slug expired at now and
// the rows still live.
func (e *env) counts(t *testing.T, slug string) map[string][2]int {
	t.Helper()
	out := map[string][2]int{}
	for _, table := range purgedTables {
		var expired, live int
		if err := e.admin.QueryRow(t.Context(), "SELECT count(*) FILTER (WHERE expires_at <= $2), count(*) FILTER (WHERE expires_at > $2) FROM "+pgx.Identifier{table}.Sanitize()+" WHERE tenant_id = $1",
			e.tenantID(slug), now).Scan(&expired, &live); err != nil {
			t.Fatal(err)
		}
		out[table] = [2]int{expired, live}
	}
	return out
}

func TestPurgesRemoveOnlyExpiredRows(t *testing.T) {
	e := setup(t)
	e.seedExpiring(t, "acme")
	e.seedExpiring(t, "globex")
	before := e.counts(t, "globex")
	e.run()
	// Acme's purge, by a job in acme's scope.
	id := e.insert(t, e.Public(t.Context(), "acme"), jobs.Purge{Tenant: jobs.Tenant{TenantID: e.tenantID("acme")}})
	if st := e.wait(t, id); st != "completed" {
		t.Fatalf("job %s", st)
	}
	acme := e.counts(t, "acme")
	for _, table := range purgedTables {
		if acme[table][0] != 0 {
			t.Errorf("acme %s: %d expired rows left", table, acme[table][0])
		}
		if acme[table][1] == 0 {
			t.Errorf("acme %s: a live row was purged", table)
		}
	}
	if after := e.counts(t, "globex"); after["sessions"] != before["sessions"] || after["invitations"] != before["invitations"] ||
		after["auth_handoffs"] != before["auth_handoffs"] || after["idempotency_keys"] != before["idempotency_keys"] ||
		after["public_submissions"] != before["public_submissions"] {
		t.Fatalf("acme's purge changed globex's rows: %v → %v", before, after)
	}
}

func TestFanOutQueuesOnePurgePerActiveTenant(t *testing.T) {
	e := setup(t)
	if _, err := e.admin.Exec(t.Context(), "UPDATE tenants SET status = 'suspended' WHERE id = $1", e.tenantID("globex")); err != nil {
		t.Fatal(err)
	}
	n, err := jobs.FanOut(t.Context(), e.Store, func(tn jobs.Tenant) store.JobArgs { return jobs.Purge{Tenant: tn} })
	if err != nil {
		t.Fatal(err)
	}
	var tenants []string
	rows, err := e.admin.Query(t.Context(), "SELECT args->>'tenant_id' FROM river.river_job WHERE kind = 'purge_tenant' ORDER BY 1")
	if err != nil {
		t.Fatal(err)
	}
	tenants, err = pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	var active int
	if err := e.admin.QueryRow(t.Context(), "SELECT count(*) FROM tenants WHERE status = 'active'").Scan(&active); err != nil {
		t.Fatal(err)
	}
	if n != active || len(tenants) != active {
		t.Fatalf("%d jobs (%v) for %d active tenants", n, tenants, active)
	}
	for _, id := range tenants {
		if id == e.tenantID("globex").String() {
			t.Fatal("a purge was queued for the suspended tenant")
		}
	}
}

func TestPurgeAccountRowsRemovesOnlyExpiredRows(t *testing.T) {
	e := setup(t)
	acct := e.Seeded["acme"].Members["staff"].AccountID
	for i, exp := range []time.Time{now.Add(-time.Second), now.Add(time.Minute)} {
		created := exp.Add(-time.Hour)
		for _, stmt := range []struct {
			sql  string
			args []any
		}{
			{"INSERT INTO password_resets (account_id, token_hash, created_at, expires_at) VALUES ($1, $2, $3, $4)", []any{acct, token(), created, exp}},
			{"INSERT INTO signups (email, slug, name, token_hash, created_at, expires_at) VALUES ('s@example.test', $1, 'S', $2, $3, $4)", []any{"signup-" + string(rune('a'+i)), token(), created, exp}},
			{"INSERT INTO account_sessions (account_id, created_at, expires_at) VALUES ($1, $2, $3)", []any{acct, created, exp}},
		} {
			if _, err := e.admin.Exec(t.Context(), stmt.sql, stmt.args...); err != nil {
				t.Fatalf("%s: %v", stmt.sql, err)
			}
		}
	}
	resets, signups, sessions, err := jobs.PurgeAccountRows(t.Context(), e.Store, now)
	if err != nil {
		t.Fatal(err)
	}
	if resets != 1 || signups != 1 || sessions != 1 {
		t.Fatalf("purged %d resets, %d sign-ups, %d sessions; want 1 each", resets, signups, sessions)
	}
	for _, table := range []string{"password_resets", "signups", "account_sessions"} {
		var expired, live int
		if err := e.admin.QueryRow(t.Context(), "SELECT count(*) FILTER (WHERE expires_at <= $1), count(*) FILTER (WHERE expires_at > $1) FROM "+table, now).Scan(&expired, &live); err != nil {
			t.Fatal(err)
		}
		if expired != 0 || live == 0 {
			t.Errorf("%s: %d expired left, %d live", table, expired, live)
		}
	}
	var audited int
	if err := e.admin.QueryRow(t.Context(), "SELECT count(*) FROM platform_audit_log WHERE action = 'purge.expired'").Scan(&audited); err != nil {
		t.Fatal(err)
	}
	if audited != 1 {
		t.Fatalf("%d audit rows for the purge", audited)
	}
}

// bookingStart returns a booking's start and client member.
func (e *env) bookingStart(t *testing.T, id uuid.UUID) (time.Time, uuid.UUID) {
	t.Helper()
	var start time.Time
	var client uuid.UUID
	if err := e.admin.QueryRow(t.Context(), "SELECT starts_at, client_member_id FROM bookings WHERE id = $1", id).Scan(&start, &client); err != nil {
		t.Fatal(err)
	}
	return start, client
}

func (e *env) setPreferences(t *testing.T, slug string, client uuid.UUID, channel string, minutes *int32) {
	t.Helper()
	if _, err := e.admin.Exec(t.Context(), `INSERT INTO client_preferences (tenant_id, member_id, contact_channel, reminder_minutes_before)
		VALUES ($1, $2, $3, $4) ON CONFLICT (tenant_id, member_id) DO UPDATE SET contact_channel = $3, reminder_minutes_before = $4`,
		e.tenantID(slug), client, channel, minutes); err != nil {
		t.Fatal(err)
	}
}

func TestConfirmingQueuesTheRemindersAtTheClientsLead(t *testing.T) {
	minutes := func(n int32) *int32 { return &n }
	for _, tc := range []struct {
		name    string
		channel string
		minutes *int32
		lead    time.Duration // 0: no reminder
	}{
		{"Default", "email", nil, 24 * time.Hour},
		{"ClientsLead", "email", minutes(90), 90 * time.Minute},
		{"OptedOutByChannel", "none", nil, 0},
		{"OptedOutByZeroMinutes", "email", minutes(0), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t)
			pending := e.booking(t, "acme", "pending")
			start, client := e.bookingStart(t, pending)
			e.setPreferences(t, "acme", client, tc.channel, tc.minutes)
			ctx := e.As(t.Context(), "acme", "staff")
			if _, err := scheduling.New(e.Store, func() time.Time { return now }).ConfirmBooking(ctx, pending); err != nil {
				t.Fatal(err)
			}
			var remindAt []time.Time
			rows, err := e.admin.Query(t.Context(), "SELECT (args->>'remind_at')::timestamptz FROM river.river_job WHERE kind = 'booking_reminder_mail' AND args->>'booking_id' = $1", pending.String())
			if err != nil {
				t.Fatal(err)
			}
			if remindAt, err = pgx.CollectRows(rows, pgx.RowTo[time.Time]); err != nil {
				t.Fatal(err)
			}
			switch {
			case tc.lead == 0 && len(remindAt) != 0:
				t.Fatalf("an opted-out client gets a reminder at %v", remindAt)
			case tc.lead != 0 && (len(remindAt) != 1 || !remindAt[0].Equal(start.Add(-tc.lead))):
				t.Fatalf("reminders at %v, want one at %v", remindAt, start.Add(-tc.lead))
			}
		})
	}
}

func TestReminderCarriesAStableCalendarEntryAndMovesWithTheBooking(t *testing.T) {
	e := setup(t)
	e.run()
	ctx := e.As(t.Context(), "acme", "staff")
	id := e.booking(t, "acme", "confirmed")
	start, _ := e.bookingStart(t, id)
	remind := func(at time.Time) string {
		t.Helper()
		j := e.insert(t, ctx, jobs.BookingReminder{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: id, StartsAt: at, RemindAt: now})
		return e.wait(t, j)
	}
	if st := remind(start); st != "completed" {
		t.Fatalf("job %s", st)
	}
	msgs := e.mail.messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "reminder") || len(msgs[0].Attachments) != 1 {
		t.Fatalf("messages %+v", msgs)
	}
	uid := "UID:" + jobs.BookingUID(id)
	unfold := func(b []byte) string { return strings.ReplaceAll(string(b), "\r\n ", "") }
	first := unfold(msgs[0].Attachments[0].Data)
	if !strings.Contains(first, uid+"\r\n") || !strings.Contains(first, "DTSTART:"+start.UTC().Format("20060102T150405Z")) {
		t.Fatalf("calendar entry:\n%s", first)
	}

	// Moved an hour later: the old reminder sends nothing, the new one
	// sends the same entry (same UID) at the new time.
	moved := start.Add(time.Hour)
	if _, err := e.admin.Exec(t.Context(), "UPDATE bookings SET starts_at = starts_at + interval '1 hour', ends_at = ends_at + interval '1 hour', updated_at = updated_at + interval '1 minute' WHERE id = $1", id); err != nil {
		t.Fatal(err)
	}
	if st := remind(start); st != "completed" {
		t.Fatalf("job %s", st)
	}
	if n := len(e.mail.messages()); n != 1 {
		t.Fatalf("the reminder of the old start sent mail (%d messages)", n)
	}
	if st := remind(moved); st != "completed" {
		t.Fatalf("job %s", st)
	}
	msgs = e.mail.messages()
	if len(msgs) != 2 {
		t.Fatalf("%d messages after the moved reminder", len(msgs))
	}
	second := unfold(msgs[1].Attachments[0].Data)
	if !strings.Contains(second, uid+"\r\n") || !strings.Contains(second, "DTSTART:"+moved.UTC().Format("20060102T150405Z")) {
		t.Fatalf("moved calendar entry:\n%s", second)
	}
	if seq := func(s string) string { return s[strings.Index(s, "SEQUENCE:"):][:20] }; seq(first) >= seq(second) {
		t.Fatalf("SEQUENCE did not grow: %q then %q", seq(first), seq(second))
	}

	// The client opts out: nothing. Cancelled: nothing.
	_, client := e.bookingStart(t, id)
	e.setPreferences(t, "acme", client, "none", nil)
	if st := remind(moved); st != "completed" || len(e.mail.messages()) != 2 {
		t.Fatalf("opted out: job %s, %d messages", st, len(e.mail.messages()))
	}
	e.setPreferences(t, "acme", client, "email", nil)
	if _, err := e.admin.Exec(t.Context(), "UPDATE bookings SET status = 'cancelled', cancelled_at = $2 WHERE id = $1", id, now); err != nil {
		t.Fatal(err)
	}
	if st := remind(moved); st != "completed" || len(e.mail.messages()) != 2 {
		t.Fatalf("cancelled: job %s, %d messages", st, len(e.mail.messages()))
	}
}

func TestRescheduleAndCancellationMails(t *testing.T) {
	e := setup(t)
	e.run()
	ctx := e.As(t.Context(), "acme", "staff")
	id := e.booking(t, "acme", "confirmed")
	start, client := e.bookingStart(t, id)
	change := func(c string, at time.Time) {
		t.Helper()
		j := e.insert(t, ctx, jobs.BookingChanged{Tenant: jobs.For(tenant.MustScope(ctx)), BookingID: id, Change: c, StartsAt: at})
		if st := e.wait(t, j); st != "completed" {
			t.Fatalf("%s: job %s", c, st)
		}
	}
	uid := "UID:" + jobs.BookingUID(id) + "\r\n"
	// A reschedule's mail for the start the booking has: sent; for a start
	// it no longer has (it moved again since): nothing.
	change(jobs.ChangeRescheduled, start.Add(-time.Hour))
	if n := len(e.mail.messages()); n != 0 {
		t.Fatalf("a stale reschedule mailed (%d)", n)
	}
	change(jobs.ChangeRescheduled, start)
	msgs := e.mail.messages()
	if len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "moved") || !strings.Contains(string(msgs[0].Attachments[0].Data), uid) {
		t.Fatalf("reschedule mail: %+v", msgs)
	}
	// Cancelling: not before the booking is cancelled; then the entry
	// cancels the same UID. An opted-out client gets nothing.
	change(jobs.ChangeCancelled, time.Time{})
	if n := len(e.mail.messages()); n != 1 {
		t.Fatalf("a cancellation mail for a confirmed booking (%d)", n)
	}
	if _, err := e.admin.Exec(t.Context(), "UPDATE bookings SET status = 'cancelled', cancelled_at = $2 WHERE id = $1", id, now); err != nil {
		t.Fatal(err)
	}
	change(jobs.ChangeCancelled, time.Time{})
	msgs = e.mail.messages()
	ics := string(msgs[len(msgs)-1].Attachments[0].Data)
	if len(msgs) != 2 || !strings.Contains(msgs[1].Subject, "cancelled") || !strings.Contains(ics, uid) ||
		!strings.Contains(ics, "METHOD:CANCEL\r\n") || !strings.Contains(ics, "STATUS:CANCELLED\r\n") {
		t.Fatalf("cancellation mail: %+v\n%s", msgs, ics)
	}
	e.setPreferences(t, "acme", client, "none", nil)
	change(jobs.ChangeCancelled, time.Time{})
	if n := len(e.mail.messages()); n != 2 {
		t.Fatalf("an opted-out client was mailed (%d)", n)
	}
}
