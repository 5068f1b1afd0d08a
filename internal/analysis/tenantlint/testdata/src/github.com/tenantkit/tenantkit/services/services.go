// Package services breaks the pool, sql and context rules.
package services

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

type Service struct {
	pool *pgxpool.Pool // want `pool: pgxpool.Pool is the database connection API`
}

func Open(ctx context.Context, url string) error {
	conn, err := pgx.Connect(ctx, url) // want `pool: pgx.Connect is the database connection API`
	if err != nil {
		return err
	}
	_, err = conn.Exec(ctx, "SELECT 1") // want `pool: \*pgx.Conn.Exec is the database connection API`
	return err
}

func IsUnique(err error) bool {
	pgErr, ok := err.(*pgconn.PgError) // want `pool: pgconn.PgError is the database connection API`
	return ok && pgErr.Code == "23505" // want `pool: pgconn.Code is the database connection API`
}

func Detached() context.Context {
	return context.Background() // want `context: context.Background drops the request's tenant scope`
}

func Later() context.Context {
	return context.TODO() // want `context: context.TODO drops the request's tenant scope`
}

func Find(ctx context.Context, tx pgx.Tx, table, name string, limit int) error {
	_, err := tx.Exec(ctx, "DELETE FROM "+table) // want `sql: SQL passed to Exec is built from a non-constant value`
	if err != nil {
		return err
	}
	q := fmt.Sprintf("SELECT * FROM items WHERE name = '%s'", name)
	tx.QueryRow(ctx, q) // want `sql: SQL passed to QueryRow is built from a non-constant value`

	var b pgx.Batch
	stmt := "UPDATE items SET seen = true"
	for _, col := range []string{name} {
		stmt += ", " + col
	}
	b.Queue(stmt) // want `sql: SQL passed to Queue is built from a non-constant value`

	// Constants, numbers and quoted identifiers are fine, and so is SQL
	// that is not built here.
	const base = "SELECT * FROM items"
	tx.QueryRow(ctx, base+" WHERE name = $1", name)
	tx.QueryRow(ctx, fmt.Sprintf("%s LIMIT %d", base, limit))
	ident := pgx.Identifier{table}.Sanitize()
	_, err = tx.Exec(ctx, "TRUNCATE "+ident)
	placeholders := "$1"
	for i := range limit {
		placeholders += fmt.Sprintf(", $%d", i+2)
	}
	tx.QueryRow(ctx, "SELECT format("+placeholders+")", name)
	tx.QueryRow(ctx, name)
	return err
}
