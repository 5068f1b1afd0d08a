package ui

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"

	"github.com/tenantkit/tenantkit/web/route"
)

// Every field a page's form sends, and every query parameter its links and
// GET forms carry, is one the route it goes to declares: the route table
// refuses anything else before the handler runs, so an undeclared field
// would be a form that always fails. Checked on every template with the
// sample data of TestEveryTemplateRenders.
func TestFormsSendOnlyDeclaredInputs(t *testing.T) {
	tbl := route.NewTable(route.TableConfig{})
	Register(tbl, Deps{})
	routes := tbl.Routes()
	checked := 0
	for name, cases := range samplePages() {
		for i, v := range cases {
			var buf bytes.Buffer
			if err := pages[name].ExecuteTemplate(&buf, "layout", v); err != nil {
				t.Fatalf("%s (case %d): %v", name, i, err)
			}
			doc, err := html.Parse(&buf)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range sends(doc) {
				checked++
				host := "apex"
				if v.Tenant != nil {
					host = "tenant"
				}
				rt, ok := routeFor(routes, host, s.method, s.path)
				if !ok {
					t.Errorf("%s (case %d): %s %s reaches no route", name, i, s.method, s.path)
					continue
				}
				declared := rt.Form
				if s.method == http.MethodGet {
					declared = rt.Query
				}
				for _, n := range s.names {
					if !slices.Contains(declared, n) {
						t.Errorf("%s (case %d): %s %s sends %q, which %s does not declare (it declares %v)", name, i, s.method, s.path, n, rt.Path, declared)
					}
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("only %d forms and links checked: the walk finds too little", checked)
	}
}

// send is what a form, a link or an htmx request of a page sends: the
// method, the path and the names of its fields or query parameters.
type send struct {
	method, path string
	names        []string
}

// sends lists what the links, forms and htmx requests of doc send to the
// app's own paths.
func sends(doc *html.Node) []send {
	var out []send
	add := func(method, target string, names []string) {
		u, err := url.Parse(target)
		if err != nil || !strings.HasPrefix(u.Path, "/") || strings.HasPrefix(u.Path, "//") || strings.HasPrefix(u.Path, "/static/") {
			return
		}
		for k := range u.Query() {
			names = append(names, k)
		}
		out = append(out, send{method: method, path: u.Path, names: names})
	}
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode {
			switch n.Data {
			case "a":
				if href := attr(n, "href"); strings.Contains(href, "?") {
					add(http.MethodGet, href, nil)
				}
			case "form":
				method := strings.ToUpper(attr(n, "method"))
				if method == "" {
					method = http.MethodGet
				}
				add(method, attr(n, "action"), fieldNames(n))
			}
			if target := attr(n, "hx-get"); target != "" {
				var names []string
				if n.Data == "form" {
					names = fieldNames(n)
				} else if name := attr(n, "name"); name != "" {
					names = []string{name}
				}
				add(http.MethodGet, target, names)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(doc)
	return out
}

// fieldNames lists the names of the fields a form sends.
func fieldNames(form *html.Node) []string {
	var names []string
	var walk func(n *html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && slices.Contains([]string{"input", "select", "textarea", "button"}, n.Data) {
			if name := attr(n, "name"); name != "" && !slices.Contains(names, name) {
				names = append(names, name)
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(form)
	return names
}

func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// routeFor finds the page route of host that serves method and path, the
// most literal one first, as the mux chooses.
func routeFor(routes []route.Route, host, method, path string) (route.Route, bool) {
	var best route.Route
	bestLiterals := -1
	for _, rt := range routes {
		if rt.Method != method || rt.Host != host {
			continue
		}
		if n, ok := matchPath(rt.Path, path); ok && n > bestLiterals {
			best, bestLiterals = rt, n
		}
	}
	return best, bestLiterals >= 0
}

// matchPath reports whether path fits pattern, and with how many literal
// segments.
func matchPath(pattern, path string) (int, bool) {
	if pattern == "/{$}" {
		return 1, path == "/"
	}
	ps, xs := strings.Split(strings.Trim(pattern, "/"), "/"), strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return 0, false
	}
	literals := 0
	for i := range ps {
		switch {
		case strings.HasPrefix(ps[i], "{"):
		case ps[i] == xs[i]:
			literals++
		default:
			return 0, false
		}
	}
	return literals, true
}
