// Package tenantlint is a go/analysis pass that holds tenantkit's code to
// the rules that keep tenant isolation out of reach of a careless change.
// The database and the store enforce isolation at run time; these rules
// keep the code from going around them.
//
// # Rules
//
//   - pool: the pgx pool and connection API (pgx.Connect, pgx.ConnConfig,
//     pgx.Conn and its methods, pgxpool, pgconn, pgx's database/sql driver)
//     is used only by the store and the database tools listed in [Allowed].
//     Everything else reaches the database through the store's tenant or
//     platform transactions (DESIGN A1).
//   - sql: no SQL built with fmt.Sprintf or + from non-constant values is
//     passed to Exec, Query, QueryRow (and their Context forms, Batch.Queue,
//     Prepare). Constants, numbers and identifiers quoted with
//     pgx.Identifier.Sanitize may be combined; anything else is a parameter
//     (DESIGN A3, THREATS DB-24).
//   - context: no context.Background or context.TODO outside package main:
//     a request's or a job's context carries the tenant scope, and a fresh
//     one drops it (use context.WithoutCancel for detached work; THREATS
//     SURF-04).
//   - registrar: HTTP routes ((*http.ServeMux).Handle and HandleFunc,
//     http.Handle and HandleFunc, huma.Register, Get, Post, Put, Patch and
//     Delete) are registered only inside functions whose doc comment holds
//     the directive line //tenantkit:registrar; such functions take the
//     route's tenancy and minimum role (DESIGN step 6).
//
// Test files (_test.go) are exempt from every rule: tests attack the schema
// with generated SQL, open their own connections and mount throwaway
// handlers.
package tenantlint

import (
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strings"

	"golang.org/x/tools/go/analysis"
	"golang.org/x/tools/go/types/typeutil"
)

// Module is the import path of the module the rules are written for;
// [Allowed] names packages relative to it.
const Module = "github.com/tenantkit/tenantkit"

// The rules, as they prefix diagnostics.
const (
	RulePool      = "pool"
	RuleSQL       = "sql"
	RuleContext   = "context"
	RuleRegistrar = "registrar"
)

// RegistrarDirective marks a function allowed to register HTTP routes.
const RegistrarDirective = "//tenantkit:registrar"

// Allowed lists, for each rule, the packages exempt from it (relative to
// [Module]; "x/..." is x and everything below it), each with the reason.
var Allowed = map[string]map[string]string{
	RulePool: {
		"store/...":           "the store holds the pools and hands out tenant and platform transactions",
		"schemaaudit":         "the auditor reads the catalog of any database over its own connection",
		"adopt":               "adopt migrates a database over its own connection, as its owner",
		"internal/pgtest":     "the test harness creates and drops test databases",
		"internal/pgcluster":  "the managed cluster waits for its server to accept connections",
		"cmd/tenantkit-bench": "the benchmark seeds its own throwaway cluster, and its floor (variant c) is the bare pgx batch the full stack is measured against; neither is part of serve",
	},
	RuleSQL: {
		"adopt": "adopt generates DDL and batched backfills for tables it discovers: identifiers pass through pgx.Identifier.Sanitize, values through parameters",
	},
	RuleContext: {
		"internal/pgtest": "the test harness outlives any one test's context",
	},
	RuleRegistrar: {
		"cmd/tenantkit-bench": "the benchmark's floor (variant c) is a bare net/http server without auth by design, the baseline the full stack is measured against; it is never part of serve",
	},
}

// Exemption tolerates one rule in one function of code that predates the
// rule, until that code is rewritten.
type Exemption struct {
	Rule    string // one of the Rule constants
	Package string // relative to Module
	Func    string // "Name" or "(*Type).Name"
	Reason  string // why it is tolerated, and until when
}

// Pending are the exemptions in force. Each is a debt, not a design: the
// module test logs an entry that no longer matches a function, so it can
// be removed.
var Pending = []Exemption{}

func exempt(rule, pkgPath string, decl ast.Decl) bool {
	rel, _ := strings.CutPrefix(pkgPath, Module+"/")
	name := FuncName(decl)
	return slices.ContainsFunc(Pending, func(e Exemption) bool {
		return e.Rule == rule && e.Package == rel && e.Func == name
	})
}

