package requests

import (
	"context"
	"encoding/json"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/internal/ratelimit"
	"github.com/tenantkit/tenantkit/mailer"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Status is the state of a request in the workflow.
type Status string

// The statuses, in workflow order.
const (
	StatusSubmitted  Status = "submitted"
	StatusInReview   Status = "in_review"
	StatusApproved   Status = "approved"
	StatusScheduled  Status = "scheduled"
	StatusInProgress Status = "in_progress"
	StatusCompleted  Status = "completed"
	StatusCancelled  Status = "cancelled"
)

// Statuses lists every status in workflow order.
var Statuses = []Status{StatusSubmitted, StatusInReview, StatusApproved, StatusScheduled, StatusInProgress, StatusCompleted, StatusCancelled}

// Valid reports whether s is one of the statuses.
func (s Status) Valid() bool { return slices.Contains(Statuses, s) }

// Priority is how urgent the firm judges a request.
type Priority string

// The priorities.
const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Valid reports whether p is one of the priorities.
func (p Priority) Valid() bool {
	return p == PriorityLow || p == PriorityNormal || p == PriorityHigh || p == PriorityUrgent
}

// Source is where a request was made.
type Source string

// The sources.
const (
	SourcePortal Source = "portal" // by the client, signed in
	SourceStaff  Source = "staff"  // by staff, for a client
	SourcePublic Source = "public" // on the public form, unauthenticated
)

// Request is a service request as staff see it.
type Request struct {
	ID                uuid.UUID
	ClientMemberID    uuid.UUID
	ClientName        string
	ServiceID         *uuid.UUID
	ServiceName       string
	ServiceSlug       string
	Title             string
	Details           string
	Status            Status
	Priority          Priority
	DueOn             *time.Time // a date: midnight UTC
	AssignedMemberID  *uuid.UUID
	AssignedName      string
	Source            Source
	CreatedByMemberID *uuid.UUID
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func requestOf(r store.GetServiceRequestRow) Request {
	q := r.ServiceRequest
	return Request{
		ID: q.ID, ClientMemberID: q.ClientMemberID, ClientName: r.ClientName, ServiceID: q.ServiceID,
		ServiceName: deref(r.ServiceName), ServiceSlug: deref(r.ServiceSlug), Title: q.Title, Details: q.Details,
		Status: Status(q.Status), Priority: Priority(q.Priority), DueOn: q.DueOn, AssignedMemberID: q.AssignedMemberID,
		AssignedName: deref(r.AssignedName), Source: Source(q.Source), CreatedByMemberID: q.CreatedByMemberID,
		CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt,
	}
}

// Key is the position of an item in a list ordered by creation: requests
// (newest first), events and comments (oldest first).
type Key struct {
	CreatedAt time.Time `json:"c"`
	ID        uuid.UUID `json:"i"`
}

// Page selects a page of a list of requests, events or comments.
type Page = keyset.Page[Key]

// after returns the keyset position of p for the list queries.
func after(p Page) (bool, time.Time, uuid.UUID) {
	if p.After == nil {
		return false, time.Time{}, uuid.Nil
	}
	return true, p.After.CreatedAt, p.After.ID
}

// RequestFilter selects requests for staff. Nil fields do not filter.
type RequestFilter struct {
	Status           *Status
	ClientMemberID   *uuid.UUID
	AssignedMemberID *uuid.UUID
	// Unassigned keeps only requests nobody is assigned to.
	Unassigned bool
	ServiceID  *uuid.UUID
	Priority   *Priority
	// DueBefore and DueAfter are dates, both strict bounds.
	DueBefore, DueAfter *time.Time
	// CreatedAfter is inclusive, CreatedBefore exclusive.
	CreatedAfter, CreatedBefore *time.Time
	// Query matches titles and client names containing it,
	// case-insensitively.
	Query *string
	Page
}

// RequestInput is a new request made by staff for a client.
type RequestInput struct {
	ClientMemberID   uuid.UUID
	ServiceID        *uuid.UUID
	Title            string
	Details          string
	Priority         Priority // defaults to normal
	DueOn            *time.Time
	AssignedMemberID *uuid.UUID
}

// RequestUpdate changes a request; nil fields stay as they are. ClearDueOn
// and ClearService unset the due date and the service.
type RequestUpdate struct {
	Title        *string
	Details      *string
	Priority     *Priority
	DueOn        *time.Time
	ClearDueOn   bool
	ServiceID    *uuid.UUID
	ClearService bool
}

// Config configures the Service.
type Config struct {
	// PublicPerAddress limits the public form per tenant and client
	// address. Defaults to 5 submissions at once, then one every 2 minutes.
	PublicPerAddress Rate
	// PublicPerEmail limits the public form per tenant and email address.
	// Defaults to 3 at once, then one every 10 minutes.
	PublicPerEmail Rate
	// PublicPerTenant limits the public form of one tenant as a whole.
	// Defaults to 60 at once, then one every 10 seconds.
	PublicPerTenant Rate
	// MaxKeys bounds the keys each limiter keeps. Defaults to 100000.
	MaxKeys int
	// Now is the clock requests, events and comments are stamped with and
	// analytics count "today" by. Required.
	Now func() time.Time
	// Mailer sends the public form's confirmation links; give it a queue
	// (mailer.Queue), so the form answers without waiting on mail.
	// Required.
	Mailer mailer.Sender
	// Link returns the public address of path on the tenant with slug,
	// built from configuration, never from a request. Required.
	Link func(slug, path string) string
	// Logger logs what cannot be answered to the caller (a mail that could
	// not be queued). Defaults to slog.Default().
	Logger *slog.Logger
}

// Rate allows Burst events at once and one more every Every.
type Rate struct {
	Burst int
	Every time.Duration
}

func (r Rate) or(def Rate) Rate {
	if r.Burst <= 0 || r.Every <= 0 {
		return def
	}
	return r
}

// Service manages service requests.
type Service struct {
	store     *store.Store
	now       func() time.Time
	mailer    mailer.Sender
	link      func(slug, path string) string
	logger    *slog.Logger
	byAddress *ratelimit.Limiter
	byEmail   *ratelimit.Limiter
	byTenant  *ratelimit.Limiter
}

// New returns a Service over st.
func New(st *store.Store, cfg Config) *Service {
	if cfg.Now == nil || cfg.Mailer == nil || cfg.Link == nil {
		panic("requests: Config.Now, Mailer and Link are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.MaxKeys <= 0 {
		cfg.MaxKeys = 100_000
	}
	limiter := func(r Rate) *ratelimit.Limiter { return ratelimit.New(r.Every, r.Burst, cfg.MaxKeys) }
	return &Service{
		store:     st,
		now:       cfg.Now,
		mailer:    cfg.Mailer,
		link:      cfg.Link,
		logger:    cfg.Logger,
		byAddress: limiter(cfg.PublicPerAddress.or(Rate{Burst: 5, Every: 2 * time.Minute})),
		byEmail:   limiter(cfg.PublicPerEmail.or(Rate{Burst: 3, Every: 10 * time.Minute})),
		byTenant:  limiter(cfg.PublicPerTenant.or(Rate{Burst: 60, Every: 10 * time.Second})),
	}
}

var (
	errNotFound        = tenant.NotFound("service request")
	errClientNotFound  = tenant.NotFound("client")
	errServiceNotFound = tenant.NotFound("service")
	errMemberNotFound  = tenant.NotFound("member")
)

func memberOf(s tenant.Scope) *uuid.UUID {
	if s.MemberID == uuid.Nil {
		return nil
	}
	id := s.MemberID
	return &id
}

func audit(ctx context.Context, tx *store.Tx, action string, id uuid.UUID, detail map[string]any) error {
	var b []byte
	if detail != nil {
		b, _ = json.Marshal(detail)
	}
	return tx.Audit(ctx, action, "service_request", &id, b)
}

// fields collects what is wrong with an input, by field.
type fields map[string]string

func (f fields) err(msg string) error {
	if len(f) == 0 {
		return nil
	}
	return &tenant.Error{Code: tenant.CodeInvalid, Message: msg, Fields: f}
}

func (f fields) text(name, v string, min, max int) {
	if n := utf8.RuneCountInString(v); n < min || n > max {
		if min == 0 {
			f[name] = "at most " + strconv.Itoa(max) + " characters"
		} else {
			f[name] = strconv.Itoa(min) + " to " + strconv.Itoa(max) + " characters"
		}
	}
}

// request checks the fields every request has.
func (f fields) request(title, details string, priority Priority) {
	f.text("body.title", title, 1, 200)
	f.text("body.details", details, 0, 20000)
	if !priority.Valid() {
		f["body.priority"] = "one of low, normal, high, urgent"
	}
}

func validateRequest(title, details string, priority Priority) error {
	f := fields{}
	f.request(title, details, priority)
	return f.err("invalid service request")
}

// FindRequestByID returns one request. CodeNotFound if it is missing or
// another tenant's.
func (s *Service) FindRequestByID(ctx context.Context, id uuid.UUID) (_ Request, err error) {
	defer errs.Wrap(&err, "requests: find request %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Request{}, err
	}
	var out Request
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) (err error) {
		out, err = load(ctx, tx, id, nil)
		return err
	})
	return out, err
}

// load reads request id; with client (the portal), only if it is that
// client's. CodeNotFound otherwise.
func load(ctx context.Context, tx *store.Tx, id uuid.UUID, client *uuid.UUID) (Request, error) {
	r, err := tx.GetServiceRequest(ctx, store.GetServiceRequestParams{TenantID: tx.TenantID(), ID: id, ClientMemberID: client})
	if store.IsNotFound(err) {
		return Request{}, errNotFound
	}
	return requestOf(r), err
}

// FindRequests returns a page of requests, newest first, and the key after
// which the next page starts (nil on the last page).
func (s *Service) FindRequests(ctx context.Context, f RequestFilter) (_ []Request, _ *Key, err error) {
	defer errs.Wrap(&err, "requests: find requests")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, nil, err
	}
	return s.findRequests(ctx, store.ListServiceRequestsParams{
		Status: (*string)(f.Status), ClientMemberID: f.ClientMemberID, AssignedMemberID: f.AssignedMemberID,
		Unassigned: f.Unassigned, ServiceID: f.ServiceID, Priority: (*string)(f.Priority), DueBefore: f.DueBefore,
		DueAfter: f.DueAfter, CreatedAfter: f.CreatedAfter, CreatedBefore: f.CreatedBefore, TitleLike: contains(f.Query),
	}, f.Page)
}

