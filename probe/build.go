package probe

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// call is a request under construction: an operation with its parameters
// and body, built for one tenant and actor. Variants change a clone.
type call struct {
	op     *Operation
	t      *tenantState // whose ids fill the parameters
	host   string
	actor  *session
	path   map[string]string
	query  url.Values
	header map[string]string
	body   map[string]any // nil: no body
	slots  []*slot        // where ids of t sit
}

// slot is one place a resource id sits in a call.
type slot struct {
	loc  string // "path {id}", "body ids[0]", "query service_id"
	coll string // the template of the collection that lists such ids
	set  func(c *call, id string)
}

func (c *call) clone() *call {
	out := *c
	out.path = map[string]string{}
	for k, v := range c.path {
		out.path[k] = v
	}
	out.query = url.Values{}
	for k, v := range c.query {
		out.query[k] = append([]string(nil), v...)
	}
	out.header = map[string]string{}
	for k, v := range c.header {
		out.header[k] = v
	}
	if c.body != nil {
		b, _ := json.Marshal(c.body)
		out.body = nil
		_ = json.Unmarshal(b, &out.body)
	}
	return &out
}

// render returns the HTTP request: the actor's credentials, the host, the
// path with its parameters.
func (c *call) render() request {
	path := renderPath(c.op.Path, c.path)
	r := request{method: c.op.Method, host: c.host, path: withQuery(path, c.query), header: c.header}
	if c.body != nil {
		r.body = c.body
	}
	if c.actor != nil {
		r.token, r.sig = c.actor.token, c.actor.sig
	}
	sp := specials[c.op.ID]
	r.signIn, r.limited = sp.signIn, sp.limited
	return r
}

func renderPath(tmpl string, vals map[string]string) string {
	segs := segments(tmpl)
	for i, seg := range segs {
		if name, ok := paramName(seg); ok {
			segs[i] = url.PathEscape(vals[name])
		}
	}
	return "/" + strings.Join(segs, "/")
}

func (o *Operation) param(name, in string) param {
	for _, p := range o.params {
		if p.name == name && p.in == in {
			return p
		}
	}
	return param{name: name, in: in}
}

// build derives a call of op for tenant t by actor. With fresh, every id
// the call needs belongs to an item created (or provided) for this call,
// so that a destructive operation never consumes what another needs.
// Operations that change something always get fresh items.
func (p *prober) build(ctx context.Context, op *Operation, t *tenantState, actor *session, fresh bool) (*call, error) {
	return p.buildWith(ctx, op, t, actor, fresh, nil)
}

