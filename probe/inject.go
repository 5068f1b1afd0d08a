package probe

import (
	"context"
	"fmt"
	"maps"
	"strings"
	"time"
)

// InjectionResult sums up the SQL-injection pass.
type InjectionResult struct {
	// Payloads is the number of payloads, Inputs the number of string
	// inputs (path, query and header parameters, body fields) they went
	// through, Requests the requests sent.
	Payloads int `json:"payloads"`
	Inputs   int `json:"inputs"`
	Requests int `json:"requests"`
	// RateLimited counts answers 429: refused before the handler ran.
	RateLimited int `json:"rate_limited"`
	// ServerErrors and Leaks count failures.
	ServerErrors int `json:"server_errors"`
	Leaks        int `json:"leaks"`
	// NotExercised lists the operations (or the rest of their inputs)
	// whose request could not be built, with the reason: typically the
	// server's sign-in limit, when the request needs a new session.
	NotExercised []string `json:"not_exercised,omitempty"`
}

// injectionPayloads are SQL-injection payloads: classic tautologies and
// comment tricks, stacked statements (one that switches the tenant
// setting to B, THREATS DB-24), unions, error-based extraction, LIKE
// wildcards, and bytes PostgreSQL refuses in text (NUL). "{B}" is replaced
// by tenant B's id.
var injectionPayloads = []string{
	`' OR '1'='1`,
	`' OR 1=1--`,
	`" OR ""="`,
	`') OR ('1'='1`,
	`admin'--`,
	`'; DROP TABLE services;--`,
	`'; SELECT set_config('app.current_tenant_id', '{B}', false);--`,
	`{B}'); SELECT set_config('app.current_tenant_id', '{B}', true);--`,
	`' UNION SELECT id::text, name, NULL FROM services--`,
	`' UNION ALL SELECT NULL, NULL, NULL, NULL--`,
	`' AND 1=CAST((SELECT tenant_id::text FROM services LIMIT 1) AS int)--`,
	`'||(SELECT current_setting('app.current_tenant_id'))||'`,
	`1; SELECT pg_sleep(0.2)--`,
	`1' ORDER BY 100--`,
	`$1`,
	`\'; --`,
	`%' OR name LIKE '%`,
	`%_%`,
	`{B}`,
	"probe\x00nul",
}

// stringInput is one place a string goes in a call.
type stringInput struct {
	loc string
	set func(c *call, v string)
}

// stringInputs lists every string input of op: path, query and header
// parameters, and body fields (top level and nested objects, the first
// element of string arrays).
func stringInputs(op *Operation) []stringInput {
	var out []stringInput
	for _, prm := range op.params {
		if prm.schema != nil && prm.schema.kind() != "string" && prm.schema.kind() != "" {
			continue
		}
		name, in := prm.name, prm.in
		out = append(out, stringInput{loc: in + " " + name, set: func(c *call, v string) {
			switch in {
			case "path":
				c.path[name] = v
			case "query":
				c.query.Set(name, v)
			default:
				c.header[name] = v
			}
		}})
	}
	var walk func(s *schema, loc string, obj func(*call) map[string]any)
	walk = func(s *schema, loc string, obj func(*call) map[string]any) {
		for _, name := range s.propertyNames() {
			ps := s.Properties[name]
			switch ps.kind() {
			case "string", "":
				out = append(out, stringInput{loc: loc + name, set: func(c *call, v string) { obj(c)[name] = v }})
			case "array":
				if ps.Items != nil && ps.Items.kind() == "string" {
					out = append(out, stringInput{loc: loc + name + "[0]", set: func(c *call, v string) {
						obj(c)[name] = []any{v}
					}})
				}
			case "object":
				walk(ps, loc+name+".", func(c *call) map[string]any {
					m, ok := obj(c)[name].(map[string]any)
					if !ok {
						m = map[string]any{}
						obj(c)[name] = m
					}
					return m
				})
			}
		}
	}
	if op.body != nil {
		walk(op.body, "body ", func(c *call) map[string]any { return c.body })
	}
	return out
}

// inject sends every payload through every string input of every
// operation, each time in an otherwise valid request (the control's):
// no answer may be a server error or hold anything of tenant B's. A
// payload waits out a short rate limit (a tenant's request rate, up to
// injectionMaxWait) so that it reaches the handler; a longer one (sign-in
// and password reset per address and account) answers 429, a safe outcome
// that is counted. An input whose request cannot be built for want of a
// sign-in is counted as not exercised. Reading B back waits as any request
// of the probe does.
// injectionMaxWait is the longest Retry-After a payload waits out.
const injectionMaxWait = 3 * time.Second

