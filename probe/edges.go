package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// The parsers a request passes through, as the edge pass names them.
const (
	parserBody   = "JSON body"
	parserQuery  = "query string"
	parserPath   = "path parameter"
	parserHeader = "header"
)

// EdgeResult sums up the input-edge pass: every parser of every operation
// (the JSON body, the query string, the path parameters, the declared
// headers) fed input that is too long, malformed, of the wrong type or
// unknown. Each must be refused with a 4xx problem document of the status
// its case names, and nothing may change.
type EdgeResult struct {
	// Rows are the cases, one per parser and kind of input.
	Rows []*EdgeRow `json:"rows"`
	// Requests counts the requests sent.
	Requests int `json:"requests"`
	// DatabaseChecked says the whole database was compared before and
	// after (Config.Fingerprint); otherwise tenant B was read back.
	DatabaseChecked bool `json:"database_checked"`
	// NotExercised lists operations whose valid request could not be built.
	NotExercised []string `json:"not_exercised,omitempty"`
}

// EdgeRow is one case of one parser: what was sent, to how many inputs,
// and the answers by status.
type EdgeRow struct {
	Parser string `json:"parser"`
	Case   string `json:"case"`
	Sent   string `json:"sent"`
	// Want lists the statuses that refuse the input as this case expects.
	Want     []int       `json:"want"`
	Inputs   int         `json:"inputs"`
	Statuses map[int]int `json:"statuses"`
	Failed   int         `json:"failed"`
}

// edgeCase is one refusal the pass provokes: it changes a valid call.
type edgeCase struct {
	parser, name, sent string
	want               []int
	// apply returns the request to send, built from the valid call c.
	apply func(c *call) request
}

// oversize is a value longer than any input the API takes.
var oversize = strings.Repeat("x", 8<<10)