// FuncName names a function declaration as [Exemption.Func] does; "" for
// any other declaration.
func FuncName(decl ast.Decl) string {
	fd, ok := decl.(*ast.FuncDecl)
	if !ok {
		return ""
	}
	if fd.Recv == nil || len(fd.Recv.List) == 0 {
		return fd.Name.Name
	}
	t := fd.Recv.List[0].Type
	star := ""
	if s, ok := t.(*ast.StarExpr); ok {
		star, t = "*", s.X
	}
	switch x := t.(type) {
	case *ast.IndexExpr:
		t = x.X
	case *ast.IndexListExpr:
		t = x.X
	}
	id, _ := t.(*ast.Ident)
	if id == nil {
		return fd.Name.Name
	}
	return "(" + star + id.Name + ")." + fd.Name.Name
}

// Analyzer reports code that breaks the rules of the package doc.
var Analyzer = &analysis.Analyzer{
	Name: "tenantlint",
	Doc:  "check tenantkit's isolation rules: pool only in the store, no SQL built from values, no context.Background, routes only in registrars",
	URL:  "https://pkg.go.dev/github.com/tenantkit/tenantkit/internal/analysis/tenantlint",
	Run:  run,
}

func allowed(rule, pkgPath string) bool {
	rel, ok := strings.CutPrefix(pkgPath, Module+"/")
	if !ok {
		return false
	}
	for pattern := range Allowed[rule] {
		if tree, ok := strings.CutSuffix(pattern, "/..."); ok {
			if rel == tree || strings.HasPrefix(rel, tree+"/") {
				return true
			}
		} else if rel == pattern {
			return true
		}
	}
	return false
}

func run(pass *analysis.Pass) (any, error) {
	path := pass.Pkg.Path()
	check := map[string]bool{
		RulePool:      !allowed(RulePool, path),
		RuleSQL:       !allowed(RuleSQL, path),
		RuleContext:   !allowed(RuleContext, path) && pass.Pkg.Name() != "main",
		RuleRegistrar: !allowed(RuleRegistrar, path),
	}
	var flow *assignments
	for _, file := range pass.Files {
		if strings.HasSuffix(pass.Fset.File(file.Pos()).Name(), "_test.go") {
			continue
		}
		if flow == nil {
			flow = collectAssignments(pass)
		}
		for _, decl := range file.Decls {
			on := func(rule string) bool { return check[rule] && !exempt(rule, path, decl) }
			registrar := isRegistrar(decl)
			ast.Inspect(decl, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.Ident:
					obj := pass.TypesInfo.Uses[n]
					if obj == nil {
						return true
					}
					if on(RulePool) && isPoolAPI(obj) {
						pass.ReportRangef(n, "pool: %s is the database connection API, used only in the store and the database tools; reach the database through the store's transactions", qualified(obj))
					}
					if on(RuleContext) && isFreshContext(obj) {
						pass.ReportRangef(n, "context: %s drops the request's tenant scope; pass the caller's ctx (context.WithoutCancel for detached work)", qualified(obj))
					}
					if !registrar && on(RuleRegistrar) && isRouteRegistration(obj) {
						pass.ReportRangef(n, "registrar: %s registers a route outside a function marked %s, which declares each route's tenancy and minimum role", qualified(obj), RegistrarDirective)
					}
				case *ast.CallExpr:
					if on(RuleSQL) {
						if arg, name := sqlArgument(pass, n); arg != nil && flow.built(arg) && !flow.safe(arg) {
							pass.ReportRangef(arg, "sql: SQL passed to %s is built from a non-constant value; pass values as parameters ($1) and quote identifiers with pgx.Identifier.Sanitize", name)
						}
					}
				}
				return true
			})
		}
	}
	return nil, nil
}

func qualified(obj types.Object) string {
	if f, ok := obj.(*types.Func); ok {
		if recv := f.Signature().Recv(); recv != nil {
			return types.TypeString(recv.Type(), (*types.Package).Name) + "." + f.Name()
		}
	}
	if obj.Pkg() == nil {
		return obj.Name()
	}
	return obj.Pkg().Name() + "." + obj.Name()
}

// isRegistrar reports whether decl is a function whose doc comment holds
// the registrar directive on a line of its own.
func isRegistrar(decl ast.Decl) bool {
	fd, ok := decl.(*ast.FuncDecl)
	if !ok || fd.Doc == nil {
		return false
	}
	return slices.ContainsFunc(fd.Doc.List, func(c *ast.Comment) bool {
		return strings.TrimSpace(c.Text) == RegistrarDirective
	})
}

