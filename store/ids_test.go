package store_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/tenantkit/tenantkit/internal/pgtest"
)

// Every table's id is a random UUID made by the database, never a number
// from a sequence: no counter shared by the tenants tells one how many
// rows the others write, and no id can be guessed from another (DB-22).
func TestIDsAreRandomUUIDs(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	admin := pgtest.Connect(t, f.DB.AdminURL)
	rows, err := admin.Query(ctx, `
		SELECT c.table_name, c.data_type, coalesce(c.column_default, '')
		FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
		WHERE c.table_schema = 'public' AND c.column_name = 'id' AND t.table_type = 'BASE TABLE'
		  AND c.table_name <> 'goose_db_version'`)
	if err != nil {
		t.Fatal(err)
	}
	type column struct{ table, kind, def string }
	cols, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (column, error) {
		var c column
		err := r.Scan(&c.table, &c.kind, &c.def)
		return c, err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) < 20 {
		t.Fatalf("only %d tables with an id column", len(cols))
	}
	for _, c := range cols {
		if c.kind != "uuid" || c.def != "gen_random_uuid()" {
			t.Errorf("%s.id is %s, default %q: want uuid DEFAULT gen_random_uuid()", c.table, c.kind, c.def)
		}
	}
	var sequences int
	if err := admin.QueryRow(ctx, "SELECT count(*) FROM pg_sequences WHERE schemaname = 'public' AND sequencename NOT LIKE 'goose_db_version%'").Scan(&sequences); err != nil {
		t.Fatal(err)
	}
	if sequences != 0 {
		t.Errorf("%d sequences in the schema", sequences)
	}
}
