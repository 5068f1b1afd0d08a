package tenants

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Support access: an operator grants themself read access to one tenant,
// with a reason, for a while. The grant is a row of platform_grants with
// purpose 'support' (migration 00013): the platform role's policies open
// the tenant's rows for reading while the row is live, by the database's
// clock, so it ends by itself. Every read under it is recorded in the
// platform audit log and the tenant's, in the read's transaction; the
// tenant's owners see the grants, their reasons and their reads, and end
// them (SupportAccess).

// The length of a support grant.
const (
	// DefaultSupportAccess is how long a support grant lasts unless the
	// operator asks for another length.
	DefaultSupportAccess = 30 * time.Minute
	// MaxSupportAccess is the longest support grant.
	MaxSupportAccess = 4 * time.Hour
)

// The rows one support read returns.
const (
	DefaultSupportRows = 100
	MaxSupportRows     = 1000
)

// SupportGrant is one operator's support access to a tenant.
type SupportGrant struct {
	ID        uuid.UUID
	TenantID  uuid.UUID
	Actor     string
	Reason    string
	CreatedAt time.Time
	ExpiresAt time.Time
	EndedAt   *time.Time
	EndedBy   string
	// Live: neither ended nor expired, by the database's clock.
	Live bool
	// Reads are the reads made under it, newest first, where listed.
	Reads []SupportRead
}

// SupportRead is one read made under a support grant.
type SupportRead struct {
	At    time.Time `json:"at"`
	Table string    `json:"table"`
	Rows  int64     `json:"rows"`
}

func grantOf(g store.PlatformGrant, live bool) SupportGrant {
	out := SupportGrant{ID: g.ID, Actor: g.Actor, Reason: g.Reason, CreatedAt: g.CreatedAt, ExpiresAt: g.ExpiresAt, EndedAt: g.EndedAt, Live: live}
	if g.TargetTenantID != nil {
		out.TenantID = *g.TargetTenantID
	}
	if g.EndedBy != nil {
		out.EndedBy = *g.EndedBy
	}
	return out
}

// GrantSupport opens the rows of the tenant with slug to the operator for
// reading, for d (DefaultSupportAccess when zero; at most
// MaxSupportAccess). The grant and its reason go to the platform audit log
// and the tenant's, where its owners read them.
func (a *Admin) GrantSupport(ctx context.Context, op Operator, slug string, d time.Duration) (g SupportGrant, err error) {
	defer errs.Wrap(&err, "tenants: grant support on %q", slug)
	if err := op.check(); err != nil {
		return g, err
	}
	if d == 0 {
		d = DefaultSupportAccess
	}
	if d < time.Minute || d > MaxSupportAccess {
		return g, &tenant.Error{Code: tenant.CodeInvalid, Message: "support access lasts from 1 minute to " + MaxSupportAccess.String(),
			Fields: map[string]string{"for": "1m to " + MaxSupportAccess.String()}}
	}
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Action: "tenant.support_grant", Reason: op.Reason,
		Detail: map[string]any{"slug": slug, "minutes": int(d / time.Minute)}},
		func(tx *store.PlatformTx) error {
			row, err := tx.FindTenantBySlug(ctx, slug)
			if store.IsNotFound(err) {
				return tenant.NotFound("organization")
			}
			if err != nil {
				return err
			}
			t := Of(row)
			pg, err := tx.CreateGrant(ctx, store.PlatformCreateGrantParams{TargetTenantID: &t.ID, Purpose: "support", Actor: op.Actor,
				Reason: op.Reason, Minutes: int32(d / time.Minute)})
			if err != nil {
				return err
			}
			g = grantOf(pg, true)
			return supportAudit(ctx, tx, t.ID, "platform.support_granted", g, map[string]any{"expires_at": g.ExpiresAt})
		})
	return g, err
}

