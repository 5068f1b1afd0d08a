package adopt

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// table is a table of the adopted schema as the catalog describes it.
type table struct {
	oid         uint32
	schema      string
	name        string
	columns     map[string]column
	pk          []string // primary key columns, in order
	pkName      string
	fks         []*foreignKey // foreign keys from this table
	uniques     []uniqueKey   // unique keys other than the primary key
	rowSecurity bool          // ENABLE ROW LEVEL SECURITY
	forced      bool          // FORCE ROW LEVEL SECURITY
}

func (t *table) ident() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }

// String names the table as a person reads it: quoted only where needed.
func (t *table) String() string { return displayName(t.name) }

type column struct {
	typ     string // format_type
	notNull bool
}

type foreignKey struct {
	name     string
	from, to *table
	cols     []string
	refCols  []string
	onDelete byte // pg_constraint.confdeltype
	onUpdate byte // pg_constraint.confupdtype
}

// mandatory reports whether every column of the key is NOT NULL: each row
// has a parent through it.
func (fk *foreignKey) mandatory() bool {
	for _, c := range fk.cols {
		if !fk.from.columns[c].notNull {
			return false
		}
	}
	return true
}

func (fk *foreignKey) String() string {
	return fmt.Sprintf("%s(%s) → %s", fk.from, displayList(fk.cols), fk.to)
}

type uniqueKey struct {
	name       string
	constraint bool     // a UNIQUE constraint (else a unique index)
	cols       []string // nil for an expression index
	predicate  string   // partial index WHERE, "" if none
}

// loadCatalog reads the tables of schema.
func loadCatalog(ctx context.Context, conn *pgx.Conn, schema string) (map[string]*table, error) {
	tables := map[string]*table{}
	byOID := map[uint32]*table{}
	rows, err := conn.Query(ctx, `
		SELECT c.oid, c.relname, c.relrowsecurity, c.relforcerowsecurity
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = $1 AND c.relkind = 'r' AND NOT c.relispartition`, schema)
	if err != nil {
		return nil, fmt.Errorf("adopt: list tables: %w", err)
	}
	for rows.Next() {
		t := &table{schema: schema, columns: map[string]column{}}
		if err := rows.Scan(&t.oid, &t.name, &t.rowSecurity, &t.forced); err != nil {
			return nil, fmt.Errorf("adopt: list tables: %w", err)
		}
		tables[t.name], byOID[t.oid] = t, t
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("adopt: list tables: %w", err)
	}
	oids := make([]uint32, 0, len(byOID))
	for oid := range byOID {
		oids = append(oids, oid)
	}

	rows, err = conn.Query(ctx, `
		SELECT attrelid, attname, format_type(atttypid, atttypmod), attnotnull
		FROM pg_attribute WHERE attrelid = ANY($1::oid[]) AND attnum > 0 AND NOT attisdropped`, oids)
	if err != nil {
		return nil, fmt.Errorf("adopt: list columns: %w", err)
	}
	var oid uint32
	var name string
	var col column
	_, err = pgx.ForEachRow(rows, []any{&oid, &name, &col.typ, &col.notNull}, func() error {
		byOID[oid].columns[name] = col
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("adopt: list columns: %w", err)
	}

	// Keys: the primary key, unique constraints and unique indexes.
	rows, err = conn.Query(ctx, `
		SELECT i.indrelid, ic.relname, i.indisprimary, con.oid IS NOT NULL,
		       CASE WHEN i.indexprs IS NULL THEN
		            ARRAY(SELECT a.attname::text FROM unnest(i.indkey::int2[]) WITH ORDINALITY k(n, o)
		                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.n ORDER BY k.o) END,
		       coalesce(pg_get_expr(i.indpred, i.indrelid), ''),
		       coalesce(con.conname, ic.relname)
		FROM pg_index i
		JOIN pg_class ic ON ic.oid = i.indexrelid
		LEFT JOIN pg_constraint con ON con.conindid = i.indexrelid AND con.contype IN ('p', 'u')
		WHERE i.indrelid = ANY($1::oid[]) AND i.indisunique`, oids)
	if err != nil {
		return nil, fmt.Errorf("adopt: list keys: %w", err)
	}
	var primary bool
	var u uniqueKey
	var conName string
	_, err = pgx.ForEachRow(rows, []any{&oid, &u.name, &primary, &u.constraint, &u.cols, &u.predicate, &conName}, func() error {
		t := byOID[oid]
		if primary {
			t.pk, t.pkName = u.cols, conName
			return nil
		}
		if u.constraint {
			u.name = conName
		}
		t.uniques = append(t.uniques, u)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("adopt: list keys: %w", err)
	}

	rows, err = conn.Query(ctx, `
		SELECT con.conname, con.conrelid, con.confrelid, con.confdeltype, con.confupdtype,
		       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(n, o)
		             JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.n ORDER BY k.o),
		       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(n, o)
		             JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.n ORDER BY k.o)
		FROM pg_constraint con
		WHERE con.contype = 'f' AND con.conrelid = ANY($1::oid[]) AND con.confrelid = ANY($1::oid[])
		ORDER BY con.conname`, oids)
	if err != nil {
		return nil, fmt.Errorf("adopt: list foreign keys: %w", err)
	}
	var from, to uint32
	var fk foreignKey
	var del, upd string
	_, err = pgx.ForEachRow(rows, []any{&fk.name, &from, &to, &del, &upd, &fk.cols, &fk.refCols}, func() error {
		k := fk
		k.from, k.to, k.onDelete, k.onUpdate = byOID[from], byOID[to], del[0], upd[0]
		k.from.fks = append(k.from.fks, &k)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("adopt: list foreign keys: %w", err)
	}
	return tables, nil
}
