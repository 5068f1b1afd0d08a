package requests

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Event is one entry of a request's timeline: its submission (From nil) or
// a status change, with who made it and why.
type Event struct {
	ID            uuid.UUID
	From          *Status
	To            Status
	ActorMemberID *uuid.UUID
	ActorName     string
	Note          string
	CreatedAt     time.Time
}

func eventOf(r store.ListServiceRequestEventsRow) Event {
	e := r.ServiceRequestEvent
	return Event{ID: e.ID, From: (*Status)(e.FromStatus), To: Status(e.ToStatus), ActorMemberID: e.ActorMemberID,
		ActorName: deref(r.ActorName), Note: e.Note, CreatedAt: e.CreatedAt}
}

func eventKey(e Event) Key { return Key{CreatedAt: e.CreatedAt, ID: e.ID} }

// MaxNote bounds the note of a status change.
const MaxNote = 2000

// transitionError is a status change the workflow does not allow.
func transitionError(from, to Status) error {
	return &tenant.Error{Code: tenant.CodeConflict, Message: fmt.Sprintf("a request cannot move from %s to %s", from, to),
		Fields: map[string]string{"body.to": "not allowed from " + string(from)}}
}

// move moves request id (with client set, only if it is that client's;
// CodeNotFound otherwise) to status to, in the transaction's first round
// trip: the lock, the statuses that may move to to and the change go
// together, and a move refused here — by check, given the request as
// locked, or by the workflow — or by the database's trigger (which holds
// the same rule should this check ever be skipped) is rolled back. The
// event and the audit row go with COMMIT.
func (s *Service) move(ctx context.Context, tx *store.Tx, id uuid.UUID, client *uuid.UUID, to Status, note string, check func(store.ServiceRequest) error) error {
	var (
		cur    store.ServiceRequest
		froms  []string
		setErr error
	)
	err := tx.Together(ctx,
		func(tx *store.Tx) (err error) {
			cur, err = lock(ctx, tx, id, client)
			return err
		},
		func(tx *store.Tx) (err error) {
			froms, err = tx.ListServiceRequestTransitionsTo(ctx, string(to))
			return err
		},
		func(tx *store.Tx) error {
			_, setErr = tx.SetServiceRequestStatus(ctx, store.SetServiceRequestStatusParams{TenantID: tx.TenantID(), ID: id, Status: string(to)})
			return nil
		},
	)
	if err != nil {
		return err
	}
	if check != nil {
		if err := check(cur); err != nil {
			return err
		}
	}
	if !slices.Contains(froms, cur.Status) {
		return transitionError(Status(cur.Status), to)
	}
	if setErr != nil {
		return setErr
	}
	return s.recordTransition(ctx, tx, cur, to, note)
}

// recordTransition records the move of cur to status to: its event and
// audit row, both sent with COMMIT.
func (s *Service) recordTransition(ctx context.Context, tx *store.Tx, cur store.ServiceRequest, to Status, note string) error {
	if err := tx.Later().InsertServiceRequestEvent(ctx, store.InsertServiceRequestEventParams{
		TenantID: tx.TenantID(), ServiceRequestID: cur.ID, FromStatus: &cur.Status, ToStatus: string(to),
		ActorMemberID: memberOf(tx.Scope()), Note: note, CreatedAt: s.now(),
	}); err != nil {
		return err
	}
	return audit(ctx, tx, "service_request.status_changed", cur.ID, map[string]any{"from": Status(cur.Status), "to": to})
}

func validateTransition(to Status, note string) error {
	f := fields{}
	if !to.Valid() {
		f["body.to"] = "a status"
	}
	f.text("body.note", note, 0, MaxNote)
	return f.err("invalid status change")
}

// TransitionRequest moves a request to status to, if the workflow allows
// the move from its current status (CodeConflict otherwise), and records
// the change with the scope's member as actor and note.
func (s *Service) TransitionRequest(ctx context.Context, id uuid.UUID, to Status, note string) (_ Request, err error) {
	defer errs.Wrap(&err, "requests: transition request %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Request{}, err
	}
	if err := validateTransition(to, note); err != nil {
		return Request{}, err
	}
	var out Request
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		// Two round trips: the move, then what waits for COMMIT and the
		// request read back with it.
		if err := s.move(ctx, tx, id, nil, to, note, nil); err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) (err error) {
			out, err = load(ctx, tx, id, nil)
			return err
		})
	})
	return out, err
}

// NextStatuses returns the statuses a request may move to now, in workflow
// order; none once it is completed or cancelled.
func (s *Service) NextStatuses(ctx context.Context, id uuid.UUID) (_ []Status, err error) {
	defer errs.Wrap(&err, "requests: next statuses %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, err
	}
	var out []Status
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		r, err := load(ctx, tx, id, nil)
		if err != nil {
			return err
		}
		next, err := tx.ListServiceRequestTransitionsFrom(ctx, string(r.Status))
		for _, st := range Statuses {
			if slices.Contains(next, string(st)) {
				out = append(out, st)
			}
		}
		return err
	})
	return out, err
}

// FindEvents returns a page of a request's timeline, oldest first.
func (s *Service) FindEvents(ctx context.Context, id uuid.UUID, p Page) (_ []Event, _ *Key, err error) {
	defer errs.Wrap(&err, "requests: find events %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, nil, err
	}
	return s.events(ctx, id, nil, p)
}

// events reads a page of the timeline of request id, with client only if
// it is that client's request.
func (s *Service) events(ctx context.Context, id uuid.UUID, client *uuid.UUID, p Page) ([]Event, *Key, error) {
	q := store.ListServiceRequestEventsParams{ServiceRequestID: id}
	q.HasAfter, q.AfterCreatedAt, q.AfterID = after(p)
	return readPage(ctx, s.store, p, func(tx *store.Tx) error {
		_, err := load(ctx, tx, id, client)
		return err
	}, func(tx *store.Tx, n int32) ([]store.ListServiceRequestEventsRow, error) {
		q.TenantID, q.PageSize = tx.TenantID(), n
		return tx.ListServiceRequestEvents(ctx, q)
	}, eventOf, eventKey)
}