// contains is the search pattern of q; nil for no search.
func contains(q *string) *string {
	if q == nil || strings.TrimSpace(*q) == "" {
		return nil
	}
	p := store.Contains(strings.TrimSpace(*q))
	return &p
}

func (s *Service) findRequests(ctx context.Context, q store.ListServiceRequestsParams, p Page) ([]Request, *Key, error) {
	q.HasAfter, q.AfterCreatedAt, q.AfterID = after(p)
	return readPage(ctx, s.store, p, nil, func(tx *store.Tx, n int32) ([]store.ListServiceRequestsRow, error) {
		q.TenantID, q.PageSize = tx.TenantID(), n
		return tx.ListServiceRequests(ctx, q)
	}, func(r store.ListServiceRequestsRow) Request { return requestOf(store.GetServiceRequestRow(r)) },
		func(r Request) Key { return Key{CreatedAt: r.CreatedAt, ID: r.ID} })
}

// readPage reads one page of a list: list fetches up to n rows (one more
// than the page, to tell whether another follows) after check, when given,
// proves the caller may read the list.
func readPage[R, T any](ctx context.Context, st *store.Store, p Page, check func(*store.Tx) error,
	list func(tx *store.Tx, n int32) ([]R, error), conv func(R) T, key func(T) Key) ([]T, *Key, error) {
	var out []T
	err := st.ReadTenant(ctx, func(tx *store.Tx) error {
		if check != nil {
			if err := check(tx); err != nil {
				return err
			}
		}
		rows, err := list(tx, p.Fetch())
		for _, r := range rows {
			out = append(out, conv(r))
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	items, next := keyset.Cut(out, p, key)
	return items, next, nil
}

// liveMember returns a live member of the tenant, or notFound.
func liveMember(ctx context.Context, tx *store.Tx, id uuid.UUID, notFound error) (store.Member, error) {
	m, err := tx.GetLiveMember(ctx, store.GetLiveMemberParams{TenantID: tx.TenantID(), ID: id})
	if store.IsNotFound(err) {
		return m, notFound
	}
	return m, err
}

// checkService fails with CodeNotFound unless id is a service of the tenant.
func checkService(ctx context.Context, tx *store.Tx, id *uuid.UUID) error {
	if id == nil {
		return nil
	}
	_, err := tx.GetService(ctx, store.GetServiceParams{TenantID: tx.TenantID(), ID: *id})
	if store.IsNotFound(err) {
		return errServiceNotFound
	}
	return err
}

// checkStaff fails unless id is a live member with role staff or above.
func checkStaff(ctx context.Context, tx *store.Tx, id uuid.UUID) error {
	m, err := liveMember(ctx, tx, id, errMemberNotFound)
	if err != nil {
		return err
	}
	if !tenant.Role(m.Role).AtLeast(tenant.RoleStaff) {
		return &tenant.Error{Code: tenant.CodeInvalid, Message: "requests are assigned to staff",
			Fields: map[string]string{"body.member_id": "a member with role staff, admin or owner"}}
	}
	return nil
}

// create stores a new request with its submission event and audit row and
// returns it as read back.
func (s *Service) create(ctx context.Context, tx *store.Tx, p store.CreateServiceRequestParams, note string) (Request, error) {
	id, err := s.insert(ctx, tx, p, note)
	if err != nil {
		return Request{}, err
	}
	return load(ctx, tx, id, nil)
}

// insert stores a new request and returns its id; its submission event
// and audit row go with COMMIT.
func (s *Service) insert(ctx context.Context, tx *store.Tx, p store.CreateServiceRequestParams, note string) (uuid.UUID, error) {
	p.TenantID, p.CreatedAt = tx.TenantID(), s.now()
	r, err := tx.CreateServiceRequest(ctx, p)
	if err != nil {
		return uuid.Nil, err
	}
	if err := tx.Later().InsertServiceRequestEvent(ctx, store.InsertServiceRequestEventParams{
		TenantID: tx.TenantID(), ServiceRequestID: r.ID, ToStatus: string(StatusSubmitted), ActorMemberID: p.CreatedByMemberID, Note: note,
		CreatedAt: s.now(),
	}); err != nil {
		return uuid.Nil, err
	}
	if err := audit(ctx, tx, "service_request.created", r.ID, map[string]any{"source": p.Source}); err != nil {
		return uuid.Nil, err
	}
	return r.ID, nil
}

// CreateRequest files a request for a client of the tenant, made by staff.
// The client must be a live member with role client; the service and the
// assignee, when given, must be the tenant's (CodeNotFound otherwise).
func (s *Service) CreateRequest(ctx context.Context, in RequestInput) (_ Request, err error) {
	defer errs.Wrap(&err, "requests: create request")
	scope, err := tenant.Require(ctx, tenant.RoleStaff)
	if err != nil {
		return Request{}, err
	}
	in.Title = strings.TrimSpace(in.Title)
	if in.Priority == "" {
		in.Priority = PriorityNormal
	}
	if err := validateRequest(in.Title, in.Details, in.Priority); err != nil {
		return Request{}, err
	}
	var out Request
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		// Two round trips: the checks and the insert together (a failed
		// check rolls the insert back; another tenant's member or service
		// fails the insert too, and the check's answer is the one
		// returned), then the events, the audit row and the request read
		// back with COMMIT.
		var id uuid.UUID
		err := tx.Together(ctx,
			func(tx *store.Tx) error {
				client, err := liveMember(ctx, tx, in.ClientMemberID, errClientNotFound)
				if err == nil && client.Role != string(tenant.RoleClient) {
					err = errClientNotFound
				}
				return err
			},
			func(tx *store.Tx) error { return checkService(ctx, tx, in.ServiceID) },
			func(tx *store.Tx) error {
				if in.AssignedMemberID == nil {
					return nil
				}
				return checkStaff(ctx, tx, *in.AssignedMemberID)
			},
			func(tx *store.Tx) (err error) {
				id, err = s.insert(ctx, tx, store.CreateServiceRequestParams{
					ClientMemberID: in.ClientMemberID, ServiceID: in.ServiceID, Title: in.Title, Details: in.Details,
					Priority: string(in.Priority), DueOn: in.DueOn, Source: string(SourceStaff),
					CreatedByMemberID: memberOf(scope), AssignedMemberID: in.AssignedMemberID,
				}, "")
				return err
			},
		)
		if err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) (err error) {
			out, err = load(ctx, tx, id, nil)
			return err
		})
	})
	return out, err
}