func (p *prober) inject(ctx context.Context) {
	res := &InjectionResult{Payloads: len(injectionPayloads)}
	p.report.Injection = res
	// Every request is built before any payload is sent: the payloads
	// exhaust per-client limits (sign-in, password reset) that building a
	// request may need.
	bases := map[*Operation]*call{}
	for _, op := range p.ops {
		if len(stringInputs(op)) == 0 {
			continue
		}
		c, err := p.injectionBase(ctx, op)
		if err != nil {
			res.NotExercised = append(res.NotExercised, fmt.Sprintf("%s: %v", op.Key(), err))
			continue
		}
		bases[op] = c
	}
	for _, op := range p.ops {
		inputs := stringInputs(op)
		if bases[op] == nil {
			continue
		}
		res.Inputs += len(inputs)
		p.injectOp(ctx, op, bases[op], inputs, res)
		if !op.safe() {
			p.checkB(ctx, &OperationResult{Operation: *op}, "injection")
		}
	}
}

func (p *prober) injectOp(ctx context.Context, op *Operation, c *call, inputs []stringInput, res *InjectionResult) {
	for _, in := range inputs {
		for _, raw := range injectionPayloads {
			payload := strings.ReplaceAll(raw, "{B}", p.b.id)
			if op.MinRole == minRoleOperator && strings.HasPrefix(in.loc, "path ") && strings.Contains(payload, p.b.id) {
				// An operator may act on every organization: B's id in the
				// path of its operation is no attack but a real target,
				// which the probe must never suspend or delete.
				continue
			}
			if strings.HasPrefix(in.loc, "header ") && strings.ContainsAny(payload, "\x00\r\n") {
				continue // not a valid header value: the client refuses to send it
			}
			x := c.clone()
			in.set(x, payload)
			r := x.render()
			resp, err := p.c.waiting(ctx, r, min(p.c.maxWait, injectionMaxWait))
			res.Requests++
			if err != nil {
				p.report.fail(op.Key(), "injection "+in.loc, "payload %q: request failed: %v", payload, err)
				continue
			}
			switch {
			case resp.status == 429:
				res.RateLimited++
			case resp.status >= 500:
				res.ServerErrors++
				p.report.fail(op.Key(), "injection "+in.loc, "payload %q: %s", payload, resp)
			}
			// Payloads carry B's tenant id, and an operation that stores
			// them shows them again in later answers: the probe's own
			// words, not a leak.
			p.planted[p.b.id] = true
			echo := echoOf(r)
			maps.Copy(echo, p.planted)
			for _, leak := range p.b.secrets.find(resp, echo) {
				res.Leaks++
				p.report.fail(op.Key(), "injection "+in.loc, "payload %q: leak: %s", payload, leak)
			}
			if resp.status/100 == 2 && specials[op.ID].endsSession {
				// The session ended; go on with its successor.
				p.after(ctx, &OperationResult{Operation: *op}, x, resp)
				if c, err = p.injectionBase(ctx, op); err != nil {
					res.NotExercised = append(res.NotExercised, fmt.Sprintf("%s after %s: %v", op.Key(), in.loc, err))
					return
				}
			}
		}
	}
}

// injectionBase builds the control request of op for the injection pass.
func (p *prober) injectionBase(ctx context.Context, op *Operation) (*call, error) {
	actor := p.a.caller(op)
	var err error
	switch {
	case specials[op.ID].endsSession:
		actor, err = p.throwaway(ctx, map[bool]string{true: "client", false: op.MinRole}[op.Host == "apex"], op.Host == "apex")
	case op.Host == "apex" && op.MinRole == minRoleOperator:
		actor, err = p.operatorSession(ctx)
	case op.Host == "apex" && op.Tenancy == "platform":
		actor = p.platform
	}
	if err != nil {
		return nil, err
	}
	if op.Tenancy == "public" {
		actor = p.a.owner
		if specials[op.ID].signIn {
			// Sign-ins with payloads fail; an unknown address keeps them off
			// the real logins' per-email limit.
			actor = &session{email: "probe-nobody-" + p.v.word(8) + "@" + p.a.slug + ".test", password: fixturePassword}
		}
	}
	c, err := p.build(ctx, op, p.a, actor, true)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", op.Key(), err)
	}
	return c, nil
}
