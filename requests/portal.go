package requests

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// ClientRequest is a request as its client sees it: what the client asked
// and where it stands, nothing of the firm's internal handling.
type ClientRequest struct {
	ID          uuid.UUID
	Title       string
	Details     string
	Status      Status
	ServiceName string
	ServiceSlug string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func clientRequestOf(r Request) ClientRequest {
	return ClientRequest{ID: r.ID, Title: r.Title, Details: r.Details, Status: r.Status, ServiceName: r.ServiceName,
		ServiceSlug: r.ServiceSlug, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

// ClientComment is a client-visible comment as the client sees it.
type ClientComment struct {
	ID         uuid.UUID
	AuthorName string
	// Mine is true for the client's own comments.
	Mine      bool
	Body      string
	CreatedAt time.Time
}

// ClientEvent is a status change as the client sees it: no actor, no note.
type ClientEvent struct {
	ID        uuid.UUID
	From      *Status
	To        Status
	CreatedAt time.Time
}

// ClientInput is a request a client makes for itself. ServiceSlug, when
// given, names an active service of the tenant.
type ClientInput struct {
	Title       string
	Details     string
	ServiceSlug string
}

// ClientCancellable are the statuses from which a client may cancel its
// request: before the work is planned. Later a booking may exist, whose
// cancellation rules the firm applies.
var ClientCancellable = []Status{StatusSubmitted, StatusInReview, StatusApproved}

// client returns the member the portal acts for: the scope's.
func client(ctx context.Context) (uuid.UUID, error) {
	s, err := tenant.Require(ctx, tenant.RoleClient)
	if err != nil {
		return uuid.Nil, err
	}
	if s.MemberID == uuid.Nil {
		return uuid.Nil, tenant.Errorf(tenant.CodeInternal, "portal call without a member")
	}
	return s.MemberID, nil
}

// FindMyRequestByID returns one of the scope member's own requests.
// CodeNotFound if it is missing, another client's or another tenant's.
func (s *Service) FindMyRequestByID(ctx context.Context, id uuid.UUID) (_ ClientRequest, err error) {
	defer errs.Wrap(&err, "requests: find my request %s", id)
	me, err := client(ctx)
	if err != nil {
		return ClientRequest{}, err
	}
	var out Request
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) (err error) {
		out, err = load(ctx, tx, id, &me)
		return err
	})
	return clientRequestOf(out), err
}

// FindMyRequests returns a page of the scope member's own requests, newest
// first, optionally with one status.
func (s *Service) FindMyRequests(ctx context.Context, status *Status, p Page) (_ []ClientRequest, _ *Key, err error) {
	defer errs.Wrap(&err, "requests: find my requests")
	me, err := client(ctx)
	if err != nil {
		return nil, nil, err
	}
	rs, next, err := s.findRequests(ctx, store.ListServiceRequestsParams{Status: (*string)(status), ClientMemberID: &me}, p)
	out := make([]ClientRequest, 0, len(rs))
	for _, r := range rs {
		out = append(out, clientRequestOf(r))
	}
	return out, next, err
}

// activeService returns the id of the tenant's active service slug, nil
// for no slug, or a CodeInvalid error naming field.
func activeService(ctx context.Context, tx *store.Tx, slug, field string) (*uuid.UUID, error) {
	if slug == "" {
		return nil, nil
	}
	svc, err := tx.GetActiveServiceBySlug(ctx, store.GetActiveServiceBySlugParams{TenantID: tx.TenantID(), Slug: slug})
	if store.IsNotFound(err) {
		return nil, &tenant.Error{Code: tenant.CodeInvalid, Message: "no such service", Fields: map[string]string{field: "not a service on offer"}}
	}
	if err != nil {
		return nil, err
	}
	return &svc.ID, nil
}

// CreateMyRequest files a request of the scope member for itself.
func (s *Service) CreateMyRequest(ctx context.Context, in ClientInput) (_ ClientRequest, err error) {
	defer errs.Wrap(&err, "requests: create my request")
	me, err := client(ctx)
	if err != nil {
		return ClientRequest{}, err
	}
	in.Title = strings.TrimSpace(in.Title)
	if err := validateRequest(in.Title, in.Details, PriorityNormal); err != nil {
		return ClientRequest{}, err
	}
	var out Request
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		svc, err := activeService(ctx, tx, in.ServiceSlug, "body.service_slug")
		if err != nil {
			return err
		}
		id, err := s.insert(ctx, tx, store.CreateServiceRequestParams{
			ClientMemberID: me, ServiceID: svc, Title: in.Title, Details: in.Details, Priority: string(PriorityNormal),
			Source: string(SourcePortal), CreatedByMemberID: &me,
		}, "")
		if err != nil {
			return err
		}
		if err := notifyStaff(ctx, tx, id, uuid.Nil); err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) (err error) {
			out, err = load(ctx, tx, id, nil)
			return err
		})
	})
	return clientRequestOf(out), err
}

