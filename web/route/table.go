package route

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"reflect"
	"strings"

	"github.com/danielgtaylor/huma/v2"
	"github.com/danielgtaylor/huma/v2/adapters/humago"

	"github.com/tenantkit/tenantkit/idempotency"
)

// A Binder checks a request against a route's policy and returns its
// context with what the policy establishes: for a tenant route the
// verified scope and the principal, for a platform route the principal.
//
// A tenant request's session check may be deferred to the request's first
// statement (store.SessionCheck); Confirm runs it if no statement did,
// and the table calls it before any response is written, so a request
// that never reaches the database still answers a dead session with 401.
type Binder interface {
	Bind(r *http.Request, p Policy) (context.Context, error)
	Confirm(ctx context.Context) error
}

// Table is the route table of both host kinds: a ServeMux and an OpenAPI
// document for each, and the declaration of every route. Routes are
// registered only through [Operation] and [Table.Handle], which take the
// route's policy and enforce it before the handler runs.
type Table struct {
	mux       map[Kind]*http.ServeMux
	api       map[Kind]huma.API
	routes    []Route
	binder    Binder
	problems  Problems
	cursors   Cursors
	idem      *idempotency.Keys
	logger    *slog.Logger
	pageError func(http.ResponseWriter, *http.Request, error)
}

// TableConfig configures a Table.
type TableConfig struct {
	// Binder enforces the policies. Required.
	Binder Binder
	// Version is reported in the OpenAPI documents.
	Version string
	// BaseDomain names the tenant hosts in the tenant document.
	BaseDomain string
	// Cursors sign list cursors.
	Cursors Cursors
	// Idempotency keeps the keys of Idempotent operations.
	Idempotency *idempotency.Keys
	Logger      *slog.Logger
}

// NewTable returns an empty route table.
func NewTable(cfg TableConfig) *Table {
	t := &Table{
		mux: map[Kind]*http.ServeMux{TenantHost: http.NewServeMux(), ApexHost: http.NewServeMux()},
		api: map[Kind]huma.API{}, binder: cfg.Binder, problems: Problems{Logger: cfg.Logger},
		cursors: cfg.Cursors, idem: cfg.Idempotency, logger: cfg.Logger,
	}
	t.pageError = t.problems.Write
	t.api[TenantHost] = t.newAPI(TenantHost, cfg.Version, "tenantkit tenant API",
		"The API of one organization, served on its own host ({slug}."+cfg.BaseDomain+"). "+
			"Every operation declares x-tenancy (public, tenant) and x-min-role.")
	t.api[ApexHost] = t.newAPI(ApexHost, cfg.Version, "tenantkit platform API",
		"The API of the platform host ("+cfg.BaseDomain+"): sign-in and the organization picker.")
	InstallHumaProblems()
	return t
}

func (t *Table) newAPI(kind Kind, version, title, description string) huma.API {
	config := huma.DefaultConfig(title, version)
	config.Info.Description = description
	config.OpenAPIPath = "/api/openapi"
	// The reference page is served by the pages: the vendored Redoc, no CDN.
	config.DocsPath = ""
	config.SchemasPath = "/api/schemas"
	// No $schema fields or Link headers in responses.
	config.CreateHooks = nil
	return humago.New(t.mux[kind], config)
}

// Mux returns the ServeMux of the host kind.
func (t *Table) Mux(kind Kind) *http.ServeMux { return t.mux[kind] }

// Problems returns the table's problem writer.
func (t *Table) Problems() Problems { return t.problems }

// Cursors returns the table's cursor codec.
func (t *Table) Cursors() Cursors { return t.cursors }

// Routes returns the route table: every route with its declaration.
func (t *Table) Routes() []Route { return append([]Route(nil), t.routes...) }

// Add records a route served outside the muxes (the health checks).
func (t *Table) Add(r Route) { t.routes = append(t.routes, r) }

// SetPageErrors makes the page routes answer a refused request with
// write (an HTML page for a browser). Defaults to a problem document.
func (t *Table) SetPageErrors(write func(http.ResponseWriter, *http.Request, error)) {
	t.pageError = write
}

