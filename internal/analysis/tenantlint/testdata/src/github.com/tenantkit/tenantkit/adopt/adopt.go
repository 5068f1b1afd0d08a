// Package adopt may connect and build DDL.
package adopt

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

func AddColumn(ctx context.Context, conn *pgx.Conn, table, column string) error {
	_, err := conn.Exec(ctx, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s uuid", table, column))
	return err
}