// lock reads request id for update, with client only if it is that
// client's. CodeNotFound otherwise.
func lock(ctx context.Context, tx *store.Tx, id uuid.UUID, client *uuid.UUID) (store.ServiceRequest, error) {
	r, err := tx.GetServiceRequestForUpdate(ctx, store.GetServiceRequestForUpdateParams{TenantID: tx.TenantID(), ID: id, ClientMemberID: client})
	if store.IsNotFound(err) {
		return r, errNotFound
	}
	return r, err
}

// UpdateRequest changes a request's title, details, priority, due date or
// service.
func (s *Service) UpdateRequest(ctx context.Context, id uuid.UUID, u RequestUpdate) (_ Request, err error) {
	defer errs.Wrap(&err, "requests: update request %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Request{}, err
	}
	if (u.ClearDueOn && u.DueOn != nil) || (u.ClearService && u.ServiceID != nil) {
		return Request{}, &tenant.Error{Code: tenant.CodeInvalid, Message: "a field is both set and cleared",
			Fields: map[string]string{"body.clear": "names a field the body also sets"}}
	}
	// The fields given are checked here (the others are valid as
	// stored) and merged by the statement: two round trips, the lock, the
	// service check and the change together, then the audit row and the
	// request read back with COMMIT.
	title, details, priority := "unchanged", "", PriorityNormal
	p := store.PatchServiceRequestParams{ID: id, SetDueOn: u.DueOn != nil || u.ClearDueOn, DueOn: u.DueOn,
		SetServiceID: u.ServiceID != nil || u.ClearService, ServiceID: u.ServiceID}
	if u.Title != nil {
		title = strings.TrimSpace(*u.Title)
		p.Title = &title
	}
	if u.Details != nil {
		details = *u.Details
		p.Details = &details
	}
	if u.Priority != nil {
		priority = *u.Priority
		p.Priority = (*string)(&priority)
	}
	if err := validateRequest(title, details, priority); err != nil {
		return Request{}, err
	}
	var out Request
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		p.TenantID = tx.TenantID()
		err := tx.Together(ctx,
			func(tx *store.Tx) error {
				_, err := lock(ctx, tx, id, nil)
				return err
			},
			func(tx *store.Tx) error {
				if u.ServiceID == nil {
					return nil
				}
				return checkService(ctx, tx, u.ServiceID)
			},
			func(tx *store.Tx) error {
				_, err := tx.PatchServiceRequest(ctx, p)
				return err
			},
		)
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, "service_request.updated", id, nil); err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) (err error) {
			out, err = load(ctx, tx, id, nil)
			return err
		})
	})
	return out, err
}