const (
	pgxPath   = "github.com/jackc/pgx/v5"
	humaPath  = "github.com/danielgtaylor/huma/v2"
	stdlibSQL = pgxPath + "/stdlib"
)

// pgxConnAPI are the names of pgx's root package that open or describe a
// connection.
var pgxConnAPI = []string{"Connect", "ConnectConfig", "ConnectWithOptions", "ParseConfig", "ParseConfigWithOptions", "Conn", "ConnConfig"}

func isPoolAPI(obj types.Object) bool {
	if _, ok := obj.(*types.PkgName); ok || obj.Pkg() == nil {
		return false
	}
	path := obj.Pkg().Path()
	switch {
	case path == pgxPath+"/pgxpool", path == stdlibSQL,
		path == pgxPath+"/pgconn", strings.HasPrefix(path, pgxPath+"/pgconn/"):
		return true
	case path != pgxPath:
		return false
	}
	if f, ok := obj.(*types.Func); ok {
		if recv := f.Signature().Recv(); recv != nil {
			named := namedOf(recv.Type())
			return named != nil && slices.Contains(pgxConnAPI, named.Obj().Name())
		}
	}
	return obj.Parent() == obj.Pkg().Scope() && slices.Contains(pgxConnAPI, obj.Name())
}

func namedOf(t types.Type) *types.Named {
	if p, ok := t.(*types.Pointer); ok {
		t = p.Elem()
	}
	n, _ := t.(*types.Named)
	return n
}

func isFreshContext(obj types.Object) bool {
	f, ok := obj.(*types.Func)
	return ok && f.Pkg() != nil && f.Pkg().Path() == "context" && (f.Name() == "Background" || f.Name() == "TODO")
}

func isRouteRegistration(obj types.Object) bool {
	f, ok := obj.(*types.Func)
	if !ok || f.Pkg() == nil {
		return false
	}
	switch f.Pkg().Path() {
	case "net/http":
		if f.Name() != "Handle" && f.Name() != "HandleFunc" {
			return false
		}
		recv := f.Signature().Recv()
		if recv == nil {
			return true // http.Handle: the default mux
		}
		named := namedOf(recv.Type())
		return named != nil && named.Obj().Name() == "ServeMux"
	case humaPath:
		return f.Signature().Recv() == nil && slices.Contains([]string{"Register", "Get", "Post", "Put", "Patch", "Delete"}, f.Name())
	}
	return false
}

// sqlMethods are the calls that take SQL text.
var sqlMethods = []string{"Exec", "Query", "QueryRow", "ExecContext", "QueryContext", "QueryRowContext", "Queue", "Prepare", "PrepareContext"}

// sqlArgument returns the SQL text argument of call, if call takes one,
// and the called function's name.
func sqlArgument(pass *analysis.Pass, call *ast.CallExpr) (ast.Expr, string) {
	f, ok := typeutil.Callee(pass.TypesInfo, call).(*types.Func)
	if !ok || !slices.Contains(sqlMethods, f.Name()) {
		return nil, ""
	}
	params := f.Signature().Params()
	index := -1
	for i := range params.Len() {
		p := params.At(i)
		if b, ok := p.Type().(*types.Basic); !ok || b.Kind() != types.String {
			continue
		}
		if p.Name() == "sql" || p.Name() == "query" {
			index = i
			break
		}
		if index < 0 {
			index = i
		}
	}
	if index < 0 || index >= len(call.Args) {
		return nil, ""
	}
	return call.Args[index], f.Name()
}

// assignments records, for each local variable of a package, the
// expressions assigned to it, so that SQL built in steps is followed.
type assignments struct {
	info *types.Info
	// values assigned to each variable; nil in the list stands for a value
	// the pass cannot see (a parameter, a range variable, a multi-value
	// call, a package variable).
	values map[*types.Var][]ast.Expr
	// opaque variables: their address is taken, so anything may be
	// written to them.
	opaque map[*types.Var]bool
	// visiting guards the recursion through variables assigned from each
	// other.
	visiting map[*types.Var]bool
}