// EndSupport ends every live support grant on the tenant with slug, and
// returns them.
func (a *Admin) EndSupport(ctx context.Context, op Operator, slug string) (ended []SupportGrant, err error) {
	defer errs.Wrap(&err, "tenants: end support on %q", slug)
	if err := op.check(); err != nil {
		return nil, err
	}
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Action: "tenant.support_end", Reason: op.Reason, Detail: map[string]any{"slug": slug}},
		func(tx *store.PlatformTx) error {
			row, err := tx.FindTenantBySlug(ctx, slug)
			if store.IsNotFound(err) {
				return tenant.NotFound("organization")
			}
			if err != nil {
				return err
			}
			rows, err := tx.EndSupportGrants(ctx, store.PlatformEndSupportGrantsParams{Actor: &op.Actor, TargetTenantID: &row.ID})
			if err != nil {
				return err
			}
			for _, r := range rows {
				g := grantOf(r, false)
				ended = append(ended, g)
				if err := supportAudit(ctx, tx, row.ID, "platform.support_ended", g, map[string]any{"ended_by": op.Actor}); err != nil {
					return err
				}
			}
			return nil
		})
	return ended, err
}

// SupportTable is a tenant-owned table and how many rows the tenant has
// in it.
type SupportTable struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

// SupportReadResult is what one support read returned.
type SupportReadResult struct {
	Grant SupportGrant
	// Tables lists every tenant-owned table with the tenant's count, when
	// no table was named.
	Tables []SupportTable
	// Table and Rows: the rows read from the table named, each a JSON
	// object, with the values of secret-bearing columns (hashes, tokens)
	// replaced.
	Table string
	Rows  []json.RawMessage
}

// SupportReadOptions say what a support read reads.
type SupportReadOptions struct {
	// Table is a tenant-owned table; empty lists the tables and counts.
	Table string
	// Limit defaults to DefaultSupportRows; at most MaxSupportRows.
	Limit  int
	Offset int
}

// ErrNoSupportAccess refuses a read without a live support grant of the
// operator on the tenant.
var ErrNoSupportAccess = &tenant.Error{Code: tenant.CodeForbidden,
	Message: "no live support access to this organization: grant it first (tenantkit tenant support SLUG --reason …)"}

// SupportRead reads the tenant with slug under the operator's live support
// grant (ErrNoSupportAccess without one): the tables and the tenant's
// counts, or the rows of one table. The read is recorded in the platform
// audit log and the tenant's, in its own transaction, with the grant and
// how many rows it returned. Row security, not this method, keeps the
// platform role to the granted tenant's rows while the grant lives.
func (a *Admin) SupportRead(ctx context.Context, op Operator, slug string, opts SupportReadOptions) (res SupportReadResult, err error) {
	defer errs.Wrap(&err, "tenants: support read of %q", slug)
	if err := op.check(); err != nil {
		return res, err
	}
	if opts.Limit == 0 {
		opts.Limit = DefaultSupportRows
	}
	if opts.Limit < 1 || opts.Limit > MaxSupportRows || opts.Offset < 0 {
		return res, &tenant.Error{Code: tenant.CodeInvalid, Message: "limit is 1 to 1000 rows, offset at least 0",
			Fields: map[string]string{"limit": "1 to 1000"}}
	}
	err = a.store.InPlatform(ctx, store.PlatformOp{Actor: op.Actor, Action: "tenant.support_read", Reason: op.Reason,
		Detail: map[string]any{"slug": slug, "table": opts.Table, "limit": opts.Limit, "offset": opts.Offset}},
		func(tx *store.PlatformTx) error {
			row, err := tx.FindTenantBySlug(ctx, slug)
			if store.IsNotFound(err) {
				return tenant.NotFound("organization")
			}
			if err != nil {
				return err
			}
			pg, err := tx.LiveSupportGrant(ctx, store.PlatformLiveSupportGrantParams{TargetTenantID: &row.ID, Actor: op.Actor})
			if store.IsNotFound(err) {
				return ErrNoSupportAccess
			}
			if err != nil {
				return err
			}
			res.Grant = grantOf(pg, true)
			var n int64
			if opts.Table == "" {
				tables, err := tx.TenantTables(ctx)
				if err != nil {
					return err
				}
				slices.SortFunc(tables, func(x, y store.TenantTable) int { return compare(x.Name(), y.Name()) })
				for _, t := range tables {
					c, err := tx.CountTenantRows(ctx, t, row.ID, pg.ID)
					if err != nil {
						return err
					}
					res.Tables = append(res.Tables, SupportTable{Table: t.Name(), Rows: c})
				}
				n = int64(len(res.Tables))
			} else {
				t, err := tx.TenantTable(ctx, opts.Table)
				if err != nil {
					return err
				}
				rows, err := tx.TenantRows(ctx, t, row.ID, pg.ID, opts.Limit, opts.Offset)
				if err != nil {
					return err
				}
				res.Table = t.Name()
				for _, r := range rows {
					res.Rows = append(res.Rows, redact(r))
				}
				n = int64(len(rows))
			}
			table := res.Table
			if table == "" {
				table = "(tables)"
			}
			return supportAudit(ctx, tx, row.ID, "platform.support_read", res.Grant, map[string]any{"table": table, "rows": n})
		})
	return res, err
}

