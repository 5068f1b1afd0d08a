package api

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/web/route"
)

// The portal's side of service requests (a client's own), and the public
// form.

// clientRequestView is a request as its client sees it in the portal.
type clientRequestView struct {
	ID          string    `json:"id" format:"uuid"`
	Title       string    `json:"title"`
	Details     string    `json:"details"`
	Status      string    `json:"status" enum:"submitted,in_review,approved,scheduled,in_progress,completed,cancelled"`
	ServiceSlug string    `json:"service_slug,omitempty"`
	ServiceName string    `json:"service_name,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

func clientRequestViewOf(r requests.ClientRequest) clientRequestView {
	return clientRequestView{ID: r.ID.String(), Title: r.Title, Details: r.Details, Status: string(r.Status),
		ServiceSlug: r.ServiceSlug, ServiceName: r.ServiceName, CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

type clientEventView struct {
	ID         string    `json:"id" format:"uuid"`
	FromStatus string    `json:"from_status,omitempty"`
	ToStatus   string    `json:"to_status"`
	CreatedAt  time.Time `json:"created_at"`
}

func clientEventViewOf(e requests.ClientEvent) clientEventView {
	return clientEventView{ID: e.ID.String(), FromStatus: statusString(e.From), ToStatus: string(e.To), CreatedAt: e.CreatedAt}
}

type clientCommentView struct {
	ID         string    `json:"id" format:"uuid"`
	AuthorName string    `json:"author_name"`
	Mine       bool      `json:"mine" doc:"True for your own comments."`
	Body       string    `json:"body"`
	CreatedAt  time.Time `json:"created_at"`
}

func clientCommentViewOf(c requests.ClientComment) clientCommentView {
	return clientCommentView{ID: c.ID.String(), AuthorName: c.AuthorName, Mine: c.Mine, Body: c.Body, CreatedAt: c.CreatedAt}
}

type clientRequestListInput struct {
	route.PageQuery
	Status string `query:"status" enum:"submitted,in_review,approved,scheduled,in_progress,completed,cancelled"`
}

type clientRequestListOutput struct {
	Body route.List[clientRequestView]
}

type clientRequestOutput struct {
	Body clientRequestView
}

type createClientRequestInput struct {
	route.IdempotencyKey
	Body struct {
		Title       string `json:"title" minLength:"1" maxLength:"200"`
		Details     string `json:"details,omitempty" maxLength:"20000"`
		ServiceSlug string `json:"service_slug,omitempty" maxLength:"80" doc:"One of the organization's services on offer (GET /api/public/services)."`
	}
}

type cancelInput struct {
	ID   string `path:"id" format:"uuid" doc:"The service request's id."`
	Body *struct {
		Note string `json:"note,omitempty" maxLength:"2000" doc:"Why, for the organization."`
	}
}

type clientEventListOutput struct {
	Body route.List[clientEventView]
}

type clientCommentListOutput struct {
	Body route.List[clientCommentView]
}

type createClientCommentInput struct {
	ID string `path:"id" format:"uuid" doc:"The service request's id."`
	route.IdempotencyKey
	Body struct {
		Body string `json:"body" minLength:"1" maxLength:"10000"`
	}
}

type clientCommentOutput struct {
	Body clientCommentView
}

type publicRequestInput struct {
	Body struct {
		Email       string `json:"email" minLength:"3" maxLength:"254"`
		Name        string `json:"name" minLength:"1" maxLength:"200"`
		Title       string `json:"title" minLength:"1" maxLength:"200"`
		Details     string `json:"details,omitempty" maxLength:"20000"`
		ServiceSlug string `json:"service_slug,omitempty" maxLength:"80" doc:"One of the organization's services (GET /api/public/services)."`
	}
}

func (s *API) handleListMyRequests(ctx context.Context, in *clientRequestListInput) (*clientRequestListOutput, error) {
	var status *requests.Status
	if in.Status != "" {
		st := requests.Status(in.Status)
		status = &st
	}
	list, err := route.Keyset(ctx, in.PageQuery, func(p requests.Page) ([]requests.ClientRequest, *requests.Key, error) {
		return s.requests.FindMyRequests(ctx, status, p)
	}, clientRequestViewOf)
	return &clientRequestListOutput{Body: list}, err
}

func (s *API) handleCreateMyRequest(ctx context.Context, in *createClientRequestInput) (*clientRequestOutput, error) {
	r, err := s.requests.CreateMyRequest(ctx, requests.ClientInput{Title: in.Body.Title, Details: in.Body.Details, ServiceSlug: in.Body.ServiceSlug})
	return &clientRequestOutput{Body: clientRequestViewOf(r)}, err
}

func (s *API) handleGetMyRequest(ctx context.Context, in *requestIDInput) (*clientRequestOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*clientRequestOutput, error) {
		r, err := s.requests.FindMyRequestByID(ctx, id)
		return &clientRequestOutput{Body: clientRequestViewOf(r)}, err
	})
}

func (s *API) handleCancelMyRequest(ctx context.Context, in *cancelInput) (*clientRequestOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*clientRequestOutput, error) {
		note := ""
		if in.Body != nil {
			note = in.Body.Note
		}
		r, err := s.requests.CancelMyRequest(ctx, id, note)
		return &clientRequestOutput{Body: clientRequestViewOf(r)}, err
	})
}

func (s *API) handleListMyEvents(ctx context.Context, in *subListInput) (*clientEventListOutput, error) {
	list, err := subList(ctx, in, s.requests.FindMyEvents, clientEventViewOf)
	return &clientEventListOutput{Body: list}, err
}

func (s *API) handleListMyComments(ctx context.Context, in *subListInput) (*clientCommentListOutput, error) {
	list, err := subList(ctx, in, s.requests.FindMyComments, clientCommentViewOf)
	return &clientCommentListOutput{Body: list}, err
}

func (s *API) handleCreateMyComment(ctx context.Context, in *createClientCommentInput) (*clientCommentOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*clientCommentOutput, error) {
		c, err := s.requests.AddMyComment(ctx, id, in.Body.Body)
		return &clientCommentOutput{Body: clientCommentViewOf(c)}, err
	})
}

func (s *API) handlePublicRequest(ctx context.Context, in *publicRequestInput) (*messageOutput, error) {
	ctx, err := route.PublicScope(ctx)
	if err != nil {
		return nil, err
	}
	b := in.Body
	err = s.requests.SubmitPublicRequest(ctx, requests.PublicInput{
		Email: b.Email, Name: b.Name, Title: b.Title, Details: b.Details, ServiceSlug: b.ServiceSlug,
	}, route.ClientFrom(ctx).IP)
	return message(publicRequestReceived), err
}

func (s *API) handleConfirmPublicRequest(ctx context.Context, in *tokenInput) (*messageOutput, error) {
	ctx, err := route.PublicScope(ctx)
	if err != nil {
		return nil, err
	}
	return message(publicRequestConfirmed), s.requests.ConfirmPublicRequest(ctx, in.Body.Token)
}