func collectAssignments(pass *analysis.Pass) *assignments {
	a := &assignments{info: pass.TypesInfo, values: map[*types.Var][]ast.Expr{}, opaque: map[*types.Var]bool{}, visiting: map[*types.Var]bool{}}
	record := func(id ast.Expr, value ast.Expr) {
		if ident, ok := id.(*ast.Ident); ok {
			if v, ok := pass.TypesInfo.ObjectOf(ident).(*types.Var); ok {
				a.values[v] = append(a.values[v], value)
			}
		}
	}
	for _, file := range pass.Files {
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.AssignStmt:
				for i, lhs := range n.Lhs {
					if len(n.Rhs) == len(n.Lhs) {
						record(lhs, n.Rhs[i])
					} else {
						record(lhs, nil)
					}
				}
			case *ast.ValueSpec:
				for i, name := range n.Names {
					if i < len(n.Values) {
						record(name, n.Values[i])
					} else if len(n.Values) > 0 {
						record(name, nil)
					}
				}
			case *ast.RangeStmt:
				if n.Key != nil {
					record(n.Key, nil)
				}
				if n.Value != nil {
					record(n.Value, nil)
				}
			case *ast.FuncType:
				for _, list := range []*ast.FieldList{n.Params, n.Results} {
					if list == nil {
						continue
					}
					for _, field := range list.List {
						for _, name := range field.Names {
							record(name, nil)
						}
					}
				}
			case *ast.UnaryExpr:
				if n.Op == token.AND {
					if ident, ok := n.X.(*ast.Ident); ok {
						if v, ok := pass.TypesInfo.ObjectOf(ident).(*types.Var); ok {
							a.opaque[v] = true
						}
					}
				}
			}
			return true
		})
	}
	return a
}

// local returns the variable e names if it is one whose assignments the
// pass follows.
func (a *assignments) local(e ast.Expr) *types.Var {
	ident, ok := e.(*ast.Ident)
	if !ok {
		return nil
	}
	v, ok := a.info.Uses[ident].(*types.Var)
	if !ok || v.IsField() || v.Pkg() == nil || v.Parent() == v.Pkg().Scope() {
		return nil
	}
	return v
}

func isSprintf(info *types.Info, call *ast.CallExpr) bool {
	f, ok := typeutil.Callee(info, call).(*types.Func)
	return ok && f.Pkg() != nil && f.Pkg().Path() == "fmt" && slices.Contains([]string{"Sprintf", "Sprint", "Sprintln"}, f.Name())
}

// built reports whether e is text assembled here: a concatenation, an
// fmt.Sprintf, or a variable assigned one.
func (a *assignments) built(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.ParenExpr:
		return a.built(e.X)
	case *ast.BinaryExpr:
		return e.Op == token.ADD && a.info.Types[e].Value == nil
	case *ast.CallExpr:
		return isSprintf(a.info, e)
	}
	v := a.local(e)
	if v == nil || a.visiting[v] {
		return false
	}
	a.visiting[v] = true
	defer delete(a.visiting, v)
	return slices.ContainsFunc(a.values[v], func(x ast.Expr) bool { return x != nil && a.built(x) })
}

// safe reports whether e can only hold SQL the code wrote: constants,
// numbers, quoted identifiers, and combinations of them.
func (a *assignments) safe(e ast.Expr) bool {
	tv := a.info.Types[e]
	if tv.Value != nil {
		return true
	}
	if b, ok := tv.Type.(*types.Basic); ok && b.Info()&(types.IsNumeric|types.IsBoolean) != 0 {
		return true
	}
	switch e := e.(type) {
	case *ast.ParenExpr:
		return a.safe(e.X)
	case *ast.BinaryExpr:
		return e.Op == token.ADD && a.safe(e.X) && a.safe(e.Y)
	case *ast.CallExpr:
		if isSprintf(a.info, e) {
			return !slices.ContainsFunc(e.Args, func(x ast.Expr) bool { return !a.safe(x) })
		}
		f, ok := typeutil.Callee(a.info, e).(*types.Func)
		if !ok || f.Name() != "Sanitize" || f.Pkg() == nil || f.Pkg().Path() != pgxPath {
			return false
		}
		return true
	}
	v := a.local(e)
	if v == nil || a.opaque[v] {
		return false
	}
	if a.visiting[v] {
		return true // its other assignments decide
	}
	a.visiting[v] = true
	defer delete(a.visiting, v)
	return !slices.ContainsFunc(a.values[v], func(x ast.Expr) bool { return x == nil || !a.safe(x) })
}
