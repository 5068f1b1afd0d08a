//go:build tenantkit_bench

package main

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/tenantkit/tenantkit/store/schema"
)

// The floor (variant c): the SQL the full stack sends for each request
// kind, each request in one pgx batch that also sets the tenant, as the
// app role under row security — and nothing else: no authentication, no
// binding, no middleware, no validation beyond what decoding needs. It
// answers on /floor/… and takes the tenant and account from the
// X-Tenant-ID and X-Account-ID headers. Bench only: it trusts its caller,
// so it is compiled only with -tags tenantkit_bench.

const (
	floorScope  = "SELECT set_config('" + schema.TenantSetting + "', $1, true), set_config('" + schema.AccountSetting + "', $2, true)"
	serviceCols = "tenant_id, id, slug, name, description, duration_minutes, price_minor, currency, active, requires_confirmation, archived_at, version, created_at, updated_at"
	floorGet    = "SELECT " + serviceCols + " FROM services WHERE tenant_id = $1 AND id = $2"
	floorList   = "SELECT " + serviceCols + " FROM services WHERE tenant_id = $1 AND archived_at IS NULL AND (NOT $2::bool OR (name, id) > ($3::text, $4::uuid)) ORDER BY name, id LIMIT $5"
	floorCreate = "WITH s AS (INSERT INTO services (tenant_id, slug, name, description, duration_minutes, price_minor, currency, active, requires_confirmation) " +
		"VALUES ($1, $2, $3, '', $4, $5, $6, true, false) RETURNING *), " +
		"v AS (INSERT INTO service_versions (tenant_id, service_id, version, snapshot) SELECT tenant_id, id, version, to_jsonb(s) FROM s) " +
		"SELECT " + serviceCols + " FROM s"
	floorPatch = "WITH s AS (UPDATE services SET price_minor = $3, version = version + 1, updated_at = now() WHERE tenant_id = $1 AND id = $2 RETURNING *), " +
		"v AS (INSERT INTO service_versions (tenant_id, service_id, version, snapshot) SELECT tenant_id, id, version, to_jsonb(s) FROM s) " +
		"SELECT " + serviceCols + " FROM s"
	floorAudit   = "INSERT INTO audit_log (tenant_id, actor_account_id, action, target_type, target_id, request_id, detail) VALUES ($1, $2, $3, $4, $5, '', '{}')"
	floorHandoff = "WITH m AS (SELECT id, account_id FROM members WHERE tenant_id = $1 AND account_id = $2 AND removed_at IS NULL) " +
		"INSERT INTO auth_handoffs (tenant_id, member_id, account_id, token_hash, created_at, expires_at) " +
		"SELECT $1, id, account_id, $3, now(), now() + interval '60 seconds' FROM m RETURNING id"
	floorRedeem = "WITH h AS (UPDATE auth_handoffs SET used_at = now() WHERE tenant_id = $1 AND token_hash = $2 AND used_at IS NULL AND expires_at > now() RETURNING member_id, account_id) " +
		"INSERT INTO sessions (tenant_id, member_id, account_id, created_at, last_used_at, expires_at) " +
		"SELECT $1, member_id, account_id, now(), now(), now() + interval '12 hours' FROM h RETURNING id"
)

type floorService struct {
	TenantID             uuid.UUID  `json:"tenant_id"`
	ID                   uuid.UUID  `json:"id"`
	Slug                 string     `json:"slug"`
	Name                 string     `json:"name"`
	Description          string     `json:"description"`
	DurationMinutes      int32      `json:"duration_minutes"`
	PriceMinor           int64      `json:"price_minor"`
	Currency             string     `json:"currency"`
	Active               bool       `json:"active"`
	RequiresConfirmation bool       `json:"requires_confirmation"`
	ArchivedAt           *time.Time `json:"archived_at,omitempty"`
	Version              int32      `json:"version"`
	CreatedAt            time.Time  `json:"created_at"`
	UpdatedAt            time.Time  `json:"updated_at"`
}

func scanService(row pgx.Row) (floorService, error) {
	var s floorService
	err := row.Scan(&s.TenantID, &s.ID, &s.Slug, &s.Name, &s.Description, &s.DurationMinutes, &s.PriceMinor, &s.Currency,
		&s.Active, &s.RequiresConfirmation, &s.ArchivedAt, &s.Version, &s.CreatedAt, &s.UpdatedAt)
	return s, err
}

// floor serves variant c over pool.
type floor struct{ pool *pgxpool.Pool }

func floorHandler(pool *pgxpool.Pool) (http.Handler, error) { return floor{pool}.handler(), nil }

func (f floor) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /floor/services", f.list)
	mux.HandleFunc("GET /floor/services/{id}", f.get)
	mux.HandleFunc("POST /floor/services", f.create)
	mux.HandleFunc("PATCH /floor/services/{id}", f.update)
	mux.HandleFunc("POST /floor/switch", f.switchTenant)
	return mux
}

// batch sends the scope and then each of qs in one round trip.
func (f floor) batch(ctx context.Context, tenantID, accountID string, qs ...*pgx.QueuedQuery) pgx.BatchResults {
	b := &pgx.Batch{}
	b.Queue(floorScope, tenantID, accountID)
	b.QueuedQueries = append(b.QueuedQueries, qs...)
	return f.pool.SendBatch(ctx, b)
}

func ids(r *http.Request) (string, string, uuid.UUID, error) {
	t, a := r.Header.Get("X-Tenant-ID"), r.Header.Get("X-Account-ID")
	tid, err := uuid.Parse(t)
	return t, a, tid, err
}