func (p *prober) buildWith(ctx context.Context, op *Operation, t *tenantState, actor *session, fresh bool, preset map[string]string) (*call, error) {
	c := &call{op: op, t: t, host: t.host, actor: actor, path: map[string]string{}, query: url.Values{}, header: map[string]string{}}
	if op.Host == "apex" {
		c.host = p.apex
	}
	fresh = fresh && !op.safe()
	h := hints{emailDomain: t.slug + ".test", password: fixturePassword}
	// chosen holds the id picked for each list so far.
	chosen := map[string]string{}
	segs := segments(op.Path)
	for i, seg := range segs {
		name, ok := paramName(seg)
		if !ok {
			continue
		}
		if v, ok := preset[name]; ok {
			c.path[name] = v
			continue
		}
		if item := specials[op.ID].item; item != nil && name != "id" && op.Host == "apex" {
			// An apex item outside the path convention (an operator's
			// {tenant_id}): always the special's fresh one.
			id, err := item(ctx, p, t)
			if err != nil {
				return nil, fmt.Errorf("path parameter {%s}: %w", name, err)
			}
			c.path[name] = id
			continue
		}
		prm := op.param(name, "path")
		if !isIDName(name) && (prm.schema == nil || prm.schema.Format != "uuid") {
			v, err := p.v.scalar(prm.schema, name, h)
			if err != nil {
				return nil, err
			}
			c.path[name] = fmt.Sprint(v)
			continue
		}
		tmpl := "/" + strings.Join(segs[:i], "/")
		concrete := ""
		if p.collections[tmpl] == nil {
			// A parameter its path's prefix does not list names its list
			// as a body field does: {service_id} is an item of GET
			// /api/services. A list under an item (…/{id}/comments) is
			// the one under the item already chosen for the parameter
			// before it.
			named, err := p.collectionFor(op, name)
			if name == "id" || err != nil {
				return nil, fmt.Errorf("path parameter {%s}: no list operation GET %s to learn its ids from (path convention), nor one its name names", name, tmpl)
			}
			tmpl = named
			if concrete, err = renderUnder(tmpl, chosen); err != nil {
				return nil, fmt.Errorf("path parameter {%s}: %w", name, err)
			}
		} else {
			concrete = renderPath(tmpl, c.path)
		}
		var id string
		var err error
		if item := specials[op.ID].item; item != nil && (fresh || op.safe()) && name == "id" {
			id, err = item(ctx, p, t)
		} else {
			id, err = p.idFor(ctx, t, tmpl, concrete, fresh, op)
		}
		if err != nil {
			return nil, fmt.Errorf("path parameter {%s}: %w", name, err)
		}
		c.path[name] = id
		chosen[tmpl] = id
		c.slots = append(c.slots, &slot{loc: "path {" + name + "}", coll: tmpl, set: func(c *call, id string) { c.path[name] = id }})
	}
	for _, prm := range op.params {
		if prm.in == "path" || !prm.required {
			continue
		}
		var v string
		if isIDName(prm.name) {
			tmpl, err := p.collectionFor(op, prm.name)
			if err != nil {
				return nil, err
			}
			if v, err = p.idFor(ctx, t, tmpl, renderPath(tmpl, c.path), fresh, op); err != nil {
				return nil, err
			}
			name, in := prm.name, prm.in
			c.slots = append(c.slots, &slot{loc: in + " " + name, coll: tmpl, set: func(c *call, id string) {
				if in == "query" {
					c.query.Set(name, id)
				} else {
					c.header[name] = id
				}
			}})
		} else {
			x, err := p.v.scalar(prm.schema, prm.name, h)
			if err != nil {
				return nil, err
			}
			v = fmt.Sprint(x)
		}
		if prm.in == "query" {
			c.query.Set(prm.name, v)
		} else {
			c.header[prm.name] = v
		}
	}
	sp := specials[op.ID]
	if op.body != nil {
		c.body = map[string]any{}
	}
	if sp.fill != nil {
		if err := sp.fill(ctx, p, c); err != nil {
			return nil, fmt.Errorf("fill %s: %w", op.ID, err)
		}
	}
	if op.body != nil {
		if op.body.kind() != "object" {
			return nil, fmt.Errorf("request body of type %q: the probe derives only objects", op.body.kind())
		}
		for _, name := range op.body.propertyNames() {
			if _, set := c.body[name]; set || !op.body.requires(name) {
				continue
			}
			v, err := p.field(ctx, c, op.body.Properties[name], name, "body "+name, fresh, h, func(c *call) map[string]any { return c.body })
			if err != nil {
				return nil, fmt.Errorf("body field %s: %w", name, err)
			}
			c.body[name] = v
		}
	}
	return c, nil
}

// renderUnder fills the parameters of list template tmpl with the ids
// chosen for the lists above each of them.
func renderUnder(tmpl string, chosen map[string]string) (string, error) {
	segs := segments(tmpl)
	for i, seg := range segs {
		if _, ok := paramName(seg); !ok {
			continue
		}
		parent := "/" + strings.Join(segs[:i], "/")
		id, ok := chosen[parent]
		if !ok {
			return "", fmt.Errorf("list %s lies under an item of %s, and no parameter before it names one", tmpl, parent)
		}
		segs[i] = id
	}
	return "/" + strings.Join(segs, "/"), nil
}

// field derives the value of a body field; obj finds, in a clone of the
// call, the object the field belongs to (for the slots of id fields).
func (p *prober) field(ctx context.Context, c *call, s *schema, name, loc string, fresh bool, h hints, obj func(*call) map[string]any) (any, error) {
	if isIDName(name) {
		tmpl, err := p.collectionFor(c.op, name)
		if err != nil {
			return nil, err
		}
		concrete := renderPath(tmpl, c.path)
		if s.kind() == "array" {
			n := 1
			if s.MinItems != nil && *s.MinItems > 1 {
				n = *s.MinItems
			}
			ids := make([]any, n)
			for i := range ids {
				id, err := p.idFor(ctx, c.t, tmpl, concrete, fresh, c.op)
				if err != nil {
					return nil, err
				}
				ids[i] = id
				c.slots = append(c.slots, &slot{loc: fmt.Sprintf("%s[%d]", loc, i), coll: tmpl, set: func(c *call, id string) {
					obj(c)[name].([]any)[i] = id
				}})
			}
			return ids, nil
		}
		id, err := p.idFor(ctx, c.t, tmpl, concrete, fresh, c.op)
		if err != nil {
			return nil, err
		}
		c.slots = append(c.slots, &slot{loc: loc, coll: tmpl, set: func(c *call, id string) { obj(c)[name] = id }})
		return id, nil
	}
	switch s.kind() {
	case "object":
		out := map[string]any{}
		for _, n := range s.propertyNames() {
			if !s.requires(n) {
				continue
			}
			v, err := p.field(ctx, c, s.Properties[n], n, loc+"."+n, fresh, h, func(c *call) map[string]any { return obj(c)[name].(map[string]any) })
			if err != nil {
				return nil, err
			}
			out[n] = v
		}
		return out, nil
	case "array":
		n := 1
		if s.MinItems != nil {
			n = max(*s.MinItems, 1)
		}
		out := make([]any, n)
		for i := range out {
			v, err := p.v.scalar(s.Items, name, h)
			if err != nil {
				return nil, err
			}
			out[i] = v
		}
		return out, nil
	}
	return p.v.scalar(s, name, h)
}

