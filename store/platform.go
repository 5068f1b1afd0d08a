package store

import (
	"context"
	"encoding/json"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/store/internal/platformdb"
	"github.com/tenantkit/tenantkit/tenant"
)

// PlatformTx is a transaction on the platform pool: the cross-tenant
// queries, bound to one audited operation.
type PlatformTx struct {
	*platformdb.Queries
	op   PlatformOp
	conn platformdb.DBTX
}

// Op returns the operation the transaction was opened for.
func (tx *PlatformTx) Op() PlatformOp { return tx.op }

// PlatformOp describes one use of the platform path, for its audit row.
type PlatformOp struct {
	// Actor is who acts: an account id, or "system:<component>". Required.
	Actor string
	// Action names the operation, such as "tenant.create". Required.
	Action string
	// Reason says why the platform role is needed. Required.
	Reason string
	// TargetTenant is the tenant the operation is about, if one.
	TargetTenant *uuid.UUID
	// Detail is recorded with the audit row; it must hold no secrets.
	Detail map[string]any
	// Snapshot runs the transaction at REPEATABLE READ: every statement
	// reads the database as it was at the first (an export's tables agree
	// with each other).
	Snapshot bool
	// Operator, when set, is an account that must hold a live operator
	// grant (migration 00017): the transaction checks it right after the
	// audit row and is refused (forbidden) otherwise, its audit row rolled
	// back with it.
	Operator *uuid.UUID
}

func (op PlatformOp) validate() error {
	switch {
	case strings.TrimSpace(op.Actor) == "":
		return tenant.Errorf(tenant.CodeInternal, "platform operation without an actor")
	case strings.TrimSpace(op.Action) == "":
		return tenant.Errorf(tenant.CodeInternal, "platform operation without an action")
	case strings.TrimSpace(op.Reason) == "":
		return tenant.Errorf(tenant.CodeInternal, "platform operation %s without a reason", op.Action)
	}
	return nil
}

// InPlatform runs fn in a transaction on the platform pool. The first
// statement, sent in one batch with the BEGIN, writes the platform audit row
// for op; fn's work commits with it or not at all.
func (s *Store) InPlatform(ctx context.Context, op PlatformOp, fn func(*PlatformTx) error) error {
	if s.platform == nil {
		return tenant.Errorf(tenant.CodeInternal, "the platform path is not configured")
	}
	if err := op.validate(); err != nil {
		return err
	}
	// A tenant request's pending session check runs first: nothing on
	// the platform path is done for a session that has ended.
	if err := s.ConfirmSession(ctx); err != nil {
		return err
	}
	detail := []byte("{}")
	if op.Detail != nil {
		var err error
		if detail, err = json.Marshal(op.Detail); err != nil {
			return tenant.Errorf(tenant.CodeInternal, "platform audit detail: %v", err)
		}
	}
	conn, err := s.acquire(ctx, s.platform)
	if err != nil {
		return translate(err)
	}
	defer conn.Release()
	lt := &lazyTx{conn: conn}
	if op.Snapshot {
		lt.options.IsoLevel = pgx.RepeatableRead
	}
	committed := false
	defer func() {
		if !committed {
			lt.rollback(ctx)
		}
	}()
	tx := &PlatformTx{Queries: platformdb.New(lt), op: op, conn: lt}
	err = tx.InsertPlatformAudit(ctx, platformdb.InsertPlatformAuditParams{
		Actor:          op.Actor,
		Action:         op.Action,
		Reason:         op.Reason,
		TargetTenantID: op.TargetTenant,
		RequestID:      tenant.RequestIDFrom(ctx),
		Detail:         detail,
	})
	if err == nil && op.Operator != nil {
		var ok bool
		if ok, err = tx.IsOperator(ctx, *op.Operator); err == nil && !ok {
			err = &tenant.Error{Code: tenant.CodeForbidden, Message: "this operation is for platform operators"}
		}
	}
	if err == nil {
		err = fn(tx)
	}
	if err != nil {
		return translate(err)
	}
	committed = true
	return translate(lt.commit(ctx))
}
