// Package idempotency makes creating requests safe to retry. A request with
// an Idempotency-Key claims the key for its (tenant, account, operation);
// the transaction that does the work marks the claim committed before it
// commits; the response is recorded after it. A retry with the same key and
// payload gets the recorded response, with another payload 422, while the
// first is still in flight 409.
//
// The claim carries a lease: a holder that dies before committing leaves a
// claim that a retry takes over once the lease ends. A holder that dies
// after committing but before recording its response leaves a committed
// claim, which a retry reports as a conflict rather than doing the work
// twice.
package idempotency

import (
	"bytes"
	"context"
	"encoding/json"
	"time"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Lease is how long a claim waits for its work to commit before a retry may
// take it over.
const Lease = 30 * time.Second

// Retention is how long a key is remembered: a retry with the same key
// after that is a new request.
const Retention = 24 * time.Hour

// MaxKeyLength bounds an Idempotency-Key.
const MaxKeyLength = 255

// Keys claims, completes and releases idempotency keys.
type Keys struct {
	store *store.Store
	now   func() time.Time
}

// New returns Keys over st, whose leases and expiry are judged by now.
func New(st *store.Store, now func() time.Time) *Keys {
	if now == nil {
		panic("idempotency: a clock is required")
	}
	return &Keys{store: st, now: now}
}

// Claim is a key this request holds.
type Claim struct {
	row store.IdempotencyKey
}

// Replay is the recorded response of an earlier request with the same key
// and payload.
type Replay struct {
	Status   int
	Response json.RawMessage
}

var (
	errInFlight   = &tenant.Error{Code: tenant.CodeConflict, Message: "a request with this Idempotency-Key is still in progress; retry later", RetryAfter: time.Second}
	errMismatch   = &tenant.Error{Code: tenant.CodeInvalid, Message: "this Idempotency-Key was used with a different request", Fields: map[string]string{"header.Idempotency-Key": "reused with another payload"}}
	errCommitted  = &tenant.Error{Code: tenant.CodeConflict, Message: "the request with this Idempotency-Key completed, but its response was not recorded; fetch the result instead"}
	errBadKey     = &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid Idempotency-Key", Fields: map[string]string{"header.Idempotency-Key": "1 to 255 visible ASCII characters"}}
	errClaimTaken = &tenant.Error{Code: tenant.CodeConflict, Message: "the Idempotency-Key was taken over by another request"}
)

func validKey(k string) bool {
	if len(k) == 0 || len(k) > MaxKeyLength {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// Claim claims key for operation in the scope of ctx, for a request whose
// payload hashes to hash (32 bytes). It returns the claim, or the replay of
// an earlier identical request, or an error: in flight (conflict), another
// payload (invalid), completed without a recorded response (conflict).
func (k *Keys) Claim(ctx context.Context, operation, key string, hash []byte) (_ *Claim, _ *Replay, err error) {
	defer errs.Wrap(&err, "idempotency: claim")
	if !validKey(key) {
		return nil, nil, errBadKey
	}
	s := tenant.MustScope(ctx)
	var claim *Claim
	var replay *Replay
	now := k.now()
	err = k.store.InTenant(ctx, func(tx *store.Tx) error {
		row, err := tx.ClaimIdempotencyKey(ctx, store.ClaimIdempotencyKeyParams{
			TenantID: s.TenantID, AccountID: s.AccountID, Operation: operation, Key: key, RequestHash: hash,
			Now: now, LeaseSeconds: int32(Lease / time.Second), ExpiresAt: now.Add(Retention),
		})
		if err == nil {
			claim = &Claim{row: row}
			return nil
		}
		if !store.IsNotFound(err) {
			return err
		}
		row, err = tx.GetIdempotencyKey(ctx, store.GetIdempotencyKeyParams{TenantID: s.TenantID, AccountID: s.AccountID, Operation: operation, Key: key})
		if err != nil {
			return err
		}
		expired := now.After(row.ExpiresAt)
		if !expired && !bytes.Equal(row.RequestHash, hash) {
			return errMismatch
		}
		switch {
		case row.State == "completed" && !expired:
			replay = &Replay{Status: int(*row.ResponseStatus), Response: row.Response}
			return nil
		case row.State == "committed" && !expired:
			return errCommitted
		}
		taken, err := tx.TakeOverIdempotencyKey(ctx, store.TakeOverIdempotencyKeyParams{
			TenantID: s.TenantID, ID: row.ID, RequestHash: hash, Now: now, LeaseSeconds: int32(Lease / time.Second),
		})
		if store.IsNotFound(err) {
			return errInFlight
		}
		if err != nil {
			return err
		}
		claim = &Claim{row: taken}
		return nil
	})
	return claim, replay, err
}

// Guard returns ctx carrying the commit hook that marks c committed inside
// the transaction doing the work, and a func reporting whether it did.
func (k *Keys) Guard(ctx context.Context, c *Claim) (context.Context, func() bool) {
	ctx, hook := store.WithCommitHook(ctx, func(ctx context.Context, tx *store.Tx) error {
		n, err := tx.MarkIdempotencyKeyCommitted(ctx, store.MarkIdempotencyKeyCommittedParams{TenantID: c.row.TenantID, ID: c.row.ID})
		if err == nil && n == 0 {
			return errClaimTaken
		}
		return err
	})
	return ctx, hook.Ran
}

// Complete records the response of the claim's request.
func (k *Keys) Complete(ctx context.Context, c *Claim, status int, response json.RawMessage) (err error) {
	defer errs.Wrap(&err, "idempotency: complete")
	return k.store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.CompleteIdempotencyKey(ctx, store.CompleteIdempotencyKeyParams{
			TenantID: c.row.TenantID, ID: c.row.ID, ResponseStatus: ptr(int32(status)), Response: response,
		})
	})
}

// Release gives up a claim whose work did not commit, so that a retry can
// run at once.
func (k *Keys) Release(ctx context.Context, c *Claim) (err error) {
	defer errs.Wrap(&err, "idempotency: release")
	return k.store.InTenant(ctx, func(tx *store.Tx) error {
		return tx.ReleaseIdempotencyKey(ctx, store.ReleaseIdempotencyKeyParams{TenantID: c.row.TenantID, ID: c.row.ID})
	})
}

func ptr[T any](v T) *T { return &v }
