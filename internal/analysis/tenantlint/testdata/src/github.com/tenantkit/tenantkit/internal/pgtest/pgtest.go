// Package pgtest, the test harness, may connect and start from a fresh
// context.
package pgtest

import (
	"context"

	"github.com/jackc/pgx/v5"
)

func Connect(url string) (*pgx.Conn, error) { return pgx.Connect(context.Background(), url) }
