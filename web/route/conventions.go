package route

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/tenant"
)

// List is the body of every list operation.
type List[T any] struct {
	Items      []T    `json:"items"`
	NextCursor string `json:"next_cursor,omitempty" doc:"Pass as ?cursor= to get the next page; absent on the last page."`
}

// IdempotencyKey is the header of an idempotent operation: its input
// embeds it (see [Idempotent]).
type IdempotencyKey struct {
	IdempotencyKey string `header:"Idempotency-Key" maxLength:"255" doc:"Retry-safe creation: the same key and payload get the original response."`
}

// idempotent wraps h of operation. The request is identified by its
// operation and its input (path, query and body as decoded); the recorded
// response is the operation's output, replayed as is.
func idempotent[I, O any](t *Table, operation string, h func(context.Context, *I) (*O, error)) func(context.Context, *I) (*O, error) {
	return func(ctx context.Context, in *I) (*O, error) {
		key := Header(ctx).Get("Idempotency-Key")
		if key == "" {
			return h(ctx, in)
		}
		payload, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		sum := sha256.Sum256(append([]byte(operation+"\x00"), payload...))
		claim, replay, err := t.idem.Claim(ctx, operation, key, sum[:])
		if err != nil {
			return nil, err
		}
		if replay != nil {
			out := new(O)
			if err := json.Unmarshal(replay.Response, out); err != nil {
				return nil, fmt.Errorf("replay idempotent response: %w", err)
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

// PageQuery is the query of every list operation: its input embeds it.
// The page size is 1 to keyset.MaxLimit, keyset.DefaultLimit when unset.
type PageQuery struct {
	Cursor string `query:"cursor" maxLength:"2048" doc:"The next_cursor of the previous page."`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"50" doc:"Page size."`
}

// Keyset serves one page of the list operation whose handler ctx is: it
// reads the position from q's cursor (signed for this tenant, account and
// operation), lets find fetch the page after it, and signs the position of
// the next page.
func Keyset[K, T, V any](ctx context.Context, q PageQuery, find func(keyset.Page[K]) ([]T, *K, error), view func(T) V) (List[V], error) {
	return keysetOf(ctx, OperationID(ctx), q, find, view)
}

// KeysetUnder is [Keyset] for a list that belongs to one item (a
// request's comments): its cursors are bound to the item too.
func KeysetUnder[K, T, V any](ctx context.Context, item string, q PageQuery, find func(keyset.Page[K]) ([]T, *K, error), view func(T) V) (List[V], error) {
	return keysetOf(ctx, OperationID(ctx)+":"+item, q, find, view)
}

func keysetOf[K, T, V any](ctx context.Context, list string, q PageQuery, find func(keyset.Page[K]) ([]T, *K, error), view func(T) V) (List[V], error) {
	scope := tenant.MustScope(ctx)
	cursors := operationFrom(ctx).cursors
	p := keyset.Page[K]{Limit: q.Limit}
	var after K
	if ok, err := cursors.Decode(scope, list, q.Cursor, &after); err != nil {
		return List[V]{}, err
	} else if ok {
		p.After = &after
	}
	items, next, err := find(p)
	if err != nil {
		return List[V]{}, err
	}
	out := List[V]{Items: make([]V, 0, len(items))}
	for _, it := range items {
		out.Items = append(out.Items, view(it))
	}
	if next != nil {
		out.NextCursor = cursors.Encode(scope, list, next)
	}
	return out, nil
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
