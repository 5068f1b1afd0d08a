package probe

import (
	"context"
	"fmt"
	"maps"
	"strings"

	"github.com/google/uuid"
)

// The variants. A tenant operation gets all of them (those that do not
// apply are reported as skipped, with the reason); public and platform
// operations the ones of their kind.
const (
	vNoSession     = "no-session"
	vExpired       = "expired-token"
	vLoggedOut     = "logged-out-session"
	vRemoved       = "removed-member"
	vNoSig         = "no-tenant-sig"
	vOtherSig      = "other-account-sig"
	vBSig          = "b-tenant-sig"
	vBHost         = "b-host"
	vRoleBelow     = "role-below"
	vMassAssign    = "mass-assignment"
	vForeignID     = "foreign-id"
	vForeignCursor = "foreign-cursor"
	vControl       = "control"
	vSpoofed       = "spoofed-headers"
	vOtherHost     = "other-host"
	vTenantSession = "tenant-session"
)

// expectation is the outcome a variant must have.
type expectation struct {
	want string
	ok   func(r response) bool
	// changesB: the request acts for tenant B (a public form sent to B's
	// host), so B's data may change: B is read anew, not compared.
	changesB bool
}

func wantStatus(codes ...int) expectation {
	var names []string
	for _, c := range codes {
		names = append(names, fmt.Sprint(c))
	}
	return expectation{want: strings.Join(names, "/"), ok: func(r response) bool {
		for _, c := range codes {
			if r.status == c {
				return true
			}
		}
		return false
	}}
}

var (
	want2xx = expectation{want: "2xx", ok: func(r response) bool { return r.status/100 == 2 }}
	want4xx = expectation{want: "4xx", ok: func(r response) bool { return r.status/100 == 4 }}
)

// matrix runs the variants of every operation.
func (p *prober) matrix(ctx context.Context) {
	for _, op := range p.ops {
		or := &OperationResult{Operation: *op}
		p.report.Operations = append(p.report.Operations, or)
		p.cfg.logf("probe: %s %s (%s, %s)", op.Method, op.Path, op.Host, op.Tenancy)
		var err error
		switch {
		case op.Host == "tenant" && op.Tenancy == "tenant":
			err = p.tenantOp(ctx, op, or)
		case op.Tenancy == "public":
			err = p.publicOp(ctx, op, or)
		case op.Host == "apex" && op.Tenancy == "platform" && op.MinRole == minRoleOperator:
			err = p.operatorOp(ctx, op, or)
		case op.Host == "apex" && op.Tenancy == "platform":
			err = p.platformOp(ctx, op, or)
		default:
			err = fmt.Errorf("tenancy %q on the %s host: the probe has no variants for it", op.Tenancy, op.Host)
		}
		if err != nil {
			or.NotCovered = err.Error()
			p.report.fail(op.Key(), "", "not covered: %v", err)
		}
		if op.safe() {
			p.checkB(ctx, or, "")
		}
		p.keepAlive(ctx, op)
	}
}

// run sends one variant and checks it: the status, no secret of the other
// tenant anywhere in the answer, and (for operations that change
// something) tenant B's data unchanged when B reads it back.
func (p *prober) run(ctx context.Context, or *OperationResult, name string, e expectation, r request, other *secrets) (response, bool) {
	v := &VariantResult{Name: name, Want: e.want}
	or.Variants = append(or.Variants, v)
	resp, err := p.c.do(ctx, r)
	if err != nil {
		v.Detail = err.Error()
		p.report.fail(or.Key(), name, "request failed: %v", err)
		return resp, false
	}
	v.Status, v.OK = resp.status, e.ok(resp)
	if !v.OK {
		v.Detail = "got " + resp.String()
		p.report.fail(or.Key(), name, "want %s, got %s", e.want, resp)
	}
	for _, leak := range other.find(resp, echoOf(r)) {
		v.OK = false
		v.Detail = leak
		p.report.fail(or.Key(), name, "leak: %s", leak)
	}
	switch {
	case or.safe():
	case e.changesB:
		fp, err := p.fingerprintB(ctx)
		if err != nil {
			p.report.fail(or.Key(), name, "read B back: %v", err)
			v.OK = false
		}
		p.fingerprint = fp
	case !p.checkB(ctx, or, name):
		v.OK = false
	}
	return resp, v.OK
}

