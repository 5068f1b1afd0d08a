package tenants

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// The platform role reads and deletes a tenant's rows only under a grant
// (migration 00013). Export and deletion take theirs for at most
// lifecycleGrantMinutes and end them when done.
const lifecycleGrantMinutes = 240

// Progress reports long work: the table at hand, how many of its rows are
// done, and how many there are (0 when unknown).
type Progress func(table string, done, total int64)

func (p Progress) report(table string, done, total int64) {
	if p != nil {
		p(table, done, total)
	}
}

// TableManifest is one table of an export.
type TableManifest struct {
	Table string `json:"table"`
	File  string `json:"file"`
	Rows  int64  `json:"rows"`
	// SHA256 is the checksum of the file's bytes.
	SHA256 string `json:"sha256"`
}

// Manifest describes an export archive; it is its last file,
// manifest.json.
type Manifest struct {
	Tenant     TenantRecord    `json:"tenant"`
	ExportedAt time.Time       `json:"exported_at"`
	Tables     []TableManifest `json:"tables"`
}

// TenantRecord is the tenant's own row in an export or a report.
type TenantRecord struct {
	ID     uuid.UUID `json:"id"`
	Slug   string    `json:"slug"`
	Name   string    `json:"name"`
	Status string    `json:"status"`
}

func recordOf(t tenant.Tenant) TenantRecord {
	return TenantRecord{ID: t.ID, Slug: t.Slug, Name: t.Name, Status: string(t.Status)}
}

// grant opens the rows of the tenant with slug to the platform role for
// purpose (and, with verify, every tenant's for reading), in one audited
// transaction that also tells the tenant's audit log. check, when set,
// refuses a tenant in the wrong state before anything is granted.
func (a *Admin) grant(ctx context.Context, op Operator, action, slug, purpose string, verify bool, check func(tenant.Tenant) error) (t tenant.Tenant, grants []uuid.UUID, err error) {
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: action, Reason: op.Reason, Detail: map[string]any{"slug": slug, "purpose": purpose}},
		func(tx *store.PlatformTx) error {
			row, err := tx.FindTenantBySlug(ctx, slug)
			if store.IsNotFound(err) {
				return tenant.NotFound("organization")
			}
			if err != nil {
				return err
			}
			t = Of(row)
			if check != nil {
				if err := check(t); err != nil {
					return err
				}
			}
			g, err := tx.CreateGrant(ctx, store.PlatformCreateGrantParams{TargetTenantID: &t.ID, Purpose: purpose, Actor: op.Actor, Reason: op.Reason, Minutes: lifecycleGrantMinutes})
			if err != nil {
				return err
			}
			grants = append(grants, g.ID)
			if verify {
				v, err := tx.CreateGrant(ctx, store.PlatformCreateGrantParams{Purpose: "verify", Actor: op.Actor, Reason: op.Reason, Minutes: lifecycleGrantMinutes})
				if err != nil {
					return err
				}
				grants = append(grants, v.ID)
			}
			return tenantAudit(ctx, tx, t, "platform."+action, op)
		})
	return t, grants, err
}

// endGrants ends grants, in an audited transaction whose audit row carries
// detail. It runs even when ctx is cancelled: a grant must not outlive its
// work by more than it must.
func (a *Admin) endGrants(ctx context.Context, op Operator, action string, t tenant.Tenant, grants []uuid.UUID, detail map[string]any) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if detail == nil {
		detail = map[string]any{}
	}
	detail["tenant_id"], detail["slug"] = t.ID.String(), t.Slug
	return a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Action: action, Reason: op.Reason, Detail: detail},
		func(tx *store.PlatformTx) error {
			for _, id := range grants {
				if _, err := tx.EndGrant(ctx, store.PlatformEndGrantParams{ID: id, Actor: &op.Actor}); err != nil {
					return err
				}
			}
			return nil
		})
}

