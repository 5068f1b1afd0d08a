package store

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"

	"github.com/tenantkit/tenantkit/store/internal/db"
	"github.com/tenantkit/tenantkit/store/schema"
	"github.com/tenantkit/tenantkit/tenant"
)

// setScopeSQL sets the tenant and the acting account for the rest of the
// transaction. is_local = true: the values end with the transaction.
const setScopeSQL = "SELECT set_config('" + schema.TenantSetting + "', $1, true), set_config('" + schema.AccountSetting + "', $2, true)"

// setScopeReadOnlySQL does the same and makes the transaction read-only.
const setScopeReadOnlySQL = "SELECT set_config('" + schema.TenantSetting + "', $1, true), set_config('" + schema.AccountSetting + "', $2, true), set_config('transaction_read_only', 'on', true)"

// Tx is a tenant transaction: the generated queries, bound to one tenant.
// Every query takes the tenant id explicitly; pass TenantID().
type Tx struct {
	*db.Queries
	scope tenant.Scope
	conn  db.DBTX
	jobs  *river.Client[pgx.Tx]
	lazy  *lazyTx // an InTenant transaction's, also for Together's fns
}

// lazyTx returns the InTenant transaction tx runs in, or nil.
func (tx *Tx) lazyTx() *lazyTx {
	if tx.lazy != nil {
		return tx.lazy
	}
	lt, _ := tx.conn.(*lazyTx)
	return lt
}

// TenantID returns the tenant the transaction is bound to.
func (tx *Tx) TenantID() uuid.UUID { return tx.scope.TenantID }

// Scope returns the scope the transaction runs in.
func (tx *Tx) Scope() tenant.Scope { return tx.scope }

// Later returns the transaction's queries for statements whose results
// the work does not read — an audit entry, a history row: in an InTenant
// transaction they are held back and sent with COMMIT, in its round trip,
// after every other statement. Only statements without results (sqlc's
// :exec); an error of one surfaces at commit and rolls the whole
// transaction back. On the one-statement paths (ReadTenant, WriteTenant)
// they run at once.
func (tx *Tx) Later() *db.Queries {
	if lt := tx.lazyTx(); lt != nil {
		return db.New(laterConn{lt})
	}
	return tx.Queries
}

// Audit appends an entry to the tenant's audit log, attributed to the
// scope's account and member and carrying its request id. It is sent with
// COMMIT (see [Tx.Later]).
func (tx *Tx) Audit(ctx context.Context, action, targetType string, targetID *uuid.UUID, detail []byte) error {
	if detail == nil {
		detail = []byte("{}")
	}
	return tx.Later().InsertAuditLog(ctx, db.InsertAuditLogParams{
		TenantID:       tx.scope.TenantID,
		ActorAccountID: nilIfZero(tx.scope.AccountID),
		ActorMemberID:  nilIfZero(tx.scope.MemberID),
		Action:         action,
		TargetType:     targetType,
		TargetID:       targetID,
		RequestID:      tx.scope.RequestID,
		Detail:         detail,
	})
}

func nilIfZero(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}

// scopeArgs returns the setting values of a scope: "" for a missing tenant
// or account, which the policies read as NULL (no rows).
func scopeArgs(s tenant.Scope) (string, string) {
	t, a := "", ""
	if s.TenantID != uuid.Nil {
		t = s.TenantID.String()
	}
	if s.AccountID != uuid.Nil {
		a = s.AccountID.String()
	}
	return t, a
}

func scopeFrom(ctx context.Context) (tenant.Scope, error) {
	s, ok := tenant.ScopeFrom(ctx)
	if !ok {
		return tenant.Scope{}, tenant.Errorf(tenant.CodeInternal, "no tenant scope in context: refusing to touch the database")
	}
	if err := s.Validate(); err != nil {
		return tenant.Scope{}, err
	}
	return s, nil
}