func skip(or *OperationResult, name, why string) {
	or.Variants = append(or.Variants, &VariantResult{Name: name, Skipped: why})
}

// checkB reads tenant B's data back as B and compares it with the last
// reading.
func (p *prober) checkB(ctx context.Context, or *OperationResult, variant string) bool {
	fp, err := p.fingerprintB(ctx)
	if err != nil {
		p.report.fail(or.Key(), variant, "read B back: %v", err)
		return false
	}
	if fp != p.fingerprint {
		p.fingerprint = fp
		p.report.fail(or.Key(), variant, "%s's data changed (read back as %s)", p.b.slug, p.b.slug)
		return false
	}
	return true
}

// keepAlive checks that the run's own sessions survived op: an operation
// that ends a session it was not given is a finding (or an entry missing
// from the table of special operations).
func (p *prober) keepAlive(ctx context.Context, op *Operation) {
	get, err := p.op("tenant", "get-session")
	if err != nil {
		return
	}
	for _, s := range []*session{p.a.owner, p.roles["staff"], p.roles["client"], p.b.owner} {
		host := p.a.host
		if s == p.b.owner {
			host = p.b.host
		}
		r, err := p.c.do(ctx, request{method: get.Method, host: host, path: get.Path, token: s.token, sig: s.sig})
		if err != nil || r.status == 200 {
			continue
		}
		p.report.fail(op.Key(), "", "ended a session of %s it was not given (%d): mark it in the probe's table of special operations, or fix it", s.email, r.status)
		t := p.a
		if s == p.b.owner {
			t = p.b
		}
		if fresh, err := p.signIn(ctx, host, s.email, s.password, t); err == nil {
			*s = *fresh
		}
	}
}

// roleBelow returns the role just under min, or "".
func roleBelow(min string) string {
	return map[string]string{"owner": "admin", "admin": "staff", "staff": "client"}[min]
}

func with(r request, mod func(*request)) request {
	r.header = maps.Clone(r.header)
	if r.header == nil {
		r.header = map[string]string{}
	}
	mod(&r)
	return r
}

// spoofedHeaders name tenant B in every way a client might hope the
// server trusts.
func (p *prober) spoofedHeaders() map[string]string {
	return map[string]string{"X-Tenant-Id": p.b.id, "X-Tenant-Slug": p.b.slug, "X-Tenant": p.b.slug, "X-Forwarded-Host": p.b.host}
}

// tenantOp runs the variants of an operation with x-tenancy tenant.
func (p *prober) tenantOp(ctx context.Context, op *Operation, or *OperationResult) error {
	c1, actor, err := p.begin(ctx, op, or)
	if err != nil {
		return err
	}
	base, B := c1.render(), p.b.secrets
	for _, how := range []string{"logged-out", "removed"} {
		name := map[string]string{"logged-out": vLoggedOut, "removed": vRemoved}[how]
		dead, err := p.deadSession(ctx, how)
		if err != nil {
			return err
		}
		p.run(ctx, or, name, wantStatus(401), with(base, func(r *request) { r.token, r.sig = dead.token, dead.sig }), B)
	}
	p.run(ctx, or, vNoSig, wantStatus(403), with(base, func(r *request) { r.sig = "" }), B)
	other := p.roles["staff"]
	if other.accountID == actor.accountID {
		other = p.a.owner
	}
	p.run(ctx, or, vOtherSig, wantStatus(403), with(base, func(r *request) { r.token = other.token }), B)
	p.run(ctx, or, vBSig, wantStatus(403), with(base, func(r *request) { r.sig = p.b.owner.sig }), B)
	p.run(ctx, or, vBHost, wantStatus(403), with(base, func(r *request) { r.host = p.b.host }), B)
	if below := roleBelow(op.MinRole); below == "" {
		skip(or, vRoleBelow, "no role below "+op.MinRole)
	} else {
		s, err := p.sessionOfRole(ctx, below)
		if err != nil {
			return err
		}
		p.run(ctx, or, vRoleBelow, wantStatus(403), with(base, func(r *request) { r.token, r.sig = s.token, s.sig }), B)
	}
	if c1.body == nil {
		skip(or, vMassAssign, "no request body")
	} else {
		m := c1.clone()
		m.body["tenant_id"] = p.b.id
		p.run(ctx, or, vMassAssign, wantStatus(400, 422), m.render(), B)
	}
	if err := p.foreignIDs(ctx, or, c1); err != nil {
		return err
	}
	p.foreignCursor(ctx, or, c1)

	return p.controlAndSpoofed(ctx, or, c1)
}

