package store

import (
	"context"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

// TenantTable is a table with a tenant_id column, as the catalog lists it:
// the only kind of table the lifecycle's generic queries take.
type TenantTable struct {
	name string
}

// Name returns the table's name (schema public).
func (t TenantTable) Name() string { return t.name }


// TenantTables returns every table with a tenant_id column, found from the
// catalog, in the order a tenant's rows are deleted: a table whose rows
// reference another's comes before it. Tables on a cycle of references, if
// any, come last, by name.
func (tx *PlatformTx) TenantTables(ctx context.Context) ([]TenantTable, error) {
	names, err := tx.TenantTableCatalog(ctx)
	if err != nil {
		return nil, err
	}
	refs, err := tx.TenantTableReferences(ctx)
	if err != nil {
		return nil, err
	}
	// referencedBy[p] counts the tables not yet ordered that reference p.
	referencedBy := map[string]int{}
	for _, r := range refs {
		referencedBy[r.Parent]++
	}
	var out []TenantTable
	done := map[string]bool{}
	for len(done) < len(names) {
		progress := false
		for _, n := range names {
			if done[n] || referencedBy[n] > 0 {
				continue
			}
			done[n], progress = true, true
			out = append(out, TenantTable{name: n})
			for _, r := range refs {
				if r.Child == n {
					referencedBy[r.Parent]--
				}
			}
		}
		if !progress {
			for _, n := range names {
				if !done[n] {
					done[n] = true
					out = append(out, TenantTable{name: n})
				}
			}
		}
	}
	return out, nil
}

// EachTenantRow calls fn with each row of tenantID in t, as JSON, ordered
// by that JSON text: two exports of the same rows are the same bytes. Row
// security decides what the platform role reads: the tenant's rows only
// under a live grant.
func (tx *PlatformTx) EachTenantRow(ctx context.Context, t TenantTable, tenantID uuid.UUID, fn func(row []byte) error) error {
	rows, err := tx.conn.Query(ctx, "SELECT row_to_json(r)::text FROM "+pgx.Identifier{"public", t.name}.Sanitize()+" r WHERE r.tenant_id = $1 ORDER BY row_to_json(r)::text", tenantID)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var row []byte
		if err := rows.Scan(&row); err != nil {
			return err
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

// CountByTenant returns how many rows of t each tenant has, of those row
// security lets the platform role read.
func (tx *PlatformTx) CountByTenant(ctx context.Context, t TenantTable) (map[uuid.UUID]int64, error) {
	rows, err := tx.conn.Query(ctx, "SELECT tenant_id, count(*) FROM "+pgx.Identifier{"public", t.name}.Sanitize()+" GROUP BY tenant_id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[uuid.UUID]int64{}
	for rows.Next() {
		var id uuid.UUID
		var n int64
		if err := rows.Scan(&id, &n); err != nil {
			return nil, err
		}
		out[id] = n
	}
	return out, rows.Err()
}

// DeleteTenantRows deletes at most limit rows of tenantID from t and
// returns how many it deleted. Row security lets the platform role delete
// only the rows of a tenant it holds a live 'delete' grant for.
func (tx *PlatformTx) DeleteTenantRows(ctx context.Context, t TenantTable, tenantID uuid.UUID, limit int) (int64, error) {
	tag, err := tx.conn.Exec(ctx, "DELETE FROM "+pgx.Identifier{"public", t.name}.Sanitize()+" WHERE tenant_id = $1 AND ctid IN (SELECT ctid FROM "+pgx.Identifier{"public", t.name}.Sanitize()+" WHERE tenant_id = $1 LIMIT $2)", tenantID, limit)
	return tag.RowsAffected(), err
}
