// Package store may hold the pool, but builds no SQL from values and keeps
// the caller's context.
package store

import (
	"context"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type Store struct{ pool *pgxpool.Pool }

func Open(url string) (*Store, error) {
	pool, err := pgxpool.New(context.Background(), url) // want `context: context.Background drops`
	return &Store{pool: pool}, err
}

func (s *Store) Delete(ctx context.Context, conn *pgx.Conn, id string) error {
	_, err := conn.Exec(ctx, "DELETE FROM items WHERE id = '"+id+"'") // want `sql: SQL passed to Exec is built`
	return err
}