// InTenant runs fn in a read-write transaction of the tenant named by the
// scope in ctx, and commits it when fn returns nil. Without a scope it
// returns an internal error before any SQL is sent.
//
// The transaction begins lazily: the BEGIN, the tenant setting and fn's
// first statement are sent as one batch. A serialization failure or
// deadlock retries fn (up to three attempts), so fn must not have side
// effects outside the transaction.
//
// Errors are translated into tenant error codes (see the package doc).
func (s *Store) InTenant(ctx context.Context, fn func(*Tx) error) error {
	scope, err := scopeFrom(ctx)
	if err != nil {
		return err
	}
	return s.inTx(ctx, scope, fn)
}

// ReadTenant runs fn for reading in the tenant named by the scope in ctx.
// Each statement fn sends travels in one batch with the tenant setting and
// runs in its own implicit, read-only transaction: one round trip per
// statement, none for BEGIN or COMMIT. Statements do not share a snapshot;
// use InTenant when they must, and for any write.
func (s *Store) ReadTenant(ctx context.Context, fn func(*Tx) error) error {
	scope, err := scopeFrom(ctx)
	if err != nil {
		return err
	}
	return s.read(ctx, scope, fn)
}

// WriteTenant runs fn, whose statements each stand alone, in the tenant
// named by the scope in ctx: as with ReadTenant, each statement travels
// in one batch with the tenant setting and runs in its own implicit
// transaction — one round trip, no BEGIN or COMMIT — but that transaction
// may write. For a statement that reads and records at once (the session
// check records the session's use); work of several statements that must
// commit together belongs in InTenant.
func (s *Store) WriteTenant(ctx context.Context, fn func(*Tx) error) error {
	scope, err := scopeFrom(ctx)
	if err != nil {
		return err
	}
	return s.oneShot(ctx, scope, setScopeSQL, fn)
}

// InAccount runs fn in a read-write transaction bound to one account and no
// tenant: the account's own row and apex sessions are visible, no tenant's
// rows are. For work on the apex host after the account is authenticated
// (its session check, logout, password change). accountID must come from a
// verified credential.
func (s *Store) InAccount(ctx context.Context, accountID uuid.UUID, fn func(*Tx) error) error {
	if accountID == uuid.Nil {
		return tenant.Errorf(tenant.CodeInternal, "no account: refusing to touch the database")
	}
	return s.inTx(ctx, tenant.Scope{AccountID: accountID, RequestID: tenant.RequestIDFrom(ctx)}, fn)
}

// ReadAccount is InAccount for reading, one round trip per statement.
func (s *Store) ReadAccount(ctx context.Context, accountID uuid.UUID, fn func(*Tx) error) error {
	if accountID == uuid.Nil {
		return tenant.Errorf(tenant.CodeInternal, "no account: refusing to touch the database")
	}
	return s.read(ctx, tenant.Scope{AccountID: accountID, RequestID: tenant.RequestIDFrom(ctx)}, fn)
}

// ReadGlobal runs fn for reading with no tenant and no account: only global
// tables answer (row security returns nothing from tenant-owned ones). For
// resolving a host to its tenant, before any scope exists.
func (s *Store) ReadGlobal(ctx context.Context, fn func(*Tx) error) error {
	return s.read(ctx, tenant.Scope{RequestID: tenant.RequestIDFrom(ctx)}, fn)
}

func (s *Store) inTx(ctx context.Context, scope tenant.Scope, fn func(*Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.inTxOnce(ctx, scope, fn)
		if err == nil {
			return nil
		}
		if attempt < 3 && isRetryable(err) && ctx.Err() == nil {
			time.Sleep(time.Duration(attempt*10+rand.IntN(20)) * time.Millisecond)
			continue
		}
		return translate(err)
	}
}