// AssignRequest assigns a request to a live member with role staff or
// above; UnassignRequest (memberID nil) leaves it unassigned.
func (s *Service) AssignRequest(ctx context.Context, id uuid.UUID, memberID *uuid.UUID) (_ Request, err error) {
	defer errs.Wrap(&err, "requests: assign request %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Request{}, err
	}
	action, detail := "service_request.unassigned", map[string]any{}
	if memberID != nil {
		action, detail = "service_request.assigned", map[string]any{"member_id": *memberID}
	}
	var out Request
	err = s.store.InTenant(ctx, func(tx *store.Tx) error {
		// Two round trips: the lock, the check and the change together
		// (a failed check rolls the change back), then the audit row and
		// the request read back with COMMIT.
		err := tx.Together(ctx,
			func(tx *store.Tx) error {
				_, err := lock(ctx, tx, id, nil)
				return err
			},
			func(tx *store.Tx) error {
				if memberID == nil {
					return nil
				}
				return checkStaff(ctx, tx, *memberID)
			},
			func(tx *store.Tx) error {
				_, err := tx.SetServiceRequestAssignee(ctx, store.SetServiceRequestAssigneeParams{
					TenantID: tx.TenantID(), ID: id, AssignedMemberID: memberID,
				})
				return err
			},
		)
		if err != nil {
			return err
		}
		if err := audit(ctx, tx, action, id, detail); err != nil {
			return err
		}
		return tx.Finally(ctx, func(tx *store.Tx) (err error) {
			out, err = load(ctx, tx, id, nil)
			return err
		})
	})
	return out, err
}