// edgeCases lists the cases of op: those of every operation, then those of
// each of its query, path and header parameters and body fields.
func edgeCases(op *Operation) []edgeCase {
	render := func(c *call, mod func(*call, *request)) request {
		r := c.render()
		r.header = maps.Clone(r.header)
		if r.header == nil {
			r.header = map[string]string{}
		}
		mod(c, &r)
		return r
	}
	withQueryValue := func(name string, vals ...string) func(c *call) request {
		return func(c *call) request {
			x := c.clone()
			x.query[name] = vals
			return x.render()
		}
	}
	var out []edgeCase
	out = append(out,
		edgeCase{parserQuery, "unknown parameter", "probe_unknown=1", []int{422}, withQueryValue("probe_unknown", "1")},
		edgeCase{parserQuery, "malformed", "%zz=1 (an invalid escape)", []int{400}, func(c *call) request {
			return render(c, func(_ *call, r *request) {
				sep := "?"
				if strings.Contains(r.path, "?") {
					sep = "&"
				}
				r.path += sep + "%zz=1"
			})
		}},
	)
	for _, prm := range op.params {
		name := prm.name
		switch prm.in {
		case "query":
			kind := prm.schema.kind()
			if kind != "array" {
				out = append(out, edgeCase{parserQuery, "repeated", "each parameter twice", []int{422}, func(c *call) request {
					v := c.query.Get(name)
					if v == "" {
						v = "1"
					}
					return withQueryValue(name, v, v)(c)
				}})
			}
			out = append(out, edgeCase{parserQuery, "oversize", "each parameter 8 KiB long", []int{422}, withQueryValue(name, oversize)})
			if bad, ok := wrongScalar(prm.schema); ok {
				out = append(out, edgeCase{parserQuery, "wrong type", "each typed parameter (number, boolean, id, date, enum) with text of no such type", []int{422}, withQueryValue(name, bad)})
			}
		case "path":
			set := func(v string) func(c *call) request {
				return func(c *call) request {
					x := c.clone()
					x.path[name] = v
					return x.render()
				}
			}
			// A malformed id reads like a missing one (404) where the
			// handler parses it, or is refused by the schema (422).
			out = append(out, edgeCase{parserPath, "oversize", "each parameter 4 KiB long", []int{404, 422}, set(oversize[:4<<10])})
			if bad, ok := wrongScalar(prm.schema); ok || isIDName(name) {
				if !ok {
					bad = "not-an-id"
				}
				out = append(out, edgeCase{parserPath, "wrong type", "each id or typed parameter with text of no such type", []int{404, 422}, set(bad)})
			}
		case "header":
			set := func(v string) func(c *call) request {
				return func(c *call) request { return render(c, func(_ *call, r *request) { r.header[name] = v }) }
			}
			// If-Match names a version; anything else cannot match (412).
			want := []int{422}
			if strings.EqualFold(name, "If-Match") {
				want = []int{412}
			}
			out = append(out,
				edgeCase{parserHeader, "oversize", name + " 8 KiB long", want, set(oversize)},
				edgeCase{parserHeader, "malformed", name + " with a space and a non-ASCII letter", want, set("probe key ü")})
		}
	}
	if op.body == nil {
		return out
	}
	raw := func(body string, contentType string) func(c *call) request {
		return func(c *call) request {
			return render(c, func(_ *call, r *request) { r.body, r.raw, r.contentType = nil, []byte(body), contentType })
		}
	}
	withBody := func(mod func(b map[string]any)) func(c *call) request {
		return func(c *call) request {
			x := c.clone()
			if x.body == nil {
				x.body = map[string]any{}
			}
			mod(x.body)
			return x.render()
		}
	}
	out = append(out,
		edgeCase{parserBody, "oversize", "1 MiB and more", []int{413}, func(c *call) request {
			r := raw(`{"probe_pad":"`+strings.Repeat("x", 1<<20)+`"}`, "application/json")(c)
			// The server refuses such a body by its length, before
			// reading it, and closes the connection: asking first lets
			// the answer arrive instead of a reset in mid-write.
			r.header = maps.Clone(r.header)
			if r.header == nil {
				r.header = map[string]string{}
			}
			r.header["Expect"] = "100-continue"
			return r
		}},
		edgeCase{parserBody, "malformed", `{"` + " (cut short)", []int{400}, raw(`{"`, "application/json")},
		edgeCase{parserBody, "not an object", "an array for the object", []int{422}, raw(`[]`, "application/json")},
		edgeCase{parserBody, "unknown field", `"probe_unknown": true`, []int{422}, withBody(func(b map[string]any) { b["probe_unknown"] = true })},
		edgeCase{parserBody, "wrong media type", "the valid body as text/plain", []int{415}, func(c *call) request {
			b, _ := json.Marshal(c.body)
			return raw(string(b), "text/plain")(c)
		}},
	)
	if names := op.body.propertyNames(); len(names) > 0 {
		out = append(out, edgeCase{parserBody, "duplicate key", "a field of the valid body twice", []int{400}, func(c *call) request {
			// A field the valid body sets, given once more ahead of it;
			// of an empty body, the first field twice.
			field := names[0]
			for _, n := range names {
				if _, ok := c.body[n]; ok {
					field = n
					break
				}
			}
			vb, _ := json.Marshal(c.body[field])
			b, _ := json.Marshal(c.body)
			doc := strings.Replace(string(b), "{", fmt.Sprintf(`{%q:%s,`, field, vb), 1)
			if _, ok := c.body[field]; !ok {
				doc = fmt.Sprintf(`{%q:%s,%q:%s}`, field, vb, field, vb)
			}
			return raw(doc, "application/json")(c)
		}})
	}
	for _, name := range op.body.propertyNames() {
		s := op.body.Properties[name]
		if bad, ok := wrongJSON(s); ok {
			out = append(out, edgeCase{parserBody, "wrong type", "each field with a value of another type", []int{422},
				withBody(func(b map[string]any) { b[name] = bad })})
		}
	}
	return out
}

// wrongScalar returns a query or path value that s does not admit.
func wrongScalar(s *schema) (string, bool) {
	switch {
	case s == nil:
		return "", false
	case s.kind() == "integer" || s.kind() == "number":
		return "not-a-number", true
	case s.kind() == "boolean":
		return "not-a-boolean", true
	case s.Format == "uuid":
		return "not-a-uuid", true
	case s.Format == "date" || s.Format == "date-time":
		return "not-a-date", true
	case len(s.Enum) > 0:
		return "not-one-of-the-values", true
	}
	return "", false
}

// wrongJSON returns a JSON value of another type than s's.
func wrongJSON(s *schema) (any, bool) {
	switch s.kind() {
	case "string":
		return 12345, true
	case "integer", "number", "boolean", "array", "object":
		return "probe-wrong-type", true
	}
	return nil, false
}