// Export writes every row of the tenant with slug to w, as a zip archive
// streamed table by table: one NDJSON file per tenant-owned table (found
// from the catalog), tenant.json, and last manifest.json with each file's
// rows and SHA-256. Every table is read in one snapshot. The platform
// role reads the rows under an 'export' grant that ends with the export;
// the export is recorded in the platform audit log and the tenant's.
func (a *Admin) Export(ctx context.Context, op Operator, slug string, w io.Writer, progress Progress) (m Manifest, err error) {
	defer errs.Wrap(&err, "tenants: export %q", slug)
	if err := op.check(); err != nil {
		return m, err
	}
	t, grants, err := a.grant(ctx, op, "tenant_export_granted", slug, "export", false, nil)
	if err != nil {
		return m, err
	}
	defer func() {
		detail := map[string]any{"tables": len(m.Tables), "ok": err == nil}
		if eerr := a.endGrants(ctx, op, "tenant.export_done", t, grants, detail); err == nil {
			err = eerr
		}
	}()
	m = Manifest{Tenant: recordOf(t), ExportedAt: a.now().UTC()}
	zw := zip.NewWriter(w)
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: "tenant.export", Reason: op.Reason, TargetTenant: &t.ID, Snapshot: true,
		Detail: map[string]any{"slug": slug}},
		func(tx *store.PlatformTx) error {
			tables, err := tx.TenantTables(ctx)
			if err != nil {
				return err
			}
			slices.SortFunc(tables, func(x, y store.TenantTable) int { return compare(x.Name(), y.Name()) })
			if err := writeJSONFile(zw, "tenant.json", m.Tenant); err != nil {
				return err
			}
			for _, table := range tables {
				f, err := zw.Create(table.Name() + ".ndjson")
				if err != nil {
					return err
				}
				h := sha256.New()
				out := io.MultiWriter(f, h)
				tm := TableManifest{Table: table.Name(), File: table.Name() + ".ndjson"}
				err = tx.EachTenantRow(ctx, table, t.ID, func(row []byte) error {
					tm.Rows++
					if tm.Rows%1000 == 0 {
						progress.report(table.Name(), tm.Rows, 0)
					}
					_, err := out.Write(append(row, '\n'))
					return err
				})
				if err != nil {
					return err
				}
				progress.report(table.Name(), tm.Rows, tm.Rows)
				tm.SHA256 = hex.EncodeToString(h.Sum(nil))
				m.Tables = append(m.Tables, tm)
			}
			return nil
		})
	if err != nil {
		return m, err
	}
	if err := writeJSONFile(zw, "manifest.json", m); err != nil {
		return m, err
	}
	return m, zw.Close()
}

func compare(x, y string) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