// collectionFor names the collection whose items a body or query field
// holds, by the API's conventions: "ids" are items of the nearest list
// above the operation's path (/api/services/bulk/delete → /api/services);
// "x_id" and "x_ids" are items of the list whose last segment is x's
// plural (client_member_id → …/members, the longest suffix of the name
// that matches).
func (p *prober) collectionFor(op *Operation, name string) (string, error) {
	segs := segments(op.Path)
	if name == "ids" || name == "id" {
		for k := len(segs) - 1; k > 0; k-- {
			if tmpl := "/" + strings.Join(segs[:k], "/"); p.collections[tmpl] != nil {
				return tmpl, nil
			}
		}
		return "", fmt.Errorf("field %q: no list above %s to learn its ids from", name, op.Path)
	}
	base := strings.TrimSuffix(strings.TrimSuffix(name, "_ids"), "_id")
	words := strings.Split(base, "_")
	for i := range words {
		cand := strings.Join(words[i:], "_")
		for _, plural := range []string{cand + "s", strings.TrimSuffix(cand, "y") + "ies", cand + "es"} {
			best := ""
			for tmpl := range p.collections {
				segs := segments(tmpl)
				last := segs[len(segs)-1]
				if last != plural && last != strings.ReplaceAll(plural, "_", "-") {
					continue
				}
				if best == "" || nearer(tmpl, best) {
					best = tmpl
				}
			}
			if best != "" {
				return best, nil
			}
		}
	}
	return "", fmt.Errorf("field %q: no list operation whose path ends in its plural to learn its ids from (naming convention: x_id ↔ GET …/xs)", name)
}

// nearer orders the collections a field name may refer to: fewer
// parameters, then fewer segments (/api/services before
// /api/portal/services), then by name.
func nearer(a, b string) bool {
	if pa, pb := strings.Count(a, "{"), strings.Count(b, "{"); pa != pb {
		return pa < pb
	}
	if sa, sb := strings.Count(a, "/"), strings.Count(b, "/"); sa != sb {
		return sa < sb
	}
	return a < b
}

// idFor returns an id of collection tmpl (at concrete path concrete) of
// tenant t: a fresh item's when fresh, else a learned one (creating one if
// the tenant has none).
func (p *prober) idFor(ctx context.Context, t *tenantState, tmpl, concrete string, fresh bool, user *Operation) (string, error) {
	if !fresh {
		if id, ok := t.pick(concrete, p.v, p.randomIDs); ok {
			return id, nil
		}
		if p.randomIDs {
			return "", fmt.Errorf("no %s item of %s", tmpl, t.slug)
		}
	}
	if prov := providers[tmpl]; prov != nil {
		if t != p.a {
			return "", fmt.Errorf("no fresh %s item of %s: fixtures are made in tenant A only", tmpl, t.slug)
		}
		return prov(ctx, p, user.Method != "DELETE" && !specials[user.ID].revokes)
	}
	create := p.creator(tmpl)
	if create == nil {
		return "", fmt.Errorf("%s %s needs a fresh item of %s (it changes or deletes it), but there is no POST %s returning an id, nor a provider in the probe's table", user.Method, user.Path, tmpl, tmpl)
	}
	preset := map[string]string{}
	segs := segments(tmpl)
	csegs := segments(concrete)
	for i, seg := range segs {
		if name, ok := paramName(seg); ok && i < len(csegs) {
			preset[name] = csegs[i]
		}
	}
	c, err := p.buildWith(ctx, create, t, t.caller(create), false, preset)
	if err != nil {
		return "", fmt.Errorf("create a %s item: %w", tmpl, err)
	}
	r, err := p.c.do(ctx, c.render())
	if err != nil {
		return "", err
	}
	var out struct{ ID string }
	if r.status/100 != 2 || r.json(&out) != nil || out.ID == "" {
		return "", errStatus(fmt.Sprintf("create a %s item for %s", tmpl, t.slug), r)
	}
	return strings.ToLower(out.ID), nil
}

// creator returns the operation that creates items of collection tmpl.
func (p *prober) creator(tmpl string) *Operation {
	for _, op := range p.ops {
		if op.Host == "tenant" && op.Method == "POST" && op.Path == tmpl && op.Tenancy == "tenant" && op.createsID {
			return op
		}
	}
	return nil
}
