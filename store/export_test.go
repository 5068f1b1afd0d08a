package store

import (
	"context"
	"net"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// AppPool exposes the app pool to the store's tests, which must reach a
// pooled connection outside any transaction to prove that nothing leaks
// between borrowers.
func (s *Store) AppPool() *pgxpool.Pool { return s.app }

// ExecRaw runs sql through the transaction's own connection, for tests that
// need statements sqlc does not generate (pg_sleep, set_config).
func (tx *Tx) ExecRaw(ctx context.Context, sql string, args ...any) error {
	_, err := tx.conn.Exec(ctx, sql, args...)
	return err
}

// WithDialCounter makes the app pool count the writes each connection sends:
// one write per round trip.
func WithDialCounter(counter func()) func(*Config) {
	return func(c *Config) { c.configure = countWrites(counter) }
}

// WithPlatformDialCounter does the same for the platform pool.
func WithPlatformDialCounter(counter func()) func(*Config) {
	return func(c *Config) { c.configurePlatform = countWrites(counter) }
}

func countWrites(counter func()) func(*pgx.ConnConfig) {
	return func(cc *pgx.ConnConfig) {
		dialer := &net.Dialer{}
		cc.DialFunc = func(ctx context.Context, network, addr string) (net.Conn, error) {
			conn, err := dialer.DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &countingConn{Conn: conn, counter: counter}, nil
		}
	}
}

type countingConn struct {
	net.Conn
	counter func()
}

func (c *countingConn) Write(b []byte) (int, error) {
	c.counter()
	return c.Conn.Write(b)
}

// QueryRowRaw runs sql through the transaction's own connection.
func (tx *Tx) QueryRowRaw(ctx context.Context, sql string, args ...any) pgx.Row {
	return tx.conn.QueryRow(ctx, sql, args...)
}

// QueryRaw runs sql through the transaction's own connection.
func (tx *Tx) QueryRaw(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	return tx.conn.Query(ctx, sql, args...)
}