// actor returns who calls op in its control: tenant A's caller of op (on
// the apex, A's owner's platform session), or a throwaway session of the least
// role op allows when a success ends the session.
func (p *prober) actor(ctx context.Context, op *Operation) (*session, error) {
	apex := op.Host == "apex"
	switch {
	case apex && op.MinRole == minRoleOperator:
		return p.operatorSession(ctx)
	case specials[op.ID].endsSession && apex:
		return p.throwaway(ctx, "client", true)
	case specials[op.ID].endsSession:
		return p.throwaway(ctx, op.MinRole, false)
	case apex:
		return p.platform, nil
	}
	return p.a.caller(op), nil
}

// begin builds the control of op and runs the variants without a live
// credential.
func (p *prober) begin(ctx context.Context, op *Operation, or *OperationResult) (*call, *session, error) {
	actor, err := p.actor(ctx, op)
	if err != nil {
		return nil, nil, err
	}
	c1, err := p.build(ctx, op, p.a, actor, true)
	if err != nil {
		return nil, nil, err
	}
	p.unauthenticated(ctx, or, c1.render(), actor)
	return c1, actor, nil
}

// unauthenticated runs the variants without a live credential: no token,
// and the actor's token expired.
func (p *prober) unauthenticated(ctx context.Context, or *OperationResult, base request, actor *session) {
	p.run(ctx, or, vNoSession, wantStatus(401), with(base, func(r *request) { r.token = "" }), p.b.secrets)
	if tok, err := p.expired(actor); err != nil {
		skip(or, vExpired, err.Error())
	} else {
		p.run(ctx, or, vExpired, wantStatus(401), with(base, func(r *request) { r.token = tok }), p.b.secrets)
	}
}

// controlAndSpoofed runs the control c1, then the control again, built
// afresh (for a fresh actor if the first ended its session), with headers
// naming tenant B: both must succeed.
func (p *prober) controlAndSpoofed(ctx context.Context, or *OperationResult, c1 *call) error {
	if resp, ok := p.run(ctx, or, vControl, want2xx, c1.render(), p.b.secrets); ok {
		p.after(ctx, or, c1, resp)
	} else {
		p.report.fail(or.Key(), vControl, "the control failed: the refusals above prove nothing for this operation")
	}
	actor, err := p.actor(ctx, c1.op)
	if err != nil {
		return err
	}
	c2, err := p.build(ctx, c1.op, c1.t, actor, true)
	if err != nil {
		return err
	}
	spoofed := with(c2.render(), func(r *request) { maps.Copy(r.header, p.spoofedHeaders()) })
	if resp, ok := p.run(ctx, or, vSpoofed, want2xx, spoofed, p.b.secrets); ok {
		p.after(ctx, or, c2, resp)
	}
	return nil
}

func (p *prober) after(ctx context.Context, or *OperationResult, c *call, resp response) {
	if sp := specials[c.op.ID]; sp.after != nil {
		if err := sp.after(ctx, p, c, resp); err != nil {
			p.report.fail(or.Key(), "", "after a success: %v", err)
		}
	}
}

// foreignIDs puts one of B's ids in each id slot of the call in turn: the
// answer must be 404, the same as for an id that exists nowhere.
func (p *prober) foreignIDs(ctx context.Context, or *OperationResult, c *call) error {
	if len(c.slots) == 0 {
		skip(or, vForeignID, "no resource id in the path, query or body")
		return nil
	}
	for _, sl := range c.slots {
		name := vForeignID + " " + sl.loc
		ids := p.b.byTemplate[sl.coll]
		if len(ids) == 0 {
			return fmt.Errorf("%s: %s has no item in %s: the foreign-id variant cannot run (seed %s)", sl.loc, p.b.slug, sl.coll, p.b.slug)
		}
		missing := c.clone()
		sl.set(missing, uuid.NewString())
		mr := missing.render()
		absent, err := p.c.do(ctx, mr)
		if err != nil {
			return err
		}
		foreign := c.clone()
		sl.set(foreign, ids[p.v.intn(len(ids))])
		e := expectation{want: "404, as a missing id", ok: func(r response) bool {
			return r.status == 404 && absent.status == 404 && r.problem() == absent.problem()
		}}
		if _, ok := p.run(ctx, or, name, e, foreign.render(), p.b.secrets); !ok && absent.status != 404 {
			p.report.fail(or.Key(), name, "a missing id answers %s", absent)
		}
	}
	return nil
}