// supportAudit records a support grant's event in the tenant's audit log,
// naming the operator and the grant's reason.
func supportAudit(ctx context.Context, tx *store.PlatformTx, tenantID uuid.UUID, action string, g SupportGrant, extra map[string]any) error {
	detail := map[string]any{"grant_id": g.ID.String(), "actor": g.Actor, "reason": g.Reason}
	for k, v := range extra {
		detail[k] = v
	}
	b, err := json.Marshal(detail)
	if err != nil {
		return err
	}
	return tx.InsertTenantAuditEntry(ctx, store.PlatformInsertTenantAuditEntryParams{
		TenantID: tenantID, Action: action, TargetType: "support_grant", TargetID: &g.ID, RequestID: tenant.RequestIDFrom(ctx), Detail: b,
	})
}

// secretColumn tells the columns whose values a support read does not
// show: hashes of passwords and tokens, tokens themselves.
func secretColumn(name string) bool {
	for _, s := range []string{"hash", "token", "secret", "password"} {
		if strings.Contains(name, s) {
			return true
		}
	}
	return false
}

// redact replaces the values of secret columns in a row's JSON object.
func redact(row []byte) json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(row, &m); err != nil {
		return json.RawMessage(`{"error":"unreadable row"}`)
	}
	for k, v := range m {
		if secretColumn(k) && string(v) != "null" {
			m[k] = json.RawMessage(`"[redacted]"`)
		}
	}
	b, err := json.Marshal(m)
	if err != nil {
		return json.RawMessage(`{"error":"unreadable row"}`)
	}
	return b
}

// SupportAccess is a tenant's own view of the support access operators
// hold to it: its owners list the grants, their reasons and the reads
// made under them, and end a grant. The grants are platform rows, so it
// reads and ends them on the audited platform path, restricted to the
// scope's tenant and to support grants.
type SupportAccess struct {
	store *store.Store
}

// NewSupportAccess returns the owners' view of support access over st.
func NewSupportAccess(st *store.Store) *SupportAccess { return &SupportAccess{store: st} }

// supportListed is how many grants and reads an owner's list shows.
const supportListed = 50

func (s *SupportAccess) op(sc tenant.Scope, action, reason string) store.PlatformOp {
	return store.PlatformOp{Actor: "account:" + sc.AccountID.String(), Action: action, Reason: reason, TargetTenant: &sc.TenantID}
}