// edges runs the input-edge pass: the valid request of every operation is
// built first (as the injection pass does), then each case of each
// operation is sent. The database (or, without Config.Fingerprint, tenant
// B read back) must be as it was.
func (p *prober) edges(ctx context.Context) {
	res := &EdgeResult{}
	p.report.Edges = res
	bases := map[*Operation]*call{}
	for _, op := range p.ops {
		c, err := p.injectionBase(ctx, op)
		if err != nil {
			res.NotExercised = append(res.NotExercised, fmt.Sprintf("%s: %v", op.Key(), err))
			p.report.fail(op.Key(), "edges", "not exercised: %v", err)
			continue
		}
		bases[op] = c
	}
	var before string
	if p.cfg.Fingerprint != nil {
		var err error
		if before, err = p.cfg.Fingerprint(ctx); err != nil {
			p.report.fail("edges", "", "fingerprint the database: %v", err)
			return
		}
		res.DatabaseChecked = true
	}
	rows := map[string]*EdgeRow{}
	for _, op := range p.ops {
		c := bases[op]
		if c == nil {
			continue
		}
		for _, ec := range edgeCases(op) {
			key := ec.parser + "\x00" + ec.name + "\x00" + ec.sent
			row := rows[key]
			if row == nil {
				row = &EdgeRow{Parser: ec.parser, Case: ec.name, Sent: ec.sent, Want: ec.want, Statuses: map[int]int{}}
				rows[key] = row
				res.Rows = append(res.Rows, row)
			}
			r := ec.apply(c)
			resp, err := p.c.waiting(ctx, r, 0)
			res.Requests++
			row.Inputs++
			if err != nil {
				row.Failed++
				p.report.fail(op.Key(), "edges "+ec.parser+" "+ec.name, "%s: request failed: %v", ec.sent, err)
				continue
			}
			row.Statuses[resp.status]++
			if msg := refusal(resp, ec.want); msg != "" {
				row.Failed++
				p.report.fail(op.Key(), "edges "+ec.parser+" "+ec.name, "%s: %s", ec.sent, msg)
			}
			for _, leak := range p.b.secrets.find(resp, echoOf(r)) {
				row.Failed++
				p.report.fail(op.Key(), "edges "+ec.parser+" "+ec.name, "%s: leak: %s", ec.sent, leak)
			}
		}
	}
	if p.cfg.Fingerprint != nil {
		after, err := p.cfg.Fingerprint(ctx)
		switch {
		case err != nil:
			p.report.fail("edges", "", "fingerprint the database: %v", err)
		case after != before:
			p.report.fail("edges", "", "the database changed while every request was refused")
		}
	}
	p.checkB(ctx, &OperationResult{Operation: Operation{Host: "edges"}}, "edges")
	sort.SliceStable(res.Rows, func(i, j int) bool { return res.Rows[i].Parser < res.Rows[j].Parser })
}

// refusal returns what is wrong with r as the refusal of a case that
// wants one of the statuses want: another status, or not an RFC 9457
// problem document of its own status.
func refusal(r response, want []int) string {
	if !slices.Contains(want, r.status) {
		return fmt.Sprintf("want %v, got %s", want, r)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/problem+json" {
		return fmt.Sprintf("%d as %q, not a problem document", r.status, ct)
	}
	var p struct {
		Status int    `json:"status"`
		Title  string `json:"title"`
	}
	if err := json.Unmarshal(r.body, &p); err != nil || p.Status != r.status || p.Title == "" {
		return fmt.Sprintf("%d: not a problem of its status: %s", r.status, r)
	}
	return ""
}

// WriteText writes the cases as a table: parser, case, what was sent, the
// statuses wanted, the inputs tried and the answers by status.
func (e *EdgeResult) WriteText(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "parser\tcase\tsent\twant\ttried\tanswers\tfailed")
	for _, r := range e.Rows {
		var want, got []string
		for _, s := range r.Want {
			want = append(want, strconv.Itoa(s))
		}
		codes := make([]int, 0, len(r.Statuses))
		for s := range r.Statuses {
			codes = append(codes, s)
		}
		sort.Ints(codes)
		for _, s := range codes {
			got = append(got, fmt.Sprintf("%d×%d", r.Statuses[s], s))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%d\n", r.Parser, r.Case, r.Sent, strings.Join(want, "/"), r.Inputs, strings.Join(got, " "), r.Failed)
	}
	return tw.Flush()
}

// Edges runs only the input-edge pass against the deployment (no matrix).
func Edges(ctx context.Context, cfg Config) (*Report, error) {
	p, err := prepare(ctx, cfg)
	if err != nil {
		return nil, err
	}
	p.edges(ctx)
	p.report.Requests = p.c.requests.Load()
	return p.report, nil
}