func (s *Store) inTxOnce(ctx context.Context, scope tenant.Scope, fn func(*Tx) error) error {
	check, err := s.sessionCheckFor(ctx, scope)
	if err != nil {
		return err
	}
	conn, err := s.acquire(ctx, s.app)
	if err != nil {
		return err
	}
	defer conn.Release()
	t, a := scopeArgs(scope)
	lt := &lazyTx{conn: conn, preamble: setScopeSQL + s.limits, preambleArgs: append([]any{t, a}, s.limitArgs...), check: check}
	committed := false
	defer func() {
		// Also on a panic in fn: the connection goes back to the pool idle,
		// or closed and discarded.
		if !committed {
			lt.rollback(ctx)
		}
	}()
	tx := &Tx{Queries: db.New(lt), scope: scope, conn: lt, jobs: s.jobs}
	if err := fn(tx); err != nil {
		return err
	}
	var hook *CommitHook
	if scope.TenantID != uuid.Nil {
		hook = commitHookFrom(ctx)
	}
	if hook != nil {
		if err := hook.fn(ctx, tx); err != nil {
			return err
		}
	}
	committed = true
	if err := lt.commit(ctx); err != nil {
		return err
	}
	if hook != nil {
		hook.ran.Store(true)
	}
	return nil
}

func (s *Store) read(ctx context.Context, scope tenant.Scope, fn func(*Tx) error) error {
	return s.oneShot(ctx, scope, setScopeReadOnlySQL, fn)
}

// oneShot runs fn with every statement sent in one batch after preamble,
// which sets the scope, in an implicit transaction of its own.
//
// A pending session check in ctx (see [SessionCheck]) travels in the
// batch of fn's first statement, between the preamble and the statement.
func (s *Store) oneShot(ctx context.Context, scope tenant.Scope, preamble string, fn func(*Tx) error) error {
	check, err := s.sessionCheckFor(ctx, scope)
	if err != nil {
		return err
	}
	conn, err := s.acquire(ctx, s.app)
	if err != nil {
		return translate(err)
	}
	defer conn.Release()
	t, a := scopeArgs(scope)
	rc := &readConn{conn: conn, preamble: preamble + s.limits, args: append([]any{t, a}, s.limitArgs...), check: check}
	return translate(fn(&Tx{Queries: db.New(rc), scope: scope, conn: rc}))
}

// lazyTx is the DBTX of a transaction that begins with its first statement:
// BEGIN, the preamble and that statement go to the server in one batch.
type lazyTx struct {
	conn         *pgxpool.Conn
	options      pgx.TxOptions
	preamble     string
	preambleArgs []any
	check        *SessionCheck
	tx           pgx.Tx
	// later are the statements held back for COMMIT's batch (laterMu:
	// Together's fns queue them from goroutines of their own).
	laterMu sync.Mutex
	later   []queued
	// finals are the Finally functions, run with COMMIT.
	finals []final
	// done: COMMIT went out in a batch of our own, past pgx's Tx.
	done bool
}

type queued struct {
	sql  string
	args []any
}

// laterConn is the DBTX of [Tx.Later]: it queues statements on a lazyTx.
type laterConn struct{ l *lazyTx }

func (c laterConn) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	c.l.laterMu.Lock()
	defer c.l.laterMu.Unlock()
	c.l.later = append(c.l.later, queued{sql, args})
	return pgconn.CommandTag{}, nil
}

var errLaterRows = errors.New("store: a statement sent with COMMIT returns no rows to read")

func (c laterConn) Query(context.Context, string, ...any) (pgx.Rows, error) { return nil, errLaterRows }

func (c laterConn) QueryRow(context.Context, string, ...any) pgx.Row {
	return &firstRow{err: errLaterRows}
}

// begin sends BEGIN, the preamble and the first statement, and returns the
// results positioned at the first statement's.
func (l *lazyTx) begin(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	return l.sendBatch(ctx, []queued{{sql, args}})
}

func (l *lazyTx) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if l.tx != nil {
		return l.tx.Exec(ctx, sql, args...)
	}
	return execLast(l.begin(ctx, sql, args))
}

func (l *lazyTx) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if l.tx != nil {
		return l.tx.Query(ctx, sql, args...)
	}
	return queryLast(l.begin(ctx, sql, args))
}