// UnassignRequest leaves a request unassigned.
func (s *Service) UnassignRequest(ctx context.Context, id uuid.UUID) (_ Request, err error) {
	defer errs.Wrap(&err, "requests: unassign request %s", id)
	return s.AssignRequest(ctx, id, nil)
}

// DeleteRequest deletes a request with its events, comments and tasks. It
// needs an admin: it erases a client's record and its history. A request
// that bookings or expenses still reference cannot be deleted
// (CodeConflict): cancel it instead.
func (s *Service) DeleteRequest(ctx context.Context, id uuid.UUID) (err error) {
	defer errs.Wrap(&err, "requests: delete request %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		n, err := tx.DeleteServiceRequest(ctx, store.DeleteServiceRequestParams{TenantID: tx.TenantID(), ID: id})
		if err != nil {
			// A delete refused by a foreign key: rows still point at it.
			if e, ok := store.Translate(err).(*tenant.Error); ok && e.Code == tenant.CodeNotFound && e.Constraint != "" {
				return &tenant.Error{Code: tenant.CodeConflict, Message: "bookings or expenses refer to this request: cancel it instead", Err: err}
			}
			return err
		}
		if n == 0 {
			return errNotFound
		}
		return audit(ctx, tx, "service_request.deleted", id, nil)
	})
}
