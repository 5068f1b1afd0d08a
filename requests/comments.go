package requests

import (
	"context"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/jobs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Visibility says who reads a comment.
type Visibility string

// The visibilities.
const (
	// VisibilityClient comments are read by the request's client and staff.
	VisibilityClient Visibility = "client"
	// VisibilityInternal comments are read by staff only.
	VisibilityInternal Visibility = "internal"
)

// Comment is a comment on a request as staff see it.
type Comment struct {
	ID             uuid.UUID
	AuthorMemberID uuid.UUID
	AuthorName     string
	Body           string
	Visibility     Visibility
	CreatedAt      time.Time
}

func commentOf(r store.ListServiceRequestCommentsRow) Comment {
	c := r.ServiceRequestComment
	return Comment{ID: c.ID, AuthorMemberID: c.AuthorMemberID, AuthorName: r.AuthorName, Body: c.Body,
		Visibility: Visibility(c.Visibility), CreatedAt: c.CreatedAt}
}

func commentKey(c Comment) Key { return Key{CreatedAt: c.CreatedAt, ID: c.ID} }

var errCommentNotFound = tenant.NotFound("comment")

func validateComment(body string, v Visibility) error {
	f := fields{}
	if strings.TrimSpace(body) == "" {
		f["body.body"] = "1 to 10000 characters"
	} else {
		f.text("body.body", body, 1, 10000)
	}
	if v != VisibilityClient && v != VisibilityInternal {
		f["body.visibility"] = "client or internal"
	}
	return f.err("invalid comment")
}

// FindComments returns a page of a request's comments, client-visible and
// internal, oldest first.
func (s *Service) FindComments(ctx context.Context, id uuid.UUID, p Page) (_ []Comment, _ *Key, err error) {
	defer errs.Wrap(&err, "requests: find comments %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return nil, nil, err
	}
	return s.comments(ctx, id, nil, p)
}

// FindComment returns comment commentID of request id (CodeNotFound if
// either is missing or another tenant's). Staff and above.
func (s *Service) FindComment(ctx context.Context, id, commentID uuid.UUID) (_ Comment, err error) {
	defer errs.Wrap(&err, "requests: find comment %s of %s", commentID, id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Comment{}, err
	}
	var c Comment
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		row, err := tx.GetServiceRequestComment(ctx, store.GetServiceRequestCommentParams{TenantID: tx.TenantID(), ServiceRequestID: id, ID: commentID})
		if store.IsNotFound(err) {
			return tenant.NotFound("comment")
		}
		c = commentOf(store.ListServiceRequestCommentsRow(row))
		return err
	})
	return c, err
}

// comments reads a page of request id's comments; with client, only if it
// is that client's request, and only the client-visible comments.
func (s *Service) comments(ctx context.Context, id uuid.UUID, client *uuid.UUID, p Page) ([]Comment, *Key, error) {
	q := store.ListServiceRequestCommentsParams{ServiceRequestID: id, ClientOnly: client != nil}
	q.HasAfter, q.AfterCreatedAt, q.AfterID = after(p)
	return readPage(ctx, s.store, p, func(tx *store.Tx) error {
		_, err := load(ctx, tx, id, client)
		return err
	}, func(tx *store.Tx, n int32) ([]store.ListServiceRequestCommentsRow, error) {
		q.TenantID, q.PageSize = tx.TenantID(), n
		return tx.ListServiceRequestComments(ctx, q)
	}, commentOf, commentKey)
}

// addComment stores a comment by the scope's member on request id (with
// client, only if it is that client's request).
func (s *Service) addComment(ctx context.Context, tx *store.Tx, id uuid.UUID, client *uuid.UUID, body string, v Visibility) (Comment, error) {
	author := tx.Scope().MemberID
	if author == uuid.Nil {
		return Comment{}, tenant.Errorf(tenant.CodeInternal, "a comment needs a member as author")
	}
	// One round trip: the lock, the comment and its author's name
	// together (a request that is not found rolls the comment back); the
	// audit row goes with COMMIT.
	var (
		c store.ServiceRequestComment
		m store.Member
	)
	err := tx.Together(ctx,
		func(tx *store.Tx) error {
			_, err := lock(ctx, tx, id, client)
			return err
		},
		func(tx *store.Tx) (err error) {
			c, err = tx.CreateServiceRequestComment(ctx, store.CreateServiceRequestCommentParams{
				TenantID: tx.TenantID(), ServiceRequestID: id, AuthorMemberID: author, Body: body, Visibility: string(v), CreatedAt: s.now(),
			})
			return err
		},
		func(tx *store.Tx) (err error) {
			m, err = tx.GetMember(ctx, store.GetMemberParams{TenantID: tx.TenantID(), ID: author})
			return err
		},
	)
	if err != nil {
		return Comment{}, err
	}
	if err := audit(ctx, tx, "service_request.commented", id, map[string]any{"comment_id": c.ID, "visibility": v}); err != nil {
		return Comment{}, err
	}
	return Comment{ID: c.ID, AuthorMemberID: author, AuthorName: m.DisplayName, Body: c.Body, Visibility: v, CreatedAt: c.CreatedAt}, nil
}

// notifyStaff queues the mail to staff about a client's new request (or,
// with comment, a client's comment on it), in the transaction that files
// it: it goes only if the transaction commits. The job decides, when it
// runs, whether the tenant's settings want it.
func notifyStaff(ctx context.Context, tx *store.Tx, requestID, comment uuid.UUID) error {
	return tx.InsertJob(ctx, jobs.RequestStaffMail{Tenant: jobs.For(tx.Scope()), RequestID: requestID, CommentID: comment})
}

// AddComment adds a comment by the scope's member to a request, for the
// client to read (VisibilityClient) or for staff only.
func (s *Service) AddComment(ctx context.Context, id uuid.UUID, body string, v Visibility) (_ Comment, err error) {
	defer errs.Wrap(&err, "requests: add comment %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Comment{}, err
	}
	if err := validateComment(body, v); err != nil {
		return Comment{}, err
	}
	var out Comment
	err = s.store.InTenant(ctx, func(tx *store.Tx) (err error) {
		out, err = s.addComment(ctx, tx, id, nil, body, v)
		return err
	})
	return out, err
}

// DeleteComment deletes a comment of a request. It needs an admin: it
// rewrites the conversation of a client's request.
func (s *Service) DeleteComment(ctx context.Context, id, commentID uuid.UUID) (err error) {
	defer errs.Wrap(&err, "requests: delete comment %s", id)
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return err
	}
	return s.store.InTenant(ctx, func(tx *store.Tx) error {
		if _, err := lock(ctx, tx, id, nil); err != nil {
			return err
		}
		n, err := tx.DeleteServiceRequestComment(ctx, store.DeleteServiceRequestCommentParams{TenantID: tx.TenantID(), ServiceRequestID: id, ID: commentID})
		if err != nil {
			return err
		}
		if n == 0 {
			return errCommentNotFound
		}
		return audit(ctx, tx, "service_request.comment_deleted", id, map[string]any{"comment_id": commentID})
	})
}