func (l *lazyTx) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := l.Query(ctx, sql, args...)
	return &firstRow{rows: rows, err: err}
}

// commit commits the transaction. Statements held back (Tx.Later) go in
// one batch with COMMIT: on the transaction's connection, past pgx's Tx,
// which then is finished. A transaction that sent nothing else sends
// them in its first batch, after BEGIN, the scope and the session check:
// the whole transaction is one round trip.
func (l *lazyTx) commit(ctx context.Context) error {
	later, finals := l.later, l.finals
	l.later, l.finals = nil, nil
	if len(later) == 0 && len(finals) == 0 {
		if l.tx == nil {
			return nil
		}
		return l.tx.Commit(ctx)
	}
	if len(finals) > 0 {
		return l.commitWithFinals(ctx, later, finals)
	}
	br, err := l.sendCommit(ctx, later, nil)
	var tag pgconn.CommandTag
	if err == nil {
		for range len(later) + 1 {
			if tag, err = br.Exec(); err != nil {
				break
			}
		}
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		// The transaction is aborted or its state unknown: end it.
		l.rollback(ctx)
		return err
	}
	l.done = true
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// sendCommit sends the statements held for COMMIT, then stmts, then
// COMMIT, in one batch: the transaction's first (with BEGIN, the scope and
// the session check) when it sent nothing before. The results are
// positioned at the first held statement's; on error they are closed.
func (l *lazyTx) sendCommit(ctx context.Context, later, stmts []queued) (pgx.BatchResults, error) {
	all := make([]queued, 0, len(later)+len(stmts)+1)
	all = append(append(append(all, later...), stmts...), queued{sql: "COMMIT"})
	if l.tx == nil {
		return l.sendBatch(ctx, all)
	}
	return sendAll(ctx, l.conn.SendBatch, &pgx.Batch{}, all)
}

// rollback ends the transaction even when ctx is already cancelled; a
// rollback that fails leaves the connection closed, and the pool discards it.
func (l *lazyTx) rollback(ctx context.Context) {
	if l.tx == nil || l.done {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_ = l.tx.Rollback(rctx)
}

// readConn is the DBTX of ReadTenant and WriteTenant: every statement is
// sent in one batch after the scope setting, in an implicit transaction.
type readConn struct {
	conn     *pgxpool.Conn
	preamble string
	args     []any
	check    *SessionCheck
}

func (r *readConn) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	return r.sendBatch(ctx, []queued{{sql, args}})
}

func (r *readConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	return execLast(r.send(ctx, sql, args))
}

func (r *readConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return queryLast(r.send(ctx, sql, args))
}

func (r *readConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := r.Query(ctx, sql, args...)
	return &firstRow{rows: rows, err: err}
}

// execLast reads the last statement of a batch sent by sendAll as an
// Exec and closes the batch.
func execLast(br pgx.BatchResults, err error) (pgconn.CommandTag, error) {
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return tag, err
}

// queryLast reads the last statement of a batch sent by sendAll as a
// query; the batch closes with the rows.
func queryLast(br pgx.BatchResults, err error) (pgx.Rows, error) {
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		br.Close()
		return nil, err
	}
	return &batchRows{Rows: rows, br: br}, nil
}

// batchRows closes the batch with the rows, so the connection is free again.
type batchRows struct {
	pgx.Rows
	br     pgx.BatchResults
	closed bool
	err    error
}

func (r *batchRows) Close() {
	if r.closed {
		return
	}
	r.closed = true
	r.Rows.Close()
	r.err = r.Rows.Err()
	if err := r.br.Close(); r.err == nil {
		r.err = err
	}
}

func (r *batchRows) Err() error {
	if r.closed {
		return r.err
	}
	return r.Rows.Err()
}

// firstRow is a pgx.Row over rows: the first row, or pgx.ErrNoRows.
type firstRow struct {
	rows pgx.Rows
	err  error
}

func (r *firstRow) Scan(dest ...any) error {
	if r.err != nil {
		return r.err
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		r.rows.Close()
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}
