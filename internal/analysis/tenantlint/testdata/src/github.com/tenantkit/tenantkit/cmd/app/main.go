// Command app: main may start from context.Background, but not open a
// connection of its own.
package main

import (
	"context"

	"github.com/jackc/pgx/v5"
)

func main() {
	ctx := context.Background()
	pgx.Connect(ctx, "postgres://") // want `pool: pgx.Connect is the database connection API`
}