func writeJSONFile(zw *zip.Writer, name string, v any) error {
	f, err := zw.Create(name)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(f)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// DeleteOptions configure Delete.
type DeleteOptions struct {
	// DryRun counts the rows that would go and deletes nothing.
	DryRun bool
	// BatchSize is how many rows each transaction deletes. Defaults to 1000.
	BatchSize int
	Progress  Progress
}

// TableCount is one tenant-owned table in a deletion's report.
type TableCount struct {
	Table string `json:"table"`
	// Rows is how many rows the tenant had; Deleted how many the batches
	// deleted (the rest went with a cascade); Remaining how many the
	// verification found.
	Rows      int64 `json:"rows"`
	Deleted   int64 `json:"deleted"`
	Remaining int64 `json:"remaining"`
	// OthersBefore and OthersAfter count every other tenant's rows.
	OthersBefore int64 `json:"others_before"`
	OthersAfter  int64 `json:"others_after"`
}

// DeleteReport is what Delete did and found.
type DeleteReport struct {
	Tenant  TenantRecord `json:"tenant"`
	DryRun  bool         `json:"dry_run"`
	Tables  []TableCount `json:"tables"`
	Batches int          `json:"batches"`
	// Verified: the tenant row is gone and no tenant-owned table holds a
	// row of the tenant.
	Verified bool `json:"verified"`
	// OthersUnchanged: every other tenant holds as many rows in every
	// table as before. Other tenants' own work during the deletion changes
	// their counts too: ChangedTenants lists whose moved.
	OthersUnchanged bool        `json:"others_unchanged"`
	ChangedTenants  []uuid.UUID `json:"changed_tenants,omitempty"`
}

// ErrNotSuspended refuses to delete a tenant that is still served.
var ErrNotSuspended = &tenant.Error{Code: tenant.CodeConflict, Message: "only a suspended organization can be deleted: suspend it first"}

// Delete deletes the tenant with slug and everything it owns, and proves
// it. With DryRun it counts, per tenant-owned table, the rows that would
// go, and changes nothing. Otherwise the tenant must be suspended
// (ErrNotSuspended); then
//
//  1. one audited transaction takes a 'delete' grant on the tenant and a
//     'verify' grant, and counts every tenant's rows in every table with a
//     tenant_id column, found from the catalog;
//  2. batches of BatchSize rows are deleted, table after table (tables
//     whose rows reference another's first), each batch its own audited
//     transaction; row security lets them delete this tenant's rows only;
//  3. the tenant row goes;
//  4. the counts are taken again: the tenant must have no row left in
//     any table, and the other tenants' are compared with step 1;
//  5. the result is recorded in the platform audit log, with the end of
//     the grants.
//
// A verification that finds a row left is an error (CodeInternal), after
// the report is recorded.
func (a *Admin) Delete(ctx context.Context, op Operator, slug string, opts DeleteOptions) (rep DeleteReport, err error) {
	defer errs.Wrap(&err, "tenants: delete %q", slug)
	if err := op.check(); err != nil {
		return rep, err
	}
	if opts.BatchSize <= 0 {
		opts.BatchSize = 1000
	}
	rep.DryRun = opts.DryRun
	purpose, action, check := "delete", "tenant_delete_granted", func(t tenant.Tenant) error {
		if t.Active() {
			return ErrNotSuspended
		}
		return nil
	}
	if opts.DryRun {
		purpose, action, check = "delete_dry_run", "tenant_delete_dry_run", nil
	}
	t, grants, err := a.grant(ctx, op, action, slug, purpose, !opts.DryRun, check)
	if err != nil {
		return rep, err
	}
	rep.Tenant = recordOf(t)
	done := "tenant.delete_verified"
	if opts.DryRun {
		done = "tenant.delete_dry_run_done"
	}
	defer func() {
		detail := map[string]any{"dry_run": rep.DryRun, "verified": rep.Verified, "others_unchanged": rep.OthersUnchanged,
			"batches": rep.Batches, "tables": rep.Tables, "ok": err == nil}
		if eerr := a.endGrants(ctx, op, done, t, grants, detail); err == nil {
			err = eerr
		}
	}()

	before, tables, _, err := a.countAll(ctx, op, "tenant.delete_count", t)
	if err != nil {
		return rep, err
	}
	for _, table := range tables {
		tc := TableCount{Table: table.Name(), Rows: before[table.Name()][t.ID]}
		if !opts.DryRun {
			// A dry run's grant opens this tenant's rows only.
			tc.OthersBefore = others(before[table.Name()], t.ID)
		}
		rep.Tables = append(rep.Tables, tc)
	}
	if opts.DryRun {
		return rep, nil
	}
	for i, table := range tables {
		if table.Name() == "tenant_domains" || rep.Tables[i].Rows == 0 {
			continue // tenant_domains goes with the tenant row
		}
		for {
			var n int64
			err := a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: "tenant.delete_batch", Reason: op.Reason,
				Detail: map[string]any{"tenant_id": t.ID.String(), "table": table.Name()}},
				func(tx *store.PlatformTx) error {
					var err error
					n, err = tx.DeleteTenantRows(ctx, table, t.ID, opts.BatchSize)
					return err
				})
			if err != nil {
				return rep, err
			}
			rep.Batches++
			rep.Tables[i].Deleted += n
			opts.Progress.report(table.Name(), rep.Tables[i].Deleted, rep.Tables[i].Rows)
			if n < int64(opts.BatchSize) {
				break
			}
		}
	}
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: "tenant.delete_row", Reason: op.Reason,
		Detail: map[string]any{"tenant_id": t.ID.String(), "slug": t.Slug}},
		func(tx *store.PlatformTx) error {
			_, err := tx.DeleteTenant(ctx, t.ID)
			return err
		})
	if err != nil {
		return rep, err
	}
	a.dir.changed(t.ID)

	after, _, exists, err := a.countAll(ctx, op, "tenant.delete_verify", t)
	if err != nil {
		return rep, err
	}
	rep.Verified = !exists
	changed := map[uuid.UUID]bool{}
	for i := range rep.Tables {
		counts := after[rep.Tables[i].Table]
		rep.Tables[i].Remaining = counts[t.ID]
		rep.Tables[i].OthersAfter = others(counts, t.ID)
		if rep.Tables[i].Remaining != 0 {
			rep.Verified = false
		}
		for id, n := range before[rep.Tables[i].Table] {
			if id != t.ID && counts[id] != n {
				changed[id] = true
			}
		}
		for id := range counts {
			if _, ok := before[rep.Tables[i].Table][id]; !ok && id != t.ID {
				changed[id] = true
			}
		}
	}
	for id := range changed {
		rep.ChangedTenants = append(rep.ChangedTenants, id)
	}
	slices.SortFunc(rep.ChangedTenants, func(x, y uuid.UUID) int { return compare(x.String(), y.String()) })
	rep.OthersUnchanged = len(changed) == 0
	if !rep.Verified {
		return rep, tenant.Errorf(tenant.CodeInternal, "rows of the deleted tenant remain")
	}
	return rep, nil
}

// countAll counts, in one snapshot, every tenant's rows in every table
// with a tenant_id column, as far as the live grants open them, and
// reports whether the tenant row exists.
func (a *Admin) countAll(ctx context.Context, op Operator, action string, t tenant.Tenant) (map[string]map[uuid.UUID]int64, []store.TenantTable, bool, error) {
	counts := map[string]map[uuid.UUID]int64{}
	var tables []store.TenantTable
	var exists bool
	err := a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Operator: op.Account, Action: action, Reason: op.Reason, Snapshot: true,
		Detail: map[string]any{"tenant_id": t.ID.String()}},
		func(tx *store.PlatformTx) error {
			var err error
			if exists, err = tx.TenantExists(ctx, t.ID); err != nil {
				return err
			}
			if tables, err = tx.TenantTables(ctx); err != nil {
				return err
			}
			for _, table := range tables {
				if counts[table.Name()], err = tx.CountByTenant(ctx, table); err != nil {
					return err
				}
			}
			return nil
		})
	return counts, tables, exists, err
}

func others(counts map[uuid.UUID]int64, except uuid.UUID) int64 {
	var n int64
	for id, c := range counts {
		if id != except {
			n += c
		}
	}
	return n
}
