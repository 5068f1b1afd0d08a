package api

import (
	"context"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/web/route"
)

// The portal's side of service requests (a client's own), and the public
// form.

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