// foreignCursor sends, to a list with a cursor parameter, a cursor tenant
// B's list handed out: it must be refused like any invalid cursor.
func (p *prober) foreignCursor(ctx context.Context, or *OperationResult, c *call) {
	if c.op.param("cursor", "query").schema == nil {
		skip(or, vForeignCursor, "no cursor parameter")
		return
	}
	var cursor string
	for path, cur := range p.b.cursors {
		if strings.HasPrefix(path, strings.Split(c.op.Path, "{")[0]) && strings.Count(path, "/") == strings.Count(c.op.Path, "/") {
			cursor = cur
		}
	}
	if cursor == "" {
		skip(or, vForeignCursor, p.b.slug+"'s list has one page only: no cursor of it to replay")
		return
	}
	junk := c.clone()
	junk.query.Set("cursor", "eyJ0IjoiMCJ9.AAAA")
	bad, err := p.c.do(ctx, junk.render())
	if err != nil {
		p.report.fail(or.Key(), vForeignCursor, "request failed: %v", err)
		return
	}
	foreign := c.clone()
	foreign.query.Set("cursor", cursor)
	e := expectation{want: "4xx, as an invalid cursor", ok: func(r response) bool {
		return r.status/100 == 4 && r.status == bad.status && r.problem() == bad.problem()
	}}
	p.run(ctx, or, vForeignCursor, e, foreign.render(), p.b.secrets)
}

// publicOp runs the variants of a public operation: on tenant A's host it
// answers with A's data only; sent to B's host, a request built for A
// answers with none of A's data, and is refused if its credential or token
// belongs to A.
func (p *prober) publicOp(ctx context.Context, op *Operation, or *OperationResult) error {
	sp := specials[op.ID]
	if op.Host == "apex" {
		c, err := p.build(ctx, op, p.a, p.a.owner, true)
		if err != nil {
			return err
		}
		if resp, ok := p.run(ctx, or, vControl, want2xx, c.render(), p.b.secrets); ok {
			p.after(ctx, or, c, resp)
		}
		return nil
	}
	c1, err := p.build(ctx, op, p.a, p.a.owner, true)
	if err != nil {
		return err
	}
	onB := func(c *call) request { return with(c.render(), func(r *request) { r.host = p.b.host }) }
	if sp.hostBound {
		// Refused on B's host, the token or credential is still good for
		// the control on A's.
		p.run(ctx, or, vOtherHost, want4xx, onB(c1), p.a.secrets)
		if resp, ok := p.run(ctx, or, vControl, want2xx, c1.render(), p.b.secrets); ok {
			p.after(ctx, or, c1, resp)
		}
		return nil
	}
	if resp, ok := p.run(ctx, or, vControl, want2xx, c1.render(), p.b.secrets); ok {
		p.after(ctx, or, c1, resp)
	}
	c2, err := p.build(ctx, op, p.a, p.a.owner, true)
	if err != nil {
		return err
	}
	onBHost := want2xx
	onBHost.changesB = true
	p.run(ctx, or, vOtherHost, onBHost, onB(c2), p.a.secrets)
	return nil
}

// platformOp runs the variants of an apex operation that needs a platform
// session.
func (p *prober) platformOp(ctx context.Context, op *Operation, or *OperationResult) error {
	c1, _, err := p.begin(ctx, op, or)
	if err != nil {
		return err
	}
	base, B := c1.render(), p.b.secrets
	dead, err := p.deadSession(ctx, "platform")
	if err != nil {
		return err
	}
	p.run(ctx, or, vLoggedOut, wantStatus(401), with(base, func(r *request) { r.token = dead.token }), B)
	p.run(ctx, or, vTenantSession, wantStatus(403), with(base, func(r *request) { r.token, r.sig = p.a.owner.token, p.a.owner.sig }), B)
	return p.controlAndSpoofed(ctx, or, c1)
}
