package probe

import (
	"context"
	"fmt"
	"strings"
)

// Platform operators' operations (x-min-role operator, on the apex) run
// the tenant lifecycle on any organization: no organization is foreign to
// an operator, so their variants are the refusals of everyone else — no
// session, a dead or expired one, a tenant session, and a plain account
// (the role below an operator) — and the control, by an operator, acting
// on a throwaway organization the probe creates: never on tenant A, B or
// the soak's.

const minRoleOperator = "operator"

// operatorSession returns the run's operator: a fresh account of tenant A,
// granted the operator role through Config.GrantOperator and signed in on
// the apex.
func (p *prober) operatorSession(ctx context.Context) (*session, error) {
	if p.operator != nil {
		return p.operator, nil
	}
	if p.cfg.GrantOperator == nil {
		return nil, fmt.Errorf("operator operations need an operator account: set Config.GrantOperator " +
			"(tenantkit probe does with PLATFORM_DATABASE_URL, through `tenantkit operator grant`)")
	}
	m, err := p.freshMember(ctx, "client")
	if err != nil {
		return nil, err
	}
	if err := p.cfg.GrantOperator(ctx, m.email); err != nil {
		return nil, fmt.Errorf("grant the operator role to %s: %w", m.email, err)
	}
	s, err := p.signIn(ctx, p.apex, m.email, m.password, nil)
	if err != nil {
		return nil, err
	}
	p.operator = s
	return s, nil
}

// operatorOp runs the variants of an operation open to platform operators
// only.
func (p *prober) operatorOp(ctx context.Context, op *Operation, or *OperationResult) error {
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
	// The role below an operator: a plain account (tenant A's owner on the
	// apex), holding no operator grant.
	p.run(ctx, or, vRoleBelow, wantStatus(403), with(base, func(r *request) { r.token, r.sig = p.platform.token, "" }), B)
	if c1.body == nil {
		skip(or, vMassAssign, "no request body")
	} else {
		m := c1.clone()
		m.body["tenant_id"] = p.b.id
		p.run(ctx, or, vMassAssign, wantStatus(400, 422), m.render(), B)
	}
	if _, ok := c1.path["tenant_id"]; ok {
		skip(or, vForeignID, "an operator acts on every organization: no id is foreign to it")
	} else {
		skip(or, vForeignID, "no resource id in the path, query or body")
	}
	// The control: an operator sees every organization by design (the list
	// names B), so no answer of it is a leak; B's data must still read back
	// unchanged after a change.
	none := &secrets{tenant: "none"}
	if resp, ok := p.run(ctx, or, vControl, want2xx, c1.render(), none); ok {
		p.after(ctx, or, c1, resp)
	} else {
		p.report.fail(or.Key(), vControl, "the control failed: the refusals above prove nothing for this operation")
	}
	c2, err := p.build(ctx, op, p.a, c1.actor, true)
	if err != nil {
		return err
	}
	spoofed := with(c2.render(), func(r *request) {
		for k, v := range p.spoofedHeaders() {
			r.header[k] = v
		}
	})
	p.run(ctx, or, vSpoofed, want2xx, spoofed, none)
	return nil
}

// throwawayTenant creates, as the run's operator, an organization for one
// call of an operator operation to act on.
func throwawayTenant(ctx context.Context, p *prober, _ *tenantState) (string, error) {
	id, _, err := p.createThrowawayTenant(ctx)
	return id, err
}

// suspendedThrowaway creates a throwaway organization and suspends it:
// only a suspended organization can be deleted.
func suspendedThrowaway(ctx context.Context, p *prober, _ *tenantState) (string, error) {
	id, _, err := p.createThrowawayTenant(ctx)
	if err != nil {
		return "", err
	}
	op, err := p.op("apex", "suspend-platform-tenant")
	if err != nil {
		return "", err
	}
	s, err := p.operatorSession(ctx)
	if err != nil {
		return "", err
	}
	r, err := p.c.do(ctx, request{method: op.Method, host: p.apex, path: strings.Replace(op.Path, "{tenant_id}", id, 1), token: s.token,
		body: map[string]any{"reason": "tenantkit probe: a throwaway organization to delete"}})
	if err != nil {
		return "", err
	}
	if r.status != 200 {
		return "", errStatus("suspend a throwaway organization", r)
	}
	return id, nil
}

func (p *prober) createThrowawayTenant(ctx context.Context) (id, slug string, err error) {
	op, err := p.op("apex", "create-platform-tenant")
	if err != nil {
		return "", "", err
	}
	s, err := p.operatorSession(ctx)
	if err != nil {
		return "", "", err
	}
	slug = "probe-" + p.v.word(10)
	r, err := p.c.do(ctx, request{method: op.Method, host: p.apex, path: op.Path, token: s.token,
		body: map[string]any{"slug": slug, "name": "Probe throwaway", "reason": "tenantkit probe: a throwaway organization"}})
	if err != nil {
		return "", "", err
	}
	if r.status != 201 {
		return "", "", errStatus("create a throwaway organization", r)
	}
	var out struct{ ID string }
	if err := r.json(&out); err != nil {
		return "", "", err
	}
	id = strings.ToLower(out.ID)
	p.throwaways[id] = slug
	return id, slug, nil
}

// fillThrowawaySlug gives a create a slug of its own.
func fillThrowawaySlug(_ context.Context, p *prober, c *call) error {
	c.body["slug"] = "probe-" + p.v.word(10)
	return nil
}

// fillConfirm confirms the deletion of the throwaway organization of the
// call's path.
func fillConfirm(_ context.Context, p *prober, c *call) error {
	slug, ok := p.throwaways[c.path["tenant_id"]]
	if !ok {
		return fmt.Errorf("the organization to delete is no throwaway of the probe's")
	}
	c.body["confirm"] = slug
	return nil
}
