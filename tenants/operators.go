package tenants

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// OperatorGrant is an account's standing as a platform operator: it may
// run the tenant lifecycle over the API on the apex host.
type OperatorGrant struct {
	AccountID uuid.UUID
	Email     string
	GrantedAt time.Time
	GrantedBy string
	Reason    string
}

// Operators grants, revokes and lists the platform operator role
// (migration 00017), on the audited platform path: for the CLI only, no
// API operation calls them. The grant is checked by the operations
// themselves (Operator.Account).
type Operators struct {
	store *store.Store
	now   func() time.Time
}

// NewOperators returns the operator grants over st; now dates them.
func NewOperators(st *store.Store, now func() time.Time) *Operators {
	return &Operators{store: st, now: now}
}

func normalEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// Grant makes the account with email an operator. It returns not found
// for an unknown email and conflict when the account already is one.
func (o *Operators) Grant(ctx context.Context, op Operator, email string) (g OperatorGrant, err error) {
	defer errs.Wrap(&err, "tenants: grant operator")
	if err := op.check(); err != nil {
		return g, err
	}
	email = normalEmail(email)
	err = o.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Action: "operator.grant", Reason: op.Reason, Detail: map[string]any{"email": email}},
		func(tx *store.PlatformTx) error {
			acc, err := tx.FindAccountByEmail(ctx, email)
			if store.IsNotFound(err) {
				return tenant.NotFound("account")
			}
			if err != nil {
				return err
			}
			row, err := tx.GrantOperator(ctx, store.PlatformGrantOperatorParams{
				AccountID: acc.ID, GrantedAt: o.now(), GrantedBy: op.Actor, Reason: strings.TrimSpace(op.Reason),
			})
			if store.IsNotFound(err) {
				return tenant.Errorf(tenant.CodeConflict, "%s is already an operator", email)
			}
			if err != nil {
				return err
			}
			g = OperatorGrant{AccountID: row.AccountID, Email: acc.Email, GrantedAt: row.GrantedAt, GrantedBy: row.GrantedBy, Reason: row.Reason}
			return nil
		})
	return g, err
}

// Revoke ends the operator role of the account with email: its next
// request to an operator operation is refused. It returns not found when
// the account is not an operator.
func (o *Operators) Revoke(ctx context.Context, op Operator, email string) (err error) {
	defer errs.Wrap(&err, "tenants: revoke operator")
	if err := op.check(); err != nil {
		return err
	}
	email = normalEmail(email)
	return o.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Action: "operator.revoke", Reason: op.Reason, Detail: map[string]any{"email": email}},
		func(tx *store.PlatformTx) error {
			acc, err := tx.FindAccountByEmail(ctx, email)
			if store.IsNotFound(err) {
				return tenant.NotFound("operator")
			}
			if err != nil {
				return err
			}
			n, err := tx.RevokeOperator(ctx, acc.ID)
			if err != nil {
				return err
			}
			if n == 0 {
				return tenant.NotFound("operator")
			}
			return nil
		})
}

// List returns every operator.
func (o *Operators) List(ctx context.Context, op Operator) (_ []OperatorGrant, err error) {
	defer errs.Wrap(&err, "tenants: list operators")
	if err := op.check(); err != nil {
		return nil, err
	}
	var out []OperatorGrant
	err = o.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Action: "operator.list", Reason: op.Reason},
		func(tx *store.PlatformTx) error {
			rows, err := tx.ListOperators(ctx)
			for _, r := range rows {
				out = append(out, OperatorGrant(r))
			}
			return err
		})
	return out, err
}
