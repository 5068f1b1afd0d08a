package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Errors the scope middleware cancels a job with: running it later would
// not help.
var (
	ErrNoTenant        = errors.New("job names no tenant")
	ErrTenantGone      = errors.New("job's tenant does not exist")
	ErrTenantSuspended = errors.New("job's tenant is suspended")
	ErrMemberGone      = errors.New("job's member no longer holds the membership")
)

// scopeMiddleware rebuilds a tenant job's scope from its arguments, checks
// the tenant is active and the member still a member, and runs the work
// in that scope. A global kind runs without a scope: the store refuses it
// every tenant path.
type scopeMiddleware struct {
	river.MiddlewareDefaults
	store  *store.Store
	logger *slog.Logger
}

func (m *scopeMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	ctx = tenant.WithRequestID(ctx, fmt.Sprintf("job-%d", job.ID))
	if globalKinds[job.Kind] {
		return doInner(ctx)
	}
	scope, err := m.scope(ctx, job)
	if err != nil {
		if errors.Is(err, ErrNoTenant) || errors.Is(err, ErrTenantGone) || errors.Is(err, ErrTenantSuspended) || errors.Is(err, ErrMemberGone) {
			m.logger.WarnContext(ctx, "job refused", slog.String("kind", job.Kind), slog.Int64("job_id", job.ID), slog.Any("error", err))
			return river.JobCancel(err)
		}
		return err
	}
	return doInner(tenant.WithScope(ctx, scope))
}

// scope returns the scope a job runs in, read from its arguments and
// checked against the database.
func (m *scopeMiddleware) scope(ctx context.Context, job *rivertype.JobRow) (tenant.Scope, error) {
	var t Tenant
	if err := json.Unmarshal(job.EncodedArgs, &t); err != nil || t.TenantID == uuid.Nil {
		return tenant.Scope{}, ErrNoTenant
	}
	err := m.store.ReadGlobal(ctx, func(tx *store.Tx) error {
		tn, err := tx.GetTenant(ctx, t.TenantID)
		if store.IsNotFound(err) {
			return ErrTenantGone
		}
		if err != nil {
			return err
		}
		if tn.Status != string(tenant.StatusActive) {
			return ErrTenantSuspended
		}
		return nil
	})
	if err != nil {
		return tenant.Scope{}, err
	}
	scope := tenant.Scope{TenantID: t.TenantID, RequestID: tenant.RequestIDFrom(ctx)}
	if t.MemberID == uuid.Nil {
		return scope, nil
	}
	err = m.store.ReadTenant(tenant.WithScope(ctx, scope), func(tx *store.Tx) error {
		mb, err := tx.GetJobMember(ctx, store.GetJobMemberParams{TenantID: tx.TenantID(), ID: t.MemberID})
		if store.IsNotFound(err) {
			return ErrMemberGone
		}
		if err != nil {
			return err
		}
		scope.MemberID, scope.AccountID, scope.Role = mb.ID, mb.AccountID, tenant.Role(mb.Role)
		return nil
	})
	return scope, err
}

// observeMiddleware times every job, outside the scope middleware, so a
// job refused for its tenant is counted too.
type observeMiddleware struct {
	river.MiddlewareDefaults
	observe func(kind string, d time.Duration, err error)
}

func (m *observeMiddleware) Work(ctx context.Context, job *rivertype.JobRow, doInner func(context.Context) error) error {
	if m.observe == nil {
		return doInner(ctx)
	}
	start := time.Now()
	err := doInner(ctx)
	m.observe(job.Kind, time.Since(start), err)
	return err
}
