package tenants

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Operator is who runs a lifecycle operation, and why. Every operation is
// a platform transaction whose audit row records both; a change is also
// written to the tenant's own audit log, where its owners read it.
type Operator struct {
	// Actor names the operator: "cli:<user>", or an account id.
	Actor string
	// Reason says why; required.
	Reason string
	// Account, when set, is the operator's account (the operators' API):
	// every transaction of the operation then first checks, in itself,
	// that the account holds a live operator grant, and is refused
	// (forbidden) otherwise. The CLI leaves it unset.
	Account *uuid.UUID
}

func (o Operator) check() error {
	if strings.TrimSpace(o.Actor) == "" {
		return tenant.Errorf(tenant.CodeInternal, "a lifecycle operation without an actor")
	}
	if n := len(strings.TrimSpace(o.Reason)); n == 0 || n > 1000 {
		return &tenant.Error{Code: tenant.CodeInvalid, Message: "a reason (1 to 1000 characters) is required",
			Fields: map[string]string{"body.reason": "1 to 1000 characters"}}
	}
	return nil
}

// Admin runs the tenant lifecycle on the audited platform path: list,
// create, suspend, resume (and export and delete, lifecycle.go).
type Admin struct {
	store *store.Store
	dir   *Directory
	now   func() time.Time
}

// NewAdmin returns the lifecycle operations over st; changes are told to
// dir's watchers, and now dates exports.
func NewAdmin(st *store.Store, dir *Directory, now func() time.Time) *Admin {
	return &Admin{store: st, dir: dir, now: now}
}

// Summary is one tenant as the operator's list shows it.
type Summary struct {
	tenant.Tenant
	CreatedAt, UpdatedAt time.Time
	// Members counts its live members.
	Members int64
}

// List returns every tenant.
func (a *Admin) List(ctx context.Context, op Operator) (_ []Summary, err error) {
	defer errs.Wrap(&err, "tenants: list")
	if err := op.check(); err != nil {
		return nil, err
	}
	var out []Summary
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: "tenant.list", Reason: op.Reason}, func(tx *store.PlatformTx) error {
		rows, err := tx.ListTenantSummaries(ctx)
		for _, r := range rows {
			out = append(out, Summary{
				Tenant:    tenant.Tenant{ID: r.ID, Slug: r.Slug, Name: r.Name, Status: tenant.Status(r.Status)},
				CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt, Members: r.Members,
			})
		}
		return err
	})
	return out, err
}

// Create creates an active tenant with its settings singletons and no
// members (see Provision): its first owner joins by invitation or signs
// up.
func (a *Admin) Create(ctx context.Context, op Operator, slug, name string) (t tenant.Tenant, err error) {
	defer errs.Wrap(&err, "tenants: create %q", slug)
	if err := op.check(); err != nil {
		return t, err
	}
	slug = strings.ToLower(strings.TrimSpace(slug))
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: "tenant.create", Reason: op.Reason, Detail: map[string]any{"slug": slug}},
		func(tx *store.PlatformTx) error {
			var err error
			if t, err = Provision(ctx, tx, slug, name); err != nil {
				return err
			}
			return tenantAudit(ctx, tx, t, "platform.tenant_created", op)
		})
	if err == nil {
		a.dir.changed(t.ID)
	}
	return t, err
}

// Suspend suspends the tenant with slug: its hosts answer 403, and the
// database refuses its rows to the app role (migration 00011), so work
// that bypasses the HTTP layer stops too. Suspending a suspended tenant
// changes nothing.
func (a *Admin) Suspend(ctx context.Context, op Operator, slug string) (tenant.Tenant, error) {
	return a.setStatus(ctx, op, slug, tenant.StatusSuspended)
}

// Resume makes a suspended tenant active again: everything it had is
// served again.
func (a *Admin) Resume(ctx context.Context, op Operator, slug string) (tenant.Tenant, error) {
	return a.setStatus(ctx, op, slug, tenant.StatusActive)
}

func (a *Admin) setStatus(ctx context.Context, op Operator, slug string, status tenant.Status) (t tenant.Tenant, err error) {
	action, done := "resume", "resumed"
	if status == tenant.StatusSuspended {
		action, done = "suspend", "suspended"
	}
	defer errs.Wrap(&err, "tenants: %s %q", action, slug)
	if err := op.check(); err != nil {
		return t, err
	}
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: "tenant." + action, Reason: op.Reason, Detail: map[string]any{"slug": slug}},
		func(tx *store.PlatformTx) error {
			row, err := tx.FindTenantBySlug(ctx, slug)
			if store.IsNotFound(err) {
				return tenant.NotFound("organization")
			}
			if err != nil {
				return err
			}
			if row, err = tx.SetTenantStatus(ctx, store.PlatformSetTenantStatusParams{ID: row.ID, Status: string(status)}); err != nil {
				return err
			}
			t = Of(row)
			return tenantAudit(ctx, tx, t, "platform.tenant_"+done, op)
		})
	if err == nil {
		a.dir.changed(t.ID)
	}
	return t, err
}

// tenantAudit writes a platform operation on t into t's own audit log.
func tenantAudit(ctx context.Context, tx *store.PlatformTx, t tenant.Tenant, action string, op Operator) error {
	detail, _ := json.Marshal(map[string]string{"actor": op.Actor, "reason": op.Reason})
	return tx.InsertTenantAudit(ctx, store.PlatformInsertTenantAuditParams{
		TenantID: t.ID, Action: action, RequestID: tenant.RequestIDFrom(ctx), Detail: detail,
	})
}

// Find returns the tenant with id, for an operation that names it by id
// (the operators' API); another's or a missing id is not found.
func (a *Admin) Find(ctx context.Context, op Operator, id uuid.UUID) (t tenant.Tenant, err error) {
	defer errs.Wrap(&err, "tenants: find %s", id)
	if err := op.check(); err != nil {
		return t, err
	}
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: "tenant.find", Reason: op.Reason, Detail: map[string]any{"tenant_id": id}},
		func(tx *store.PlatformTx) error {
			row, err := tx.FindTenantByID(ctx, id)
			if store.IsNotFound(err) {
				return tenant.NotFound("organization")
			}
			t = Of(row)
			return err
		})
	return t, err
}