// PageError answers a page request refused before it reached a route
// (a suspended tenant's host) the way page routes answer theirs.
func (t *Table) PageError(w http.ResponseWriter, r *http.Request, err error) { t.pageError(w, r, err) }

// An Option changes how an operation is served.
type Option func(*operationConfig)

type operationConfig struct {
	idempotent bool
}

// Idempotent makes a creating operation honour Idempotency-Key (see
// package idempotency): the same key and payload replay the first
// response, another payload is 422, one still in flight 409. Its input
// embeds [IdempotencyKey].
func Idempotent(c *operationConfig) { c.idempotent = true }

// Operation registers a JSON operation on the host kind under policy p:
// the operation's x-tenancy and x-min-role extensions document it, and a
// middleware enforces it before the handler runs.
//
// The handler returns the domain's errors as they are: Operation turns
// every one into its problem (an error that already is one passes
// through), so no handler converts errors and none becomes a 500 by
// accident. The handler's context carries the operation (its id binds
// list cursors, [Keyset], and idempotency keys).
//
//tenantkit:registrar
func Operation[I, O any](t *Table, kind Kind, op huma.Operation, p Policy, h func(context.Context, *I) (*O, error), opts ...Option) {
	if err := p.Validate(kind); err != nil {
		panic(fmt.Sprintf("route: %s %s: %v", op.Method, op.Path, err))
	}
	var c operationConfig
	for _, o := range opts {
		o(&c)
	}
	if op.Extensions == nil {
		op.Extensions = map[string]any{}
	}
	op.Extensions["x-tenancy"] = string(p.Tenancy)
	op.Extensions["x-min-role"] = p.MinRoleLabel()
	spec := specOfInput(reflect.TypeFor[I]())
	op.Middlewares = append(huma.Middlewares{t.authorizeOperation(p, spec)}, op.Middlewares...)
	if op.Tags == nil {
		op.Tags = []string{string(p.Tenancy)}
	}
	if c.idempotent {
		h = idempotent(t, op.OperationID, h)
	}
	this := operation{id: op.OperationID, cursors: t.cursors}
	t.routes = append(t.routes, Route{Host: kind.String(), Method: op.Method, Path: op.Path, Policy: p, OpenAPI: true, Query: spec.queryNames()})
	huma.Register(t.api[kind], op, func(ctx context.Context, in *I) (*O, error) {
		ctx = context.WithValue(ctx, operationKey{}, this)
		out, err := h(ctx, in)
		if cerr := t.binder.Confirm(ctx); cerr != nil {
			// The session ended: whatever the handler made of it.
			return nil, t.problem(ctx, cerr)
		}
		if err != nil {
			return nil, t.problem(ctx, err)
		}
		return out, nil
	})
}

// problem converts err for a huma handler to return, once.
func (t *Table) problem(ctx context.Context, err error) error {
	if _, ok := errors.AsType[huma.StatusError](err); ok {
		return err
	}
	return t.problems.APIError(ctx, err)
}

// operation is the operation a handler serves, in its context.
type operation struct {
	id      string
	cursors Cursors
}

type operationKey struct{}

func operationFrom(ctx context.Context) operation {
	op, ok := ctx.Value(operationKey{}).(operation)
	if !ok {
		panic("route: a handler helper used outside an operation")
	}
	return op
}

// OperationID returns the id of the operation whose handler ctx is.
func OperationID(ctx context.Context) string { return operationFrom(ctx).id }

