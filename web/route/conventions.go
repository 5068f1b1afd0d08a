package route

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

// List is the body of every list operation.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as ?cursor= to get the next page; absent on the last page."`
}

// Idempotent makes a creating operation honour Idempotency-Key (see
// package idempotency). The request is identified by its operation and its
// input (path, query and body as decoded); the recorded response is the
// operation's output, replayed as is.
func Idempotent[I, O any](t *Table, operation string, h func(context.Context, *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		key := Header(ctx).Get("Idempotency-Key")
		if key == "" {
			return h(ctx, in)
		}
		payload, err := json.Marshal(in)
		if err != nil {
			return nil, t.problems.APIError(ctx, err)
		}
		sum := sha256.Sum256(append([]byte(operation+"\x00"), payload...))
		claim, replay, err := t.idem.Claim(ctx, operation, key, sum[:])
		if err != nil {
			return nil, t.problems.APIError(ctx, err)
		}
		if replay != nil {
			out := new(O)
			if err := json.Unmarshal(replay.Response, out); err != nil {
				return nil, t.problems.APIError(ctx, fmt.Errorf("replay idempotent response: %w", err))
			}
			return out, nil
		}
		gctx, committed := t.idem.Guard(ctx, claim)
		out, err := h(gctx, in)
		if err != nil {
			if !committed() {
				if rerr := t.idem.Release(context.WithoutCancel(ctx), claim); rerr != nil {
					t.logger.ErrorContext(ctx, "release idempotency key", slog.Any("error", rerr))
				}
			}
			return nil, err
		}
		resp, err := json.Marshal(out)
		if err == nil {
			err = t.idem.Complete(context.WithoutCancel(ctx), claim, http.StatusOK, resp)
		}
		if err != nil {
			// The work is done; a retry will report the key as completed
			// without a response rather than redo it.
			t.logger.ErrorContext(ctx, "record idempotent response", slog.Any("error", err))
		}
		return out, nil
	}
}

// ETag is the entity tag of a resource version.
func ETag(version int64) string { return `"v` + strconv.FormatInt(version, 10) + `"` }

// IfMatch parses an If-Match header: nil when absent or "*" (any version),
// else the version the client last saw. A tag that is not one of ours
// cannot match and fails with 412.
func IfMatch(h string) (*int64, error) {
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

// ParseID parses a path id; a malformed one reads like a missing one.
func ParseID(s, kind string) (uuid.UUID, error) {
	id, err := uuid.Parse(s)
	if err != nil {
		return uuid.Nil, tenant.NotFound(kind)
	}
	return id, nil
}

// ParseIDs parses a list of ids; any malformed one reads like a missing one.
func ParseIDs(in []string, kind string) ([]uuid.UUID, error) {
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

// CSV streams a CSV export: write fills the body. An error once streaming
// has begun can only end the response early; it is logged.
func (t *Table) CSV(ctx context.Context, filename string, write func(context.Context, io.Writer) error) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hctx.SetHeader("Content-Disposition", `attachment; filename="`+filename+`"`)
		hctx.SetStatus(http.StatusOK)
		if err := write(ctx, hctx.BodyWriter()); err != nil {
			t.logger.ErrorContext(ctx, "export failed while streaming", slog.String("file", filename), slog.Any("error", err))
		}
	}}
}
