package api

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/web/route"
)

// The comments of a service request, as staff see and write them (the
// client's side is in portal_requests.go).

type commentView struct {
	ID             string    `json:"id" format:"uuid"`
	AuthorMemberID string    `json:"author_member_id" format:"uuid"`
	AuthorName     string    `json:"author_name"`
	Body           string    `json:"body"`
	Visibility     string    `json:"visibility" enum:"client,internal"`
	CreatedAt      time.Time `json:"created_at"`
}

func commentViewOf(c requests.Comment) commentView {
	return commentView{ID: c.ID.String(), AuthorMemberID: c.AuthorMemberID.String(), AuthorName: c.AuthorName, Body: c.Body,
		Visibility: string(c.Visibility), CreatedAt: c.CreatedAt}
}

type commentListOutput struct {
	Body route.List[commentView]
}

type createCommentInput struct {
	ID string `path:"id" format:"uuid" doc:"The service request's id."`
	route.IdempotencyKey
	Body struct {
		Body       string `json:"body" minLength:"1" maxLength:"10000"`
		Visibility string `json:"visibility" enum:"client,internal" doc:"client: the request's client reads it too; internal: staff only."`
	}
}

type commentOutput struct {
	Body commentView
}

type commentIDInput struct {
	ID        string `path:"id" format:"uuid" doc:"The service request's id."`
	CommentID string `path:"comment_id" format:"uuid" doc:"The comment's id."`
}

func (s *API) handleListComments(ctx context.Context, in *subListInput) (*commentListOutput, error) {
	list, err := subList(ctx, in, s.requests.FindComments, commentViewOf)
	return &commentListOutput{Body: list}, err
}

func (s *API) handleCreateComment(ctx context.Context, in *createCommentInput) (*commentOutput, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*commentOutput, error) {
		c, err := s.requests.AddComment(ctx, id, in.Body.Body, requests.Visibility(in.Body.Visibility))
		return &commentOutput{Body: commentViewOf(c)}, err
	})
}

func (s *API) handleDeleteComment(ctx context.Context, in *commentIDInput) (*noContent, error) {
	return withRequest(in.ID, func(id uuid.UUID) (*noContent, error) {
		return withID(in.CommentID, "comment", func(comment uuid.UUID) (*noContent, error) {
			return &noContent{}, s.requests.DeleteComment(ctx, id, comment)
		})
	})
}
