package store_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/clocktest"
	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/schemaaudit"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/store/schema"
	"github.com/tenantkit/tenantkit/tenant"
)

func TestAuditOfMigratedSchemaIsClean(t *testing.T) { checkAuditIsClean(t, setup(t)) }

func checkAuditIsClean(t testing.TB, f *fixture) {
	// The audit needs no privileges: it runs as the app role itself.
	findings, err := schemaaudit.Run(context.Background(), pgtest.Connect(t, f.DB.AppURL), auditConfig())
	if err != nil {
		t.Fatal(err)
	}
	for _, fd := range findings {
		t.Errorf("%s\n    fix: %s", fd, fd.Fix)
	}
}

func TestAppRoleCannotBypassRowSecurity(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	app := pgtest.Connect(t, f.DB.AppURL)
	var super, bypass bool
	var owned int
	err := app.QueryRow(ctx, `
		SELECT r.rolsuper, r.rolbypassrls,
		       (SELECT count(*) FROM pg_class c WHERE c.relowner = r.oid)
		FROM pg_roles r WHERE r.rolname = current_user`).Scan(&super, &bypass, &owned)
	if err != nil {
		t.Fatal(err)
	}
	if super || bypass || owned != 0 {
		t.Fatalf("app role: superuser=%v bypassrls=%v owns %d relations", super, bypass, owned)
	}

	t.Run("SelfGrantedSettingIsNoBypass", func(t *testing.T) {
		inTx(t, app, nil, func(tx pgx.Tx) {
			for _, s := range []string{"app.is_superadmin", "app.bypass_rls", "row_security"} {
				_, _ = tx.Exec(ctx, "SAVEPOINT s")
				if _, err := tx.Exec(ctx, "SELECT set_config($1, 'on', true)", s); err != nil {
					_, _ = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT s")
				}
			}
			if n := count(t, tx, "SELECT count(*) FROM services"); n != 0 {
				t.Fatalf("self-granted settings exposed %d rows", n)
			}
		})
	})

	t.Run("EndedSettingReadsEmptyWithoutError", func(t *testing.T) {
		// After a transaction-local setting ends it reads '' (not NULL): a
		// bare ::uuid cast would fail on this connection from now on.
		acme := f.Seeded["acme"].TenantID
		inTx(t, app, &acme, func(tx pgx.Tx) { count(t, tx, "SELECT count(*) FROM services") })
		var setting string
		if err := app.QueryRow(ctx, "SELECT current_setting('app.current_tenant_id', true)").Scan(&setting); err != nil {
			t.Fatal(err)
		}
		if setting != "" {
			t.Fatalf("setting after the transaction: %q", setting)
		}
		if n := count(t, app, "SELECT count(*) FROM services"); n != 0 {
			t.Fatalf("%d rows visible after the transaction", n)
		}
	})

	t.Run("CannotCreateObjects", func(t *testing.T) {
		for _, sql := range []string{
			"CREATE TABLE probe (x int)",
			"CREATE TEMP TABLE probe (x int)",
			"CREATE FUNCTION probe() RETURNS int LANGUAGE sql AS 'SELECT 1'",
			"CREATE VIEW probe AS SELECT * FROM services",
			"CREATE SCHEMA probe",
		} {
			inTx(t, app, nil, func(tx pgx.Tx) {
				if _, err := tx.Exec(ctx, sql); sqlState(err) != "42501" {
					t.Errorf("%s: want permission denied, got %v", sql, err)
				}
			})
		}
	})

	t.Run("ReadsNoPlatformAudit", func(t *testing.T) {
		inTx(t, app, nil, func(tx pgx.Tx) {
			if _, err := tx.Exec(ctx, "SELECT * FROM platform_audit_log"); sqlState(err) != "42501" {
				t.Fatalf("want permission denied, got %v", err)
			}
		})
	})
}

func TestOpenRefusesARoleThatBypassesRowSecurity(t *testing.T) {
	db := pgtest.New(t)
	_, err := store.Open(context.Background(), store.Config{AppURL: db.AdminURL})
	if err == nil || !strings.Contains(err.Error(), "BYPASSRLS") {
		t.Fatalf("opening the store as a superuser: want a refusal, got %v", err)
	}
}

