// Package pgx is a stub of the parts of github.com/jackc/pgx/v5 the rules
// look at.
package pgx

import (
	"context"

	"github.com/jackc/pgx/v5/pgconn"
)

type ConnConfig struct{}

func ParseConfig(s string) (*ConnConfig, error) { return nil, nil }

type Conn struct{}

func Connect(ctx context.Context, s string) (*Conn, error) { return nil, nil }

func (c *Conn) Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error) {
	return pgconn.CommandTag{}, nil
}

type Row interface{ Scan(dest ...any) error }

type Tx interface {
	Exec(ctx context.Context, sql string, arguments ...any) (pgconn.CommandTag, error)
	QueryRow(ctx context.Context, sql string, args ...any) Row
}

type Batch struct{}

func (b *Batch) Queue(query string, arguments ...any) {}

type Identifier []string

func (ident Identifier) Sanitize() string { return "" }
