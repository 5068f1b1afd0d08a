package auth

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// SessionInfo is one of a member's sessions, as the member sees it.
type SessionInfo struct {
	ID                               uuid.UUID
	CreatedAt, LastUsedAt, ExpiresAt time.Time
	// UserAgent names the device; ClientAddress is where it signed in
	// from.
	UserAgent, ClientAddress string
	// Current marks the session the request came with.
	Current bool
}

// Sessions lists the principal's own sessions in its tenant that still
// work: not ended, not expired, not idle past the tenant's timeout. The
// last use is recorded at most once a minute.
func (s *Service) Sessions(ctx context.Context, p Principal) (_ []SessionInfo, err error) {
	defer errs.Wrap(&err, "auth: sessions")
	scope, err := tenant.Require(ctx, tenant.RoleClient)
	if err != nil {
		return nil, err
	}
	var out []SessionInfo
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		rows, err := tx.ListMemberSessions(ctx, store.ListMemberSessionsParams{TenantID: scope.TenantID, MemberID: scope.MemberID, Now: s.now()})
		for _, r := range rows {
			out = append(out, SessionInfo{
				ID: r.ID, CreatedAt: r.CreatedAt, LastUsedAt: r.LastUsedAt, ExpiresAt: r.ExpiresAt,
				UserAgent: r.UserAgent, ClientAddress: r.ClientAddress, Current: r.ID == p.Session.ID,
			})
		}
		return err
	})
	return out, err
}

// EndSession ends one of the principal's own sessions in its tenant (its
// current one too); any other session reads as missing (CodeNotFound).
func (s *Service) EndSession(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "auth: end session %s", id)
	scope, err := tenant.Require(ctx, tenant.RoleClient)
	if err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		n, err := tx.RevokeOwnSession(ctx, store.RevokeOwnSessionParams{TenantID: scope.TenantID, ID: id, MemberID: scope.MemberID, Now: s.now()})
		if err != nil {
			return err
		}
		if n == 0 {
			return tenant.NotFound("session")
		}
		return tx.Audit(ctx, "auth.session_ended", "session", &id, nil)
	})
}
