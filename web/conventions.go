package web

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/tenant"
)

// The conventions every area of the API follows:
//
//   - Lists are keyset pages: {"items": [...], "next_cursor": "..."}; pass
//     next_cursor as ?cursor= (with ?limit=, 1 to 100) for the next page.
//     Cursors are signed and bound to the tenant, the account and the list.
//     (Input structs declare Cursor and Limit themselves: huma reads no
//     parameters from embedded unexported structs.)
//   - Creating POSTs accept an Idempotency-Key header: the same key and
//     payload replays the original response, another payload is 422, a
//     request still in flight 409.
//   - Resources with versions answer with an ETag; updates honour If-Match
//     and refuse a stale one with 412.
//   - Another tenant's id anywhere reads exactly like a missing id: 404 with
//     the same body. tenant_id is never accepted from a client: unknown
//     fields are refused (422).
//   - CSV exports stream a page at a time.
//   - Path parameters name resources so a client (and the isolation probe)
//     can find them: in /api/things/{id}/parts/{part_id}, {id} is an item id
//     of the list GET /api/things, {part_id} an item id of the list
//     GET /api/things/{id}/parts, each answering {"items": [{"id": …}]} to
//     a member with the operation's minimum role. Body fields naming another
//     resource end in _id (format uuid).
//   - Portal operations (role client) live under /api/portal/... and serve
//     only the signed-in client's own records; public operations (no
//     sign-in) under /api/public/....

// page is the body of every list operation.
type page[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as ?cursor= to get the next page; absent on the last page."`
}

type headerKey struct{}

// requestHeader returns the request's headers, recorded for operation
// wrappers that read one generically (Idempotency-Key).
func requestHeader(ctx context.Context) http.Header {
	h, _ := ctx.Value(headerKey{}).(http.Header)
	return h
}

// idempotent makes a creating operation honour Idempotency-Key (see
// package idempotency). The request is identified by its operation and its
// input (path, query and body as decoded); the recorded response is the
// operation's output, replayed as is.
func idempotent[I, O any](s *Server, operation string, h func(context.Context, *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		key := requestHeader(ctx).Get("Idempotency-Key")
		if key == "" {
			return h(ctx, in)
		}
		payload, err := json.Marshal(in)
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		sum := sha256.Sum256(append([]byte(operation+"\x00"), payload...))
		claim, replay, err := s.idem.Claim(ctx, operation, key, sum[:])
		if err != nil {
			return nil, s.apiError(ctx, err)
		}
		if replay != nil {
			out := new(O)
			if err := json.Unmarshal(replay.Response, out); err != nil {
				return nil, s.apiError(ctx, fmt.Errorf("replay idempotent response: %w", err))
			}
			return out, nil
		}
		gctx, committed := s.idem.Guard(ctx, claim)
		out, err := h(gctx, in)
		if err != nil {
			if !committed() {
				if rerr := s.idem.Release(context.WithoutCancel(ctx), claim); rerr != nil {
					s.logger.ErrorContext(ctx, "release idempotency key", slog.Any("error", rerr))
				}
			}
			return nil, err
		}
		resp, err := json.Marshal(out)
		if err == nil {
			err = s.idem.Complete(context.WithoutCancel(ctx), claim, http.StatusOK, resp)
		}
		if err != nil {
			// The work is done; a retry will report the key as completed
			// without a response rather than redo it.
			s.logger.ErrorContext(ctx, "record idempotent response", slog.Any("error", err))
		}
		return out, nil
	}
}

// etag is the entity tag of a resource version.
func etag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// ifMatch parses an If-Match header: nil when absent or "*" (any version),
// else the version the client last saw. A tag that is not one of ours
// cannot match and fails with 412.
func ifMatch(h string) (*int64, error) {
	h = strings.TrimSpace(h)
	if h == "" || h == "*" {
		return nil, nil
	}
	h = strings.TrimPrefix(h, "W/")
	if v, ok := strings.CutPrefix(strings.Trim(h, `"`), "v"); ok {
		if n, err := strconv.ParseInt(v, 10, 63); err == nil && n >= 0 {
			return &n, nil
		}
	}
	return nil, &tenant.Error{Code: tenant.CodePreconditionFailed, Message: "If-Match does not name a version of this resource"}
}

// parseIDs parses a list of ids; any malformed one reads like a missing one.
func parseIDs(in []string, kind string) ([]uuid.UUID, error) {
	out := make([]uuid.UUID, 0, len(in))
	for _, s := range in {
		id, err := uuid.Parse(s)
		if err != nil {
			return nil, tenant.NotFound(kind)
		}
		out = append(out, id)
	}
	return out, nil
}

// csvStream streams a CSV export: write fills the body. An error once
// streaming has begun can only end the response early; it is logged.
func (s *Server) csvStream(ctx context.Context, filename string, write func(context.Context, io.Writer) error) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hctx.SetHeader("Content-Disposition", `attachment; filename="`+filename+`"`)
		hctx.SetStatus(http.StatusOK)
		if err := write(ctx, hctx.BodyWriter()); err != nil {
			s.logger.ErrorContext(ctx, "export failed while streaming", slog.String("file", filename), slog.Any("error", err))
		}
	}}
}
