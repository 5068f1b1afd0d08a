package store

import (
	"context"
	"errors"
	"sync"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/store/internal/db"
)

// Together runs fns, whose statements do not depend on each other's
// results, so that their first statements travel in one batch: one round
// trip for all of them — the transaction's first, with BEGIN, the scope
// and the session check, when nothing was sent before. Each fn reads its
// own results, in the order of fns; a statement a fn sends after its
// first goes on its own after the batch. Statements held for COMMIT
// (Tx.Later) are held as ever.
//
// The fns run on goroutines of their own, each with a Tx of its own on
// the same connection; they must not share unsynchronised state, and they
// insert no jobs (Tx.InsertJob refuses there). The error is the first
// fn's (in the order of fns) that failed. A fn that keeps a failed
// statement's error instead of returning it must return it later: after
// a failed statement the transaction is aborted (InTenant's COMMIT then
// fails too).
func (tx *Tx) Together(ctx context.Context, fns ...func(*Tx) error) error {
	sender, ok := tx.conn.(batchSender)
	if !ok || len(fns) < 2 {
		for _, fn := range fns {
			if err := fn(tx); err != nil {
				return err
			}
		}
		return nil
	}
	// The batch's own error is one a fn has read already (a fn may keep a
	// statement's error to return later, after a check of its own), or the
	// connection's, which the next statement meets.
	errs, _ := together(ctx, tx, tx.lazyTx(), tx.conn, sender, fns)
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// together runs fns as Together describes, each with a Tx like tx on a
// connection of its own whose statements after the first go to base, and
// sends their first statements with sender. It returns each fn's error
// and the batch's own (sending it, or what sender reads after the fns'
// results). A panic in a fn is raised again here.
func together(ctx context.Context, tx *Tx, lazy *lazyTx, base db.DBTX, sender batchSender, fns []func(*Tx) error) ([]error, error) {
	g := &gather{base: base, sender: sender, arrived: make(chan struct{}, len(fns)), batchDone: make(chan struct{})}
	g.members = make([]*gatherConn, len(fns))
	errs := make([]error, len(fns))
	panics := make([]*any, len(fns))
	var wg sync.WaitGroup
	for i, fn := range fns {
		c := &gatherConn{g: g, ready: make(chan struct{}), read: make(chan struct{})}
		g.members[i] = c
		// With lazy, Tx.Later and Tx.Finally on sub queue on that
		// transaction; without, they send at once.
		sub := &Tx{Queries: db.New(c), scope: tx.scope, conn: c, jobs: tx.jobs, lazy: lazy}
		wg.Go(func() {
			defer func() {
				if p := recover(); p != nil {
					panics[i] = &p
				}
				c.finish()
			}()
			errs[i] = fn(sub)
		})
	}
	// Every fn has sent its first statement or returned.
	for range fns {
		<-g.arrived
	}
	err := g.distribute(ctx)
	wg.Wait()
	for _, p := range panics {
		if p != nil {
			panic(*p)
		}
	}
	return errs, err
}

// batchSender is a DBTX that can send several statements in one batch,
// with what its first statement must carry (BEGIN, the scope, the
// session check), and return the results positioned at the first of them.
type batchSender interface {
	sendBatch(ctx context.Context, stmts []queued) (pgx.BatchResults, error)
}

// batchFinisher is a batchSender that queues statements after stmts and
// reads their results once the fns have read theirs.
type batchFinisher interface {
	finishBatch(br pgx.BatchResults) error
}

// gather holds the first statements of Together's fns until each has
// sent one or returned, then sends them as one batch.
type gather struct {
	base    db.DBTX
	sender  batchSender
	members []*gatherConn
	// arrived gets one value per fn: its first statement is queued, or it
	// returned without sending one.
	arrived chan struct{}
	// batchDone is closed once every result of the batch has been read:
	// the connection is free for statements sent on their own.
	batchDone chan struct{}
	mu        sync.Mutex // serialises statements sent on their own
}

func (g *gather) distribute(ctx context.Context) error {
	defer close(g.batchDone)
	var stmts []queued
	var waiting []*gatherConn
	for _, c := range g.members {
		if c.stmt != nil {
			stmts = append(stmts, *c.stmt)
			waiting = append(waiting, c)
		}
	}
	_, finishes := g.sender.(batchFinisher)
	if len(stmts) == 0 && !finishes {
		return nil
	}
	br, err := g.sender.sendBatch(ctx, stmts)
	for _, c := range waiting {
		if err == nil {
			if c.exec {
				c.tag, c.err = br.Exec()
			} else {
				c.rows, c.err = br.Query()
			}
		} else {
			c.err = err
		}
		close(c.ready)
		if err == nil && !c.exec && c.err == nil {
			// The next results can be read once these rows are.
			<-c.read
		}
		if err == nil && c.err != nil {
			// An error in a pipeline ends the batch's transaction: the
			// statements after it fail the same way.
			err = c.err
		}
	}
	if finishes && err == nil {
		err = g.sender.(batchFinisher).finishBatch(br)
	}
	// An error here is one a fn has read already, or the connection's,
	// which the next statement or COMMIT meets.
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return err
}

// gatherConn is the DBTX of one of Together's fns.
type gatherConn struct {
	g     *gather
	stmt  *queued
	exec  bool
	ready chan struct{} // closed when the result below is set
	tag   pgconn.CommandTag
	rows  pgx.Rows
	err   error
	read  chan struct{} // closed when the rows are read (or the fn returned)
	once  sync.Once
	sent  bool
	// first and open are the fn's rows still open: those of its first
	// statement and those of a later one (which hold the connection).
	firstRows *gatheredRows
	open      *unlockRows
}

// first queues the fn's first statement and waits for its result.
func (c *gatherConn) first(sql string, args []any, exec bool) {
	c.stmt, c.exec, c.sent = &queued{sql, args}, exec, true
	c.g.arrived <- struct{}{}
	<-c.ready
}

// finish marks the fn done: it arrived (without a statement) if it had
// not, and whatever rows it left open are closed, so that the batch goes
// on and the connection is free.
func (c *gatherConn) finish() {
	if !c.sent {
		c.sent = true
		c.g.arrived <- struct{}{}
	}
	if c.open != nil {
		c.open.Close()
	}
	c.done()
}

func (c *gatherConn) done() { c.once.Do(func() { close(c.read) }) }

// alone sends a statement after the batch, on its own: the fn's first
// rows, should it not have closed them, are closed first (the batch waits
// for them), and so are the rows of its last statement sent alone (pgx
// would refuse a query on a busy connection, and they hold the lock).
func (c *gatherConn) alone() func() {
	if c.firstRows != nil {
		c.firstRows.Close()
	}
	if c.open != nil {
		c.open.Close()
	}
	<-c.g.batchDone
	c.g.mu.Lock()
	return c.g.mu.Unlock
}

func (c *gatherConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if !c.sent {
		c.first(sql, args, true)
		return c.tag, c.err
	}
	defer c.alone()()
	return c.g.base.Exec(ctx, sql, args...)
}

func (c *gatherConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if !c.sent {
		c.first(sql, args, false)
		if c.err != nil {
			return nil, c.err
		}
		c.firstRows = &gatheredRows{Rows: c.rows, c: c}
		return c.firstRows, nil
	}
	unlock := c.alone()
	rows, err := c.g.base.Query(ctx, sql, args...)
	if err != nil {
		unlock()
		return nil, err
	}
	c.open = &unlockRows{Rows: rows, unlock: unlock}
	return c.open, nil
}

func (c *gatherConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := c.Query(ctx, sql, args...)
	return &firstRow{rows: rows, err: err}
}

// gatheredRows are a fn's rows out of the batch: closing them lets the
// batch hand out the next results.
type gatheredRows struct {
	pgx.Rows
	c *gatherConn
}

func (r *gatheredRows) Close() {
	r.Rows.Close()
	r.c.done()
}

// Next closes the rows after the last, as pgx does.
func (r *gatheredRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

// unlockRows release the connection when closed.
type unlockRows struct {
	pgx.Rows
	unlock func()
	once   sync.Once
}

func (r *unlockRows) Close() {
	r.Rows.Close()
	r.once.Do(r.unlock)
}

// Next closes the rows after the last, as pgx does.
func (r *unlockRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

// sendBatch sends stmts in the transaction: as its first batch (with
// BEGIN, the scope and the session check) when nothing was sent before.
func (l *lazyTx) sendBatch(ctx context.Context, stmts []queued) (pgx.BatchResults, error) {
	if l.tx != nil {
		b := &pgx.Batch{}
		for _, s := range stmts {
			b.Queue(s.sql, s.args...)
		}
		return l.tx.SendBatch(ctx, b), nil
	}
	b := &pgx.Batch{}
	b.BeginTx(l.options)
	if l.preamble != "" {
		b.Queue(l.preamble, l.preambleArgs...)
	}
	checked := queueCheck(b, l.check)
	br, err := sendAll(ctx, l.conn.SendBatch, b, stmts)
	if checked {
		l.check.settle(err)
	}
	l.tx = br.Tx()
	return br, err
}

// sendBatch sends stmts after the scope (and the session check), all in
// one implicit transaction.
func (r *readConn) sendBatch(ctx context.Context, stmts []queued) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	b.Queue(r.preamble, r.args...)
	checked := queueCheck(b, r.check)
	br, err := sendAll(ctx, r.conn.SendBatch, b, stmts)
	if checked {
		r.check.settle(err)
	}
	return br, err
}

// sendAll queues stmts after what b holds, sends b and reads the results
// of what it held, returning the results positioned at stmts'. On error
// the results are closed.
func sendAll(ctx context.Context, send func(context.Context, *pgx.Batch) pgx.BatchResults, b *pgx.Batch, stmts []queued) (pgx.BatchResults, error) {
	before := b.Len()
	for _, s := range stmts {
		b.Queue(s.sql, s.args...)
	}
	br := send(ctx, b)
	for range before {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return br, err
		}
	}
	return br, nil
}

// Finally has fn read, in COMMIT's round trip, what the transaction
// wrote: fn's one statement travels in COMMIT's batch, after the
// statements held for it (Tx.Later) and before COMMIT, and fn reads its
// results there. fn runs when the transaction commits, after the function
// given to InTenant has returned nil, and its error is InTenant's. A
// statement of fn that fails rolls the transaction back; an error fn
// returns after reading does not (the transaction has committed), so fn
// only reads. Outside InTenant fn runs at once.
func (tx *Tx) Finally(ctx context.Context, fn func(*Tx) error) error {
	lt := tx.lazyTx()
	if lt == nil {
		return fn(tx)
	}
	lt.laterMu.Lock()
	defer lt.laterMu.Unlock()
	lt.finals = append(lt.finals, final{fn: fn, tx: tx})
	return nil
}

type final struct {
	fn func(*Tx) error
	tx *Tx
}

// commitBatch sends COMMIT with the statements held for it and the
// statements of the transaction's Finally functions.
type commitBatch struct {
	l     *lazyTx
	later []queued
}

func (c *commitBatch) sendBatch(ctx context.Context, stmts []queued) (pgx.BatchResults, error) {
	br, err := c.l.sendCommit(ctx, c.later, stmts)
	if err != nil {
		return br, err
	}
	for range c.later {
		if _, err := br.Exec(); err != nil {
			br.Close()
			return br, err
		}
	}
	return br, nil
}

func (c *commitBatch) finishBatch(br pgx.BatchResults) error {
	tag, err := br.Exec()
	if err != nil {
		return err
	}
	c.l.done = true
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// afterCommit is where a Finally function's second statement would go.
type afterCommit struct{}

var errAfterCommit = errors.New("store: a Finally function sends one statement; the transaction has committed")

func (afterCommit) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, errAfterCommit
}
func (afterCommit) Query(context.Context, string, ...any) (pgx.Rows, error) {
	return nil, errAfterCommit
}
func (afterCommit) QueryRow(context.Context, string, ...any) pgx.Row {
	return &firstRow{err: errAfterCommit}
}

// commitWithFinals commits, with the held statements, the Finally
// functions' statements and COMMIT in one batch.
func (l *lazyTx) commitWithFinals(ctx context.Context, later []queued, finals []final) error {
	fns := make([]func(*Tx) error, len(finals))
	for i, f := range finals {
		fns[i] = f.fn
	}
	// No lazy transaction for the fns: what they would hold for COMMIT
	// is sent now, in the batch, or refused after it.
	errs, err := together(ctx, finals[0].tx, nil, afterCommit{}, &commitBatch{l: l, later: later}, fns)
	if err != nil {
		// The transaction is aborted or its state unknown: end it.
		l.rollback(ctx)
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
