package web_test

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"text/tabwriter"

	"github.com/tenantkit/tenantkit/internal/pgtest"
	"github.com/tenantkit/tenantkit/web/route"
)

// pageCase is one refusal provoked on a page route: a change of its valid
// request, and the status that refuses it.
type pageCase struct {
	parser, name, sent string
	want               int
	req                func(base req) req
}

// pageCases derives the cases of route r from its declaration: the query
// parameters it reads, and for a form post the fields.
func pageCases(r route.Route) []pageCase {
	long := strings.Repeat("x", route.MaxInputLength+1)
	query := func(q string) func(req) req {
		return func(b req) req {
			sep := "?"
			if strings.Contains(b.path, "?") {
				sep = "&"
			}
			b.path += sep + q
			return b
		}
	}
	out := []pageCase{
		{"query string", "unknown parameter", "probe_unknown=1", 422, query("probe_unknown=1")},
		{"query string", "malformed", "%zz=1 (an invalid escape)", 400, query("%zz=1")},
	}
	for _, q := range r.Query {
		if slices.Contains(r.Repeat, q) {
			continue
		}
		out = append(out,
			pageCase{"query string", "repeated", "each parameter twice", 422, query(q + "=a&" + q + "=b")},
			pageCase{"query string", "oversize", fmt.Sprintf("each parameter %d bytes long", len(long)), 422, query(q + "=" + long)})
	}
	if r.Method != "POST" {
		return out
	}
	form := func(v url.Values) func(req) req { return func(b req) req { b.body = v; return b } }
	valid := url.Values{}
	for _, f := range r.Form {
		valid.Set(f, "probe")
	}
	with := func(k string, vs ...string) url.Values {
		v := url.Values{}
		for kk, vv := range valid {
			v[kk] = vv
		}
		v[k] = vs
		return v
	}
	out = append(out,
		pageCase{"form", "unknown field", "probe_unknown=1 beside the fields", 422, form(with("probe_unknown", "1"))},
		pageCase{"form", "wrong media type", "the fields as a JSON object", 415, func(b req) req {
			fields := map[string]string{}
			for k := range valid {
				fields[k] = "probe"
			}
			b.body = fields
			return b
		}},
		pageCase{"form", "malformed", "%zz=1 (an invalid escape)", 400, func(b req) req {
			b.body = "%zz=1"
			b.header = map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
			return b
		}},
		pageCase{"form", "oversize", "a body of 1 MiB and more", 413, form(url.Values{"probe": {strings.Repeat("x", 1<<20)}})},
	)
	for _, f := range r.Form {
		if slices.Contains(r.Repeat, f) {
			out = append(out, pageCase{"form", "oversize", fmt.Sprintf("each field %d bytes long", len(long)), 422, form(with(f, long))})
			continue
		}
		out = append(out,
			pageCase{"form", "repeated", "each field twice", 422, form(with(f, "a", "b"))},
			pageCase{"form", "oversize", fmt.Sprintf("each field %d bytes long", len(long)), 422, form(with(f, long))})
	}
	return out
}

// Input at the edges of the pages: every page and form post of the route
// table (pages too, which the tenant's OpenAPI document lists for the
// attack matrix; TestInputEdges in package probe covers the operations)
// refuses a query parameter or form field it
// does not declare, one given twice or too long, a malformed query or
// form, a form of another media type and a body over the limit, with a 4xx
// problem of the case's status, and the database is unchanged. The cases
// are derived from each route's declaration (route.Inputs).
func TestPageInputEdges(t *testing.T) {
	e := newEnv(t)
	member, account := e.login("acme", "owner@acme.test"), e.login("", "owner@acme.test")
	admin := pgtest.Connect(t, e.db.AdminURL)
	ctx := context.Background()
	before, err := pgtest.Fingerprint(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	type row struct {
		parser, name, sent string
		want, tried        int
		statuses           map[int]int
	}
	rows := map[string]*row{}
	var order []string
	pages := 0
	for _, r := range e.web.Routes() {
		if !r.Page || r.Method == "" || r.Host == "any" {
			continue
		}
		pages++
		if r.Method == "POST" && r.Form == nil {
			t.Errorf("POST %s on the %s host declares no form (route.Inputs)", r.Path, r.Host)
		}
		base := req{method: r.Method, host: "acme", path: strings.TrimSuffix(strings.ReplaceAll(r.Path, "{$}", ""), "/"),
			header: map[string]string{"Accept": "application/json"}}
		if base.path == "" {
			base.path = "/"
		}
		if r.Path == "/static/" {
			base.path = "/static/app.css"
		}
		switch {
		case r.Host == "apex":
			base.host = ""
			if r.Policy.Tenancy == route.TenancyPlatform {
				base.sess = account
			}
		case r.Policy.Tenancy == route.TenancyTenant:
			base.sess = member
		}
		for _, c := range pageCases(r) {
			q := c.req(base)
			if q.header == nil {
				q.header = map[string]string{}
			}
			q.header["Accept"] = "application/json"
			resp := e.do(q)
			key := c.parser + "|" + c.name + "|" + c.sent
			if rows[key] == nil {
				rows[key] = &row{parser: c.parser, name: c.name, sent: c.sent, want: c.want, statuses: map[int]int{}}
				order = append(order, key)
			}
			rows[key].tried++
			rows[key].statuses[resp.Status]++
			if resp.Status != c.want || resp.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s on %s, %s %s (%s): want a %d problem, got %d %s: %.200s",
					r.Method, r.Path, r.Host, c.parser, c.name, c.sent, c.want, resp.Status, resp.Header.Get("Content-Type"), resp.Body)
			}
		}
	}
	after, err := pgtest.Fingerprint(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Error("the database changed while every request was refused")
	}
	sort.SliceStable(order, func(i, j int) bool { return rows[order[i]].parser < rows[order[j]].parser })
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "parser\tcase\tsent\twant\ttried\tanswers")
	for _, k := range order {
		r := rows[k]
		var got []string
		for s, n := range r.statuses {
			got = append(got, fmt.Sprintf("%d×%d", n, s))
		}
		sort.Strings(got)
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\n", r.parser, r.name, r.sent, r.want, r.tried, strings.Join(got, " "))
	}
	tw.Flush()
	t.Logf("%d page routes:\n%s", pages, b.String())
}