// A reference to another tenant's row fails exactly like a reference to a
// row that does not exist: the composite key makes the edge impossible and
// the error reveals nothing.
func TestCompositeForeignKeyRevealsNothing(t *testing.T) { checkCompositeForeignKey(t, setup(t)) }

func checkCompositeForeignKey(t testing.TB, f *fixture) {
	ctx := context.Background()
	ctxA := scopeOf(ctx, f, "acme", "owner")
	var globexService uuid.UUID
	err := f.Store.ReadTenant(scopeOf(ctx, f, "globex", "owner"), func(tx *store.Tx) error {
		page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 1})
		if err == nil {
			globexService = page[0].ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	insert := func(serviceID uuid.UUID) error {
		return f.Store.InTenant(ctxA, func(tx *store.Tx) error {
			return tx.InsertServiceVersion(ctx, store.InsertServiceVersionParams{
				TenantID: tx.TenantID(), ServiceID: serviceID, Version: 99, Snapshot: json.RawMessage(`{}`),
			})
		})
	}
	errForeign, errMissing := insert(globexService), insert(uuid.New())
	for _, err := range []error{errForeign, errMissing} {
		if !tenant.IsCode(err, tenant.CodeNotFound) {
			t.Fatalf("want not found, got %v", err)
		}
	}
	if tenant.ErrorMessage(errForeign) != tenant.ErrorMessage(errMissing) {
		t.Fatalf("messages differ: %q vs %q", tenant.ErrorMessage(errForeign), tenant.ErrorMessage(errMissing))
	}
	// Even the database's own error text (logged, never shown) differs only
	// in the id.
	uuidRE := regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)
	if a, b := uuidRE.ReplaceAllString(errForeign.Error(), "<id>"), uuidRE.ReplaceAllString(errMissing.Error(), "<id>"); a != b {
		t.Fatalf("driver errors differ:\n%s\n%s", a, b)
	}
	// And nothing was stored for acme.
	err = f.Store.ReadTenant(ctxA, func(tx *store.Tx) error {
		var n int
		err := tx.QueryRowRaw(ctx, "SELECT count(*) FROM service_versions WHERE version = 99").Scan(&n)
		if err == nil && n != 0 {
			return fmt.Errorf("%d rows stored", n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestServiceSlugIsUniquePerTenant(t *testing.T) { checkSlugIsUniquePerTenant(t, setup(t)) }

func checkSlugIsUniquePerTenant(t testing.TB, f *fixture) {
	ctx := context.Background()
	create := func(ctx context.Context, slug string) error {
		return f.Store.InTenant(ctx, func(tx *store.Tx) error {
			_, err := tx.CreateService(ctx, store.CreateServiceParams{
				TenantID: tx.TenantID(), Slug: slug, Name: "Probe " + slug, DurationMinutes: 30, Currency: "USD", Active: true,
			})
			return err
		})
	}
	acme, globex := scopeOf(ctx, f, "acme", "owner"), scopeOf(ctx, f, "globex", "owner")
	if err := create(acme, "shared-slug"); err != nil {
		t.Fatal(err)
	}
	if err := create(globex, "shared-slug"); err != nil {
		t.Fatalf("the same slug in another tenant: %v", err)
	}
	err := create(acme, "shared-slug")
	if !tenant.IsCode(err, tenant.CodeConflict) {
		t.Fatalf("a duplicate slug in one tenant: want conflict, got %v", err)
	}
	var e *tenant.Error
	if !errors.As(err, &e) || e.Constraint != "services_tenant_id_slug_key" {
		t.Fatalf("the conflict should name its constraint, got %+v", e)
	}
}

func TestBookingsOfOneStaffMemberCannotOverlap(t *testing.T) {
	f := setup(t)
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	s := f.Seeded["acme"]
	staff, client := s.Members["staff"].ID, s.Members["client"].ID
	var service store.Service
	err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
		page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 1})
		if err == nil {
			service = page[0]
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Date(2027, 1, 4, 15, 0, 0, 0, time.UTC)
	book := func(staffID uuid.UUID, start time.Time, minutes int, status string, bufferAfter int32) error {
		return f.Store.InTenant(ctx, func(tx *store.Tx) error {
			_, err := tx.CreateBooking(ctx, store.CreateBookingParams{
				TenantID: tx.TenantID(), ServiceID: service.ID, StaffMemberID: staffID, ClientMemberID: client,
				StartsAt: start, EndsAt: start.Add(time.Duration(minutes) * time.Minute), BufferAfterMinutes: bufferAfter,
				Status: status, PriceMinor: 100, Currency: "USD",
			})
			return err
		})
	}
	if err := book(staff, base, 60, "pending", 15); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		start  time.Time
		status string
		want   tenant.Code
	}{
		{"OverlapWithPendingIsRefused", base.Add(30 * time.Minute), "confirmed", tenant.CodeConflict},
		{"InsideTheBufferIsRefused", base.Add(70 * time.Minute), "pending", tenant.CodeConflict},
		{"RightAfterTheBufferIsAllowed", base.Add(75 * time.Minute), "pending", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := book(staff, tc.start, 60, tc.status, 0)
			if tenant.ErrorCode(err) != tc.want {
				t.Fatalf("want %q, got %v", tc.want, err)
			}
		})
	}
	t.Run("CancelledBookingFreesTheSlot", func(t *testing.T) {
		slot := base.Add(48 * time.Hour)
		if err := book(staff, slot, 60, "confirmed", 0); err != nil {
			t.Fatal(err)
		}
		err := f.Store.InTenant(ctx, func(tx *store.Tx) error {
			return tx.ExecRaw(ctx, "UPDATE bookings SET status = 'cancelled', cancelled_at = now() WHERE starts_at = $1", slot)
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := book(staff, slot, 60, "pending", 0); err != nil {
			t.Fatalf("the slot of a cancelled booking: %v", err)
		}
	})
	t.Run("OtherStaffMemberIsFree", func(t *testing.T) {
		if err := book(s.Members["consultant"].ID, base, 60, "confirmed", 0); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("ConcurrentRequestsForOneSlot", func(t *testing.T) {
		slot := base.Add(24 * time.Hour)
		var ok, conflicts atomic.Int32
		var wg sync.WaitGroup
		for range 12 {
			wg.Go(func() {
				switch err := book(staff, slot, 45, "pending", 0); {
				case err == nil:
					ok.Add(1)
				case tenant.IsCode(err, tenant.CodeConflict):
					conflicts.Add(1)
				default:
					t.Errorf("unexpected: %v", err)
				}
			})
		}
		wg.Wait()
		if ok.Load() != 1 || conflicts.Load() != 11 {
			t.Fatalf("want exactly one booking, got %d (and %d conflicts)", ok.Load(), conflicts.Load())
		}
	})
}

func TestSettingsAreSingletons(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	acme := f.Seeded["acme"].TenantID
	app := pgtest.Connect(t, f.DB.AppURL)
	for _, table := range []string{"organization_settings", "booking_settings", "security_settings", "communication_settings"} {
		inTx(t, app, &acme, func(tx pgx.Tx) {
			// The demo seed already wrote acme's row.
			_, err := tx.Exec(ctx, "INSERT INTO "+table+" (tenant_id) VALUES ($1)", acme)
			if sqlState(err) != "23505" {
				t.Fatalf("%s: a second row for one tenant: want 23505, got %v", table, err)
			}
		})
	}
	owner := pgtest.Connect(t, f.DB.OwnerURL)
	for _, table := range []string{"organization_defaults", "booking_defaults", "security_defaults", "communication_defaults"} {
		inTx(t, owner, nil, func(tx pgx.Tx) {
			if n := count(t, tx, "SELECT count(*) FROM "+table); n != 1 {
				t.Fatalf("%s has %d rows", table, n)
			}
			_, _ = tx.Exec(ctx, "SAVEPOINT s")
			_, err := tx.Exec(ctx, "INSERT INTO "+table+" SELECT * FROM "+table)
			if sqlState(err) != "23505" {
				t.Fatalf("%s: a second default: want 23505, got %v", table, err)
			}
			_, _ = tx.Exec(ctx, "ROLLBACK TO SAVEPOINT s")
			if _, err := tx.Exec(ctx, "DELETE FROM "+table); sqlState(err) != "23001" {
				t.Fatalf("%s: deleting the default: want 23001, got %v", table, err)
			}
		})
		inTx(t, app, &acme, func(tx pgx.Tx) {
			if _, err := tx.Exec(ctx, "UPDATE "+table+" SET updated_at = now()"); sqlState(err) != "42501" {
				t.Fatalf("%s: the app role changed a platform default: %v", table, err)
			}
		})
	}
	t.Run("EffectiveValueIsTenantOverDefault", func(t *testing.T) {
		ctxA, ctxG := scopeOf(ctx, f, "acme", "owner"), scopeOf(ctx, f, "globex", "owner")
		var acmeOrg, globexOrg store.GetOrganizationSettingsRow
		var acmeBooking store.GetBookingSettingsRow
		err := f.Store.ReadTenant(ctxA, func(tx *store.Tx) (err error) {
			if acmeOrg, err = tx.GetOrganizationSettings(ctxA, tx.TenantID()); err != nil {
				return err
			}
			acmeBooking, err = tx.GetBookingSettings(ctxA, tx.TenantID())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		err = f.Store.ReadTenant(ctxG, func(tx *store.Tx) (err error) {
			globexOrg, err = tx.GetOrganizationSettings(ctxG, tx.TenantID())
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if acmeOrg.TimeZone != "America/New_York" || globexOrg.TimeZone != "Europe/London" {
			t.Fatalf("time zones: %q, %q", acmeOrg.TimeZone, globexOrg.TimeZone)
		}
		// Set by the seed: 15; not set: the platform default (1440).
		if acmeBooking.BufferMinutes != 15 || acmeBooking.CancellationNoticeMinutes != 1440 {
			t.Fatalf("booking settings: %+v", acmeBooking)
		}
	})
}

func TestServiceRequestStatusFollowsTheWorkflow(t *testing.T) {
	f := setup(t)
	ctx := scopeOf(context.Background(), f, "acme", "staff")
	s := f.Seeded["acme"]
	var req store.ServiceRequest
	err := f.Store.InTenant(ctx, func(tx *store.Tx) (err error) {
		req, err = tx.CreateServiceRequest(ctx, store.CreateServiceRequestParams{
			TenantID: tx.TenantID(), ClientMemberID: s.Members["client"].ID, Title: "Acme probe", Priority: "normal", Source: "staff",
			CreatedAt: clocktest.Default,
		})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	set := func(status string) error {
		return f.Store.InTenant(ctx, func(tx *store.Tx) error {
			_, err := tx.SetServiceRequestStatus(ctx, store.SetServiceRequestStatusParams{TenantID: tx.TenantID(), ID: req.ID, Status: status})
			return err
		})
	}
	if err := set("completed"); !tenant.IsCode(err, tenant.CodeInvalid) {
		t.Fatalf("submitted → completed: want invalid, got %v", err)
	}
	for _, st := range []string{"in_review", "approved", "scheduled", "in_progress", "completed"} {
		if err := set(st); err != nil {
			t.Fatalf("→ %s: %v", st, err)
		}
	}
	if err := set("cancelled"); !tenant.IsCode(err, tenant.CodeInvalid) {
		t.Fatalf("completed → cancelled: want invalid, got %v", err)
	}
}

func TestNoScopeFailsBeforeAnySQL(t *testing.T) {
	f := setup(t)
	f.Store.Close() // any SQL attempt would now fail with a pool error instead
	for name, run := range map[string]func(context.Context, func(*store.Tx) error) error{
		"InTenant": f.Store.InTenant, "ReadTenant": f.Store.ReadTenant,
	} {
		called := false
		err := run(context.Background(), func(*store.Tx) error { called = true; return nil })
		if called || !tenant.IsCode(err, tenant.CodeInternal) || !strings.Contains(err.Error(), "no tenant scope") {
			t.Fatalf("%s without a scope: called=%v err=%v", name, called, err)
		}
	}
}

func TestReadTenantCannotWrite(t *testing.T) {
	f := setup(t)
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
		_, err := tx.CreateService(ctx, store.CreateServiceParams{
			TenantID: tx.TenantID(), Slug: "read-only-probe", Name: "Probe", DurationMinutes: 30, Currency: "USD",
		})
		return err
	})
	if err == nil || !strings.Contains(err.Error(), "read-only") {
		t.Fatalf("a write through ReadTenant: want a read-only refusal, got %v", err)
	}
}

// A connection left with a session-wide tenant setting (the set_config
// false pitfall) is destroyed by the hygiene check instead of being lent.
func TestHygieneCheckDestroysDirtyConnections(t *testing.T) {
	f := setup(t, withMaxConns(1))
	ctx := context.Background()
	acme := f.Seeded["acme"].TenantID
	pool := f.Store.AppPool()
	var dirtyPID int
	err := pool.QueryRow(ctx, "SELECT pg_backend_pid() FROM (SELECT set_config('app.current_tenant_id', $1, false)) s", acme.String()).Scan(&dirtyPID)
	if err != nil {
		t.Fatal(err)
	}
	var pid int
	var setting string
	if err := pool.QueryRow(ctx, "SELECT pg_backend_pid(), coalesce(current_setting('app.current_tenant_id', true), '')").Scan(&pid, &setting); err != nil {
		t.Fatal(err)
	}
	if pid == dirtyPID || setting != "" {
		t.Fatalf("the dirty connection was lent again (pid %d, setting %q)", pid, setting)
	}
	if n := f.Store.Stats().DirtyConnections; n != 1 {
		t.Fatalf("dirty connections counted: %d", n)
	}
}

// A read is one round trip; a write transaction with one statement is two
// (the batch, then COMMIT).
func TestRoundTrips(t *testing.T) {
	var writes atomic.Int64
	f := setup(t, withMaxConns(1), withoutConnectionCheck, store.WithDialCounter(func() { writes.Add(1) }))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	var id uuid.UUID
	get := func(tx *store.Tx) error {
		_, err := tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: id})
		return err
	}
	err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
		page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 1})
		if err == nil {
			id = page[0].ID
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	// Warm the statement caches, then count.
	for _, run := range []func(context.Context, func(*store.Tx) error) error{f.Store.ReadTenant, f.Store.WriteTenant, f.Store.InTenant} {
		if err := run(ctx, get); err != nil {
			t.Fatal(err)
		}
	}
	for name, want := range map[string]int64{"ReadTenant": 1, "WriteTenant": 1, "InTenant": 2} {
		run := map[string]func(context.Context, func(*store.Tx) error) error{"ReadTenant": f.Store.ReadTenant, "WriteTenant": f.Store.WriteTenant, "InTenant": f.Store.InTenant}[name]
		before := writes.Load()
		if err := run(ctx, get); err != nil {
			t.Fatal(err)
		}
		if got := writes.Load() - before; got != want {
			t.Errorf("%s with one statement: %d round trips, want %d", name, got, want)
		}
	}
}

// Many goroutines on a small pool, each bound to one of the tenants,
// never see the other tenant's rows (run with -race).
func TestConcurrentTenantsNeverMix(t *testing.T) {
	f := setup(t, withMaxConns(2))
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 40 {
		slug, other := "acme", "Globex"
		if i%2 == 1 {
			slug, other = "globex", "Acme"
		}
		wg.Go(func() {
			ctx := scopeOf(ctx, f, slug, "owner")
			for j := range 15 {
				run := f.Store.ReadTenant
				if j%3 == 0 {
					run = f.Store.InTenant
				}
				err := run(ctx, func(tx *store.Tx) error {
					page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 20})
					if err != nil {
						return err
					}
					if len(page) == 0 {
						return errors.New("no services")
					}
					for _, s := range page {
						if strings.Contains(s.Name, other) || s.TenantID != tx.TenantID() {
							return fmt.Errorf("%s saw %q", slug, s.Name)
						}
					}
					return nil
				})
				if err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
}

// A query cancelled mid-flight (the request's context ends) leaves nothing
// behind: the next transaction on the single pooled connection is bound to
// its own tenant only.
func TestCancelledQueryLeavesThePoolClean(t *testing.T) {
	f := setup(t, withMaxConns(1))
	ctx := context.Background()
	ctxA := scopeOf(ctx, f, "acme", "owner")
	cctx, cancel := context.WithTimeout(ctxA, 100*time.Millisecond)
	defer cancel()
	err := f.Store.InTenant(cctx, func(tx *store.Tx) error {
		return tx.ExecRaw(cctx, "SELECT pg_sleep(2)")
	})
	if !tenant.IsCode(err, tenant.CodeUnavailable) {
		t.Fatalf("cancelled query: want unavailable, got %v", err)
	}
	ctxG := scopeOf(ctx, f, "globex", "owner")
	err = f.Store.ReadTenant(ctxG, func(tx *store.Tx) error {
		var setting string
		var foreign int
		err := tx.QueryRowRaw(ctxG, "SELECT current_setting('app.current_tenant_id'), (SELECT count(*) FROM services WHERE name LIKE 'Acme%')").Scan(&setting, &foreign)
		if err == nil && (setting != tx.TenantID().String() || foreign != 0) {
			err = fmt.Errorf("after a cancelled acme query globex runs with setting %s and sees %d acme services", setting, foreign)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPanicInTransactionRollsBack(t *testing.T) {
	f := setup(t, withMaxConns(1))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	func() {
		defer func() { _ = recover() }()
		_ = f.Store.InTenant(ctx, func(tx *store.Tx) error {
			if _, err := tx.CreateService(ctx, store.CreateServiceParams{
				TenantID: tx.TenantID(), Slug: "panic-probe", Name: "Panic", DurationMinutes: 30, Currency: "USD",
			}); err != nil {
				return err
			}
			panic("boom")
		})
	}()
	if st := f.Store.Stats(); st.AcquiredConns != 0 {
		t.Fatalf("a connection is still held after the panic: %+v", st)
	}
	err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
		var n int
		err := tx.QueryRowRaw(ctx, "SELECT count(*) FROM services WHERE slug = 'panic-probe'").Scan(&n)
		if err == nil && n != 0 {
			err = errors.New("the panicking transaction was committed")
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestPlatformPathIsAudited(t *testing.T) {
	f := setup(t)
	ctx := tenant.WithRequestID(context.Background(), "req-platform-1")
	op := store.PlatformOp{Actor: "system:test", Action: "tenant.create", Reason: "test provisioning"}
	err := f.Store.InPlatform(ctx, op, func(tx *store.PlatformTx) error {
		_, err := tx.CreateTenant(ctx, store.PlatformCreateTenantParams{Slug: "initech", Name: "Initech"})
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	failing := store.PlatformOp{Actor: "system:test", Action: "tenant.create", Reason: "rolled back"}
	err = f.Store.InPlatform(ctx, failing, func(tx *store.PlatformTx) error {
		if _, err := tx.CreateTenant(ctx, store.PlatformCreateTenantParams{Slug: "hooli", Name: "Hooli"}); err != nil {
			return err
		}
		return errors.New("abort")
	})
	if err == nil {
		t.Fatal("want the function's error")
	}
	for _, bad := range []store.PlatformOp{{Actor: "x", Action: "y"}, {Actor: "x", Reason: "z"}, {Action: "y", Reason: "z"}} {
		if err := f.Store.InPlatform(ctx, bad, func(*store.PlatformTx) error { return nil }); err == nil {
			t.Fatalf("%+v: an operation without actor, action and reason must be refused", bad)
		}
	}
	var entries []store.PlatformAuditLog
	var tenants []store.PlatformTenant
	err = f.Store.InPlatform(ctx, store.PlatformOp{Actor: "system:test", Action: "audit.read", Reason: "verify"}, func(tx *store.PlatformTx) (err error) {
		if entries, err = tx.ListPlatformAudit(ctx, 10); err != nil {
			return err
		}
		tenants, err = tx.ListTenants(ctx)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, e := range entries {
		actions = append(actions, e.Action+"/"+e.Reason+"/"+e.RequestID)
	}
	if len(entries) < 2 || entries[0].Action != "audit.read" || entries[1].Reason != "test provisioning" || entries[1].RequestID != "req-platform-1" {
		t.Fatalf("platform audit: %v", actions)
	}
	for _, e := range entries {
		if e.Reason == "rolled back" {
			t.Fatal("the failed operation's audit row survived its rollback")
		}
	}
	for _, tn := range tenants {
		if tn.Slug == "hooli" {
			t.Fatal("the failed operation's tenant survived")
		}
	}
	t.Run("PlatformRoleCannotRewriteHistory", func(t *testing.T) {
		conn := pgtest.Connect(t, f.DB.PlatformURL)
		for _, sql := range []string{"UPDATE platform_audit_log SET reason = 'x'", "DELETE FROM platform_audit_log", "TRUNCATE platform_audit_log"} {
			if _, err := conn.Exec(context.Background(), sql); sqlState(err) != "42501" {
				t.Errorf("%s: want permission denied, got %v", sql, err)
			}
		}
	})
}

// The batch path works in every pgx query execution mode, including the
// ones used behind PgBouncer in transaction mode.
func TestExecModes(t *testing.T) {
	for _, mode := range []string{"cache_statement", "cache_describe", "describe_exec", "exec", "simple_protocol"} {
		t.Run(mode, func(t *testing.T) {
			f := setup(t, func(c *store.Config) {
				sep := "?"
				if strings.Contains(c.AppURL, "?") {
					sep = "&"
				}
				c.AppURL += sep + "default_query_exec_mode=" + mode
				c.MaxConns = 1
			})
			ctx := scopeOf(context.Background(), f, "globex", "owner")
			for _, run := range []func(context.Context, func(*store.Tx) error) error{f.Store.ReadTenant, f.Store.WriteTenant, f.Store.InTenant} {
				err := run(ctx, func(tx *store.Tx) error {
					page, err := tx.ListServicesPage(ctx, store.ListServicesPageParams{TenantID: tx.TenantID(), PageSize: 20})
					if err != nil {
						return err
					}
					if len(page) != 3 || !strings.HasPrefix(page[0].Name, "Globex") {
						return fmt.Errorf("page: %d services", len(page))
					}
					var setting string
					if err := tx.QueryRowRaw(ctx, "SELECT current_setting('app.current_tenant_id')").Scan(&setting); err != nil {
						return err
					}
					if setting != tx.TenantID().String() {
						return fmt.Errorf("setting %q", setting)
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

var _ = schema.AppRole

// Statements held back for COMMIT (Tx.Later) commit with the work or not
// at all: when one fails, nothing of the transaction is stored, the error
// is the statement's, and the connection goes back clean.
func TestLaterStatementsCommitWithTheWork(t *testing.T) {
	f := setup(t, withMaxConns(1))
	ctx := scopeOf(context.Background(), f, "acme", "owner")
	create := func(slug string, versionOf func(id uuid.UUID) uuid.UUID) error {
		return f.Store.InTenant(ctx, func(tx *store.Tx) error {
			s, err := tx.CreateService(ctx, store.CreateServiceParams{TenantID: tx.TenantID(), Slug: slug, Name: "Later " + slug,
				DurationMinutes: 30, Currency: "USD", Active: true})
			if err != nil {
				return err
			}
			return tx.Later().InsertServiceVersion(ctx, store.InsertServiceVersionParams{
				TenantID: tx.TenantID(), ServiceID: versionOf(s.ID), Version: 1, Snapshot: json.RawMessage(`{}`),
			})
		})
	}
	count := func(slug string) (services, versions int) {
		err := f.Store.ReadTenant(ctx, func(tx *store.Tx) error {
			return tx.QueryRowRaw(ctx, `SELECT (SELECT count(*) FROM services WHERE slug = $1),
				(SELECT count(*) FROM service_versions v JOIN services s ON s.tenant_id = v.tenant_id AND s.id = v.service_id WHERE s.slug = $1)`, slug).
				Scan(&services, &versions)
		})
		if err != nil {
			t.Fatal(err)
		}
		return services, versions
	}
	if err := create("later-ok", func(id uuid.UUID) uuid.UUID { return id }); err != nil {
		t.Fatal(err)
	}
	if s, v := count("later-ok"); s != 1 || v != 1 {
		t.Fatalf("committed: %d services, %d versions; want 1 and 1", s, v)
	}
	err := create("later-broken", func(uuid.UUID) uuid.UUID { return uuid.New() })
	if !tenant.IsCode(err, tenant.CodeNotFound) {
		t.Fatalf("a held-back statement that fails: want not found (its foreign key), got %v", err)
	}
	if s, v := count("later-broken"); s != 0 || v != 0 {
		t.Fatalf("after the failed commit: %d services, %d versions stored; want none", s, v)
	}
	if err := create("later-after", func(id uuid.UUID) uuid.UUID { return id }); err != nil {
		t.Fatalf("the pool's one connection after a failed commit: %v", err)
	}
}