func (f floor) get(w http.ResponseWriter, r *http.Request) {
	t, a, tid, err := ids(r)
	id, err2 := uuid.Parse(r.PathValue("id"))
	if err != nil || err2 != nil {
		http.Error(w, "bad id", http.StatusBadRequest)
		return
	}
	br := f.batch(r.Context(), t, a, &pgx.QueuedQuery{SQL: floorGet, Arguments: []any{tid, id}})
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		fail(w, err)
		return
	}
	s, err := scanService(br.QueryRow())
	if err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, s)
}

func (f floor) list(w http.ResponseWriter, r *http.Request) {
	t, a, tid, err := ids(r)
	if err != nil {
		http.Error(w, "bad tenant", http.StatusBadRequest)
		return
	}
	q := r.URL.Query()
	afterName, afterID := q.Get("after_name"), uuid.Nil
	hasAfter := q.Get("after_id") != ""
	if hasAfter {
		if afterID, err = uuid.Parse(q.Get("after_id")); err != nil {
			http.Error(w, "bad cursor", http.StatusBadRequest)
			return
		}
	}
	br := f.batch(r.Context(), t, a, &pgx.QueuedQuery{SQL: floorList, Arguments: []any{tid, hasAfter, afterName, afterID, 21}})
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		fail(w, err)
		return
	}
	rows, err := br.Query()
	if err != nil {
		fail(w, err)
		return
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (floorService, error) { return scanService(row) })
	if err != nil {
		fail(w, err)
		return
	}
	out := struct {
		Items     []floorService `json:"items"`
		AfterName string         `json:"after_name,omitempty"`
		AfterID   string         `json:"after_id,omitempty"`
	}{Items: items}
	if len(items) > 20 {
		out.Items = items[:20]
		out.AfterName, out.AfterID = items[19].Name, items[19].ID.String()
	}
	writeJSON(w, out)
}

func (f floor) create(w http.ResponseWriter, r *http.Request) {
	t, a, tid, err := ids(r)
	var b floorBody
	if err == nil {
		err = json.NewDecoder(r.Body).Decode(&b)
	}
	if err != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	aid, _ := uuid.Parse(a)
	// The service and its version, then the audit entry: the audit names
	// no target id here, since the id is the database's (one batch).
	f.write(w, r, t, a, http.StatusCreated,
		&pgx.QueuedQuery{SQL: floorCreate, Arguments: []any{tid, b.Slug, b.Name, b.DurationMinutes, b.PriceMinor, b.Currency}},
		&pgx.QueuedQuery{SQL: floorAudit, Arguments: []any{tid, aid, "service.create", "service", nil}})
}

// write sends the scope, change (which returns the service) and audit in
// one batch and answers status with the service.
func (f floor) write(w http.ResponseWriter, r *http.Request, tenantID, accountID string, status int, change, audit *pgx.QueuedQuery) {
	br := f.batch(r.Context(), tenantID, accountID, change, audit)
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		fail(w, err)
		return
	}
	s, err := scanService(br.QueryRow())
	if err != nil {
		fail(w, err)
		return
	}
	if _, err := br.Exec(); err != nil {
		fail(w, err)
		return
	}
	if status != http.StatusOK {
		w.WriteHeader(status)
	}
	writeJSON(w, s)
}

func (f floor) update(w http.ResponseWriter, r *http.Request) {
	t, a, tid, err := ids(r)
	id, err2 := uuid.Parse(r.PathValue("id"))
	var b floorBody
	if err == nil && err2 == nil {
		err = json.NewDecoder(r.Body).Decode(&b)
	}
	if err != nil || err2 != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	aid, _ := uuid.Parse(a)
	f.write(w, r, t, a, http.StatusOK,
		&pgx.QueuedQuery{SQL: floorPatch, Arguments: []any{tid, id, b.PriceMinor}},
		&pgx.QueuedQuery{SQL: floorAudit, Arguments: []any{tid, aid, "service.update", "service", id}})
}

// switchTenant is the floor of a switch and its redemption: a handoff
// into the target tenant for the account's membership there (one batch),
// then its use and a new session (a second batch, as the redemption is a
// second request in the full stack).
func (f floor) switchTenant(w http.ResponseWriter, r *http.Request) {
	t, a, tid, err := ids(r)
	aid, err2 := uuid.Parse(a)
	if err != nil || err2 != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var tok [32]byte
	_, _ = rand.Read(tok[:])
	hash := sha256.Sum256(tok[:])
	var handoff uuid.UUID
	br := f.batch(r.Context(), t, a,
		&pgx.QueuedQuery{SQL: floorHandoff, Arguments: []any{tid, aid, hash[:]}},
		&pgx.QueuedQuery{SQL: floorAudit, Arguments: []any{tid, aid, "auth.switch_requested", "handoff", nil}})
	_, err = br.Exec()
	if err == nil {
		err = br.QueryRow().Scan(&handoff)
	}
	if err == nil {
		_, err = br.Exec()
	}
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fail(w, err)
		return
	}
	var session uuid.UUID
	br = f.batch(r.Context(), t, a, &pgx.QueuedQuery{SQL: floorRedeem, Arguments: []any{tid, hash[:]}})
	defer br.Close()
	if _, err := br.Exec(); err != nil {
		fail(w, err)
		return
	}
	if err := br.QueryRow().Scan(&session); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, map[string]string{"session": session.String()})
}

func fail(w http.ResponseWriter, err error) {
	if errors.Is(err, pgx.ErrNoRows) {
		http.Error(w, "not found", http.StatusNotFound)
		return
	}
	http.Error(w, err.Error(), http.StatusInternalServerError)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
