package services

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"
)

// Tests are exempt from every rule.
func TestExempt(t *testing.T) {
	ctx := context.Background()
	conn, _ := pgx.Connect(ctx, "postgres://")
	table := "items"
	conn.Exec(ctx, "DELETE FROM "+table)
}