// List returns the organization's latest support grants, live or not,
// newest first, each with the reads made under it. Owners only
// (CodeForbidden).
func (s *SupportAccess) List(ctx context.Context) (out []SupportGrant, err error) {
	defer errs.Wrap(&err, "tenants: list support access")
	sc, err := tenant.Require(ctx, tenant.RoleOwner)
	if err != nil {
		return nil, err
	}
	err = s.store.InPlatform(ctx, s.op(sc, "support.owner_list", "an owner reviews the support access to their organization"),
		func(tx *store.PlatformTx) error {
			rows, err := tx.ListSupportGrants(ctx, store.PlatformListSupportGrantsParams{TargetTenantID: &sc.TenantID, MaxRows: supportListed})
			if err != nil {
				return err
			}
			reads, err := tx.ListSupportReads(ctx, store.PlatformListSupportReadsParams{TenantID: sc.TenantID, MaxRows: supportListed * 10})
			if err != nil {
				return err
			}
			byGrant := map[uuid.UUID][]SupportRead{}
			for _, r := range reads {
				var d struct {
					GrantID uuid.UUID `json:"grant_id"`
					Table   string    `json:"table"`
					Rows    int64     `json:"rows"`
				}
				if json.Unmarshal(r.Detail, &d) == nil {
					byGrant[d.GrantID] = append(byGrant[d.GrantID], SupportRead{At: r.At, Table: d.Table, Rows: d.Rows})
				}
			}
			for _, r := range rows {
				g := grantOf(store.PlatformGrant{ID: r.ID, TargetTenantID: r.TargetTenantID, Purpose: r.Purpose, Actor: r.Actor, Reason: r.Reason,
					CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, EndedAt: r.EndedAt, EndedBy: r.EndedBy}, r.Live)
				g.Reads = byGrant[g.ID]
				out = append(out, g)
			}
			return nil
		})
	return out, err
}

// End ends the organization's support grant id at once: the operator's
// reads are refused from then on. A grant already over is returned as it
// is; another organization's grant, or any other kind of grant, is not
// found. Owners only (CodeForbidden).
func (s *SupportAccess) End(ctx context.Context, id uuid.UUID) (g SupportGrant, err error) {
	defer errs.Wrap(&err, "tenants: end support access")
	sc, err := tenant.Require(ctx, tenant.RoleOwner)
	if err != nil {
		return g, err
	}
	err = s.store.InPlatform(ctx, s.op(sc, "support.owner_end", "an owner ends support access to their organization"),
		func(tx *store.PlatformTx) error {
			actor := "owner:" + sc.AccountID.String()
			rows, err := tx.EndSupportGrants(ctx, store.PlatformEndSupportGrantsParams{Actor: &actor, TargetTenantID: &sc.TenantID, ID: &id})
			if err != nil {
				return err
			}
			if len(rows) == 0 {
				r, err := tx.GetSupportGrant(ctx, store.PlatformGetSupportGrantParams{TargetTenantID: &sc.TenantID, ID: id})
				if store.IsNotFound(err) {
					return tenant.NotFound("support grant")
				}
				if err != nil {
					return err
				}
				g = grantOf(store.PlatformGrant{ID: r.ID, TargetTenantID: r.TargetTenantID, Purpose: r.Purpose, Actor: r.Actor, Reason: r.Reason,
					CreatedAt: r.CreatedAt, ExpiresAt: r.ExpiresAt, EndedAt: r.EndedAt, EndedBy: r.EndedBy}, r.Live)
				return nil
			}
			g = grantOf(rows[0], false)
			detail, err := json.Marshal(map[string]any{"grant_id": g.ID.String(), "actor": g.Actor, "reason": g.Reason, "ended_by": actor})
			if err != nil {
				return err
			}
			return tx.InsertTenantAuditEntry(ctx, store.PlatformInsertTenantAuditEntryParams{
				TenantID: sc.TenantID, ActorAccountID: nilIfZero(sc.AccountID), ActorMemberID: nilIfZero(sc.MemberID),
				Action: "support.ended_by_owner", TargetType: "support_grant", TargetID: &g.ID, RequestID: sc.RequestID, Detail: detail,
			})
		})
	return g, err
}

func nilIfZero(id uuid.UUID) *uuid.UUID {
	if id == uuid.Nil {
		return nil
	}
	return &id
}