// CancelMyRequest cancels one of the scope member's own requests, if its
// status is one of [ClientCancellable] (CodeConflict otherwise).
func (s *Service) CancelMyRequest(ctx context.Context, id uuid.UUID, note string) (_ ClientRequest, err error) {
	defer errs.Wrap(&err, "requests: cancel my request %s", id)
	me, err := client(ctx)
	if err != nil {
		return ClientRequest{}, err
	}
	if err := validateTransition(StatusCancelled, note); err != nil {
		return ClientRequest{}, err
	}
	var out Request
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		// Two round trips, as a move by staff.
		err := s.move(ctx, tx, id, &me, StatusCancelled, note, func(cur store.ServiceRequest) error {
			if !slices.Contains(ClientCancellable, Status(cur.Status)) {
				return &tenant.Error{Code: tenant.CodeConflict, Message: "this request can no longer be cancelled here: please contact the organization"}
			}
			return nil
		})
		if err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) (err error) {
			out, err = load(ctx, tx, id, &me)
			return err
		})
	})
	return clientRequestOf(out), err
}

// FindMyComments returns a page of the client-visible comments of one of
// the scope member's own requests, oldest first.
func (s *Service) FindMyComments(ctx context.Context, id uuid.UUID, p Page) (_ []ClientComment, _ *Key, err error) {
	defer errs.Wrap(&err, "requests: find my comments %s", id)
	me, err := client(ctx)
	if err != nil {
		return nil, nil, err
	}
	cs, next, err := s.comments(ctx, id, &me, p)
	out := make([]ClientComment, 0, len(cs))
	for _, c := range cs {
		out = append(out, clientCommentOf(c, me))
	}
	return out, next, err
}

func clientCommentOf(c Comment, me uuid.UUID) ClientComment {
	return ClientComment{ID: c.ID, AuthorName: c.AuthorName, Mine: c.AuthorMemberID == me, Body: c.Body, CreatedAt: c.CreatedAt}
}

// AddMyComment adds a comment of the scope member to one of its own
// requests; the comment is client-visible.
func (s *Service) AddMyComment(ctx context.Context, id uuid.UUID, body string) (_ ClientComment, err error) {
	defer errs.Wrap(&err, "requests: add my comment %s", id)
	me, err := client(ctx)
	if err != nil {
		return ClientComment{}, err
	}
	if err := validateComment(body, VisibilityClient); err != nil {
		return ClientComment{}, err
	}
	var out Comment
	err = s.store.InTenant(ctx, func(tx *store.Tx) (err error) {
		if out, err = s.addComment(ctx, tx, id, &me, body, VisibilityClient); err != nil {
			return err
		}
		return notifyStaff(ctx, tx, id, out.ID)
	})
	return clientCommentOf(out, me), err
}

// FindMyEvents returns a page of the status history of one of the scope
// member's own requests, oldest first, without actors or notes.
func (s *Service) FindMyEvents(ctx context.Context, id uuid.UUID, p Page) (_ []ClientEvent, _ *Key, err error) {
	defer errs.Wrap(&err, "requests: find my events %s", id)
	me, err := client(ctx)
	if err != nil {
		return nil, nil, err
	}
	es, next, err := s.events(ctx, id, &me, p)
	out := make([]ClientEvent, 0, len(es))
	for _, e := range es {
		out = append(out, ClientEvent{ID: e.ID, From: e.From, To: e.To, CreatedAt: e.CreatedAt})
	}
	return out, next, err
}
