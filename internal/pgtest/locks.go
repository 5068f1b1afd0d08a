package pgtest

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// LockTable takes an ACCESS EXCLUSIVE lock on table in a transaction of
// conn, as a migration or an operator's LOCK TABLE would, and returns the
// transaction: roll it back to release the lock. It is rolled back when
// tb ends in any case.
func LockTable(tb testing.TB, conn *pgx.Conn, table string) pgx.Tx {
	tb.Helper()
	ctx := context.Background()
	tx, err := conn.Begin(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = tx.Rollback(context.Background()) })
	if _, err := tx.Exec(ctx, "LOCK TABLE "+pgx.Identifier{table}.Sanitize()+" IN ACCESS EXCLUSIVE MODE"); err != nil {
		tb.Fatal(err)
	}
	return tx
}

// WaitForLockWaiters waits until at least n sessions of the database of
// conn wait for a lock, and returns how many do; it fails tb if fewer do
// within timeout.
func WaitForLockWaiters(tb testing.TB, conn *pgx.Conn, n int, timeout time.Duration) int {
	tb.Helper()
	for deadline := time.Now().Add(timeout); ; time.Sleep(10 * time.Millisecond) {
		var waiting int
		err := conn.QueryRow(context.Background(),
			"SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'").Scan(&waiting)
		if err != nil {
			tb.Fatal(err)
		}
		if waiting >= n {
			return waiting
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d sessions wait for a lock after %v, want %d", waiting, timeout, n)
		}
	}
}