// Handle registers a plain HTTP handler (pages, form posts) on the mux of
// kind under policy p. An empty method matches every method. in declares
// the query parameters and form fields the handler reads: anything else,
// a form of another media type, a repeated field or an overlong value is
// refused with a problem before the handler runs (see [InputError]).
//
//tenantkit:registrar
func (t *Table) Handle(kind Kind, method, path string, p Policy, h http.HandlerFunc, in ...Inputs) {
	if err := p.Validate(kind); err != nil {
		panic(fmt.Sprintf("route: %s %s: %v", method, path, err))
	}
	spec := specOfPage(in)
	documented := method == http.MethodGet && p.Tenancy == TenancyTenant
	t.routes = append(t.routes, Route{Host: kind.String(), Method: method, Path: path, Policy: p, OpenAPI: documented, Page: true,
		Query: spec.queryNames(), Form: spec.formNames(), Repeat: spec.repeatNames()})
	if documented {
		t.documentPage(kind, path, p)
	}
	pattern := path
	if method != "" {
		pattern = method + " " + path
	}
	t.mux[kind].Handle(pattern, t.authorizePage(p, spec, method == "", h))
}

// documentPage lists a member's page in the OpenAPI document of its host,
// like an operation: its tenancy, its minimum role and the ids in its
// path, named for the list they come from (a {service_id} is an item of
// GET /api/services). So whatever learns the API from the document — the
// attack matrix, `tenantkit probe` — finds the pages and attacks them as
// it attacks operations. A page answers HTML; it is not part of the API.
func (t *Table) documentPage(kind Kind, path string, p Policy) {
	op := &huma.Operation{
		OperationID: "page" + strings.NewReplacer("/", "-", "{", "", "}", "").Replace(strings.TrimSuffix(path, "/")),
		Method:      http.MethodGet, Path: path, Tags: []string{"pages"},
		Summary:     "Page " + path,
		Description: "An HTML page of the staff workspace or the account; not part of the API.",
		Extensions:  map[string]any{"x-tenancy": string(p.Tenancy), "x-min-role": p.MinRoleLabel(), "x-page": true},
		Responses: map[string]*huma.Response{"200": {Description: "The page",
			Content: map[string]*huma.MediaType{"text/html": {Schema: &huma.Schema{Type: huma.TypeString}}}}},
	}
	for _, seg := range strings.Split(path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			op.Parameters = append(op.Parameters, &huma.Param{Name: strings.TrimSuffix(name, "}"), In: "path", Required: true,
				Schema: &huma.Schema{Type: huma.TypeString, Format: "uuid"}})
		}
	}
	t.api[kind].OpenAPI().AddOperation(op)
}

// authorizeOperation enforces p for a JSON operation, then refuses a query
// the operation does not declare and a JSON body that repeats a key.
func (t *Table) authorizeOperation(p Policy, spec inputSpec) func(huma.Context, func(huma.Context)) {
	return func(hctx huma.Context, next func(huma.Context)) {
		r, _ := humago.Unwrap(hctx)
		ctx, err := t.binder.Bind(r.WithContext(hctx.Context()), p)
		if err == nil {
			err = spec.checkQuery(r)
		}
		if err == nil {
			err = checkJSON(r)
		}
		if err != nil {
			t.problems.WriteHuma(hctx, err)
			return
		}
		ctx = WithHeader(ctx, r.Header)
		next(huma.WithContext(hctx, ctx))
	}
}

// authorizePage enforces p for a page or form handler, then its declared
// inputs (except on a catch-all route, which reads none and answers
// whatever comes).
func (t *Table) authorizePage(p Policy, spec inputSpec, catchAll bool, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, err := t.binder.Bind(r, p)
		if err == nil && !catchAll {
			err = spec.checkQuery(r)
			if err == nil {
				err = spec.checkForm(r)
			}
		}
		if err != nil {
			t.pageError(w, r, err)
			return
		}
		// A page's lists page with cursors bound to the page, as an
		// operation's are bound to the operation.
		ctx = context.WithValue(ctx, operationKey{}, operation{id: "page " + r.Pattern, cursors: t.cursors})
		r = r.WithContext(ctx)
		cw := &confirmingWriter{ResponseWriter: w, before: w.Header().Clone(), confirm: func() error { return t.binder.Confirm(ctx) }}
		cw.refuse = func(err error) { t.pageError(w, r, err) }
		h(cw, r)
		cw.done()
	})
}

// Logger is the table's logger, for handlers that stream: an error once
// the answer has begun can only be logged.
func (t *Table) Logger() *slog.Logger { return t.logger }
