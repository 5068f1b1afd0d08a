package probe

import (
	"context"
	"fmt"
	"net/url"
	"strings"
)

// special is what the probe cannot derive from an operation's schema and
// the API's conventions. The table is keyed by operationId and kept to the
// operations whose bodies carry credentials or one-time tokens, or whose
// effect reaches past the request (sessions ended).
type special struct {
	// endsSession: a success ends the acting session (the control needs a
	// throwaway one).
	endsSession bool
	// signIn: the operation opens a session, so the server limits it per
	// client address and email.
	signIn bool
	// hostBound: a public operation whose credential or token belongs to
	// one tenant: another tenant's host must refuse it.
	hostBound bool
	// revokes: ends the sessions of the member it acts on.
	revokes bool
	// limited: the server limits it per client (kept out of the soak).
	limited bool
	// endsOwnSession: with an id drawn at random (the soak) it may end
	// the acting session itself; kept out of the soak.
	endsOwnSession bool
	// readChanges: its answer changes by being read (a session's last
	// use), so it is not part of B's read-back.
	readChanges bool
	// fill sets the body fields that cannot be derived.
	fill func(ctx context.Context, p *prober, c *call) error
	// after runs after a successful call: it keeps the session the
	// operation handed out, for later use.
	after func(ctx context.Context, p *prober, c *call, r response) error
	// item provides the fresh item of the path's {id} when the API cannot
	// create one in the state the operation needs.
	item func(ctx context.Context, p *prober, t *tenantState) (string, error)
}

// specials and providers are set in init: their functions reach back into
// the code that reads them.
var (
	specials  map[string]special
	providers map[string]func(ctx context.Context, p *prober, reuse bool) (string, error)
)

func init() {
	specials = map[string]special{
		"login": {signIn: true, hostBound: true, limited: true, fill: func(_ context.Context, _ *prober, c *call) error {
			c.body["email"], c.body["password"] = c.actor.email, c.actor.password
			return nil
		}, after: keepIssued},
		"logout": {endsSession: true},
		"switch-tenant": {endsSession: true, fill: func(_ context.Context, p *prober, c *call) error {
			c.body["tenant"] = p.a.slug
			return nil
		}, after: redeemSwitch},
		"change-password": {endsSession: true, fill: func(_ context.Context, _ *prober, c *call) error {
			c.body["current_password"], c.body["new_password"] = c.actor.password, c.actor.password
			return nil
		}, after: keepIssued},
		"redeem-handoff":                 {hostBound: true, fill: fillHandoff, after: keepIssued},
		"accept-invitation":              {signIn: true, hostBound: true, limited: true, fill: fillAccept, after: keepIssued},
		"request-password-reset":         {limited: true},
		"confirm-public-service-request": {hostBound: true, limited: true, fill: fillConfirmPublic},
		"confirm-password-reset":         {limited: true, hostBound: true, fill: fillResetConfirm},
		"signup":                         {limited: true, fill: fillSignup},
		"confirm-signup":                 {limited: true, fill: fillSignupConfirm},
		"end-session":                    {item: spareSession, endsOwnSession: true},
		"list-sessions":                  {readChanges: true},
		"end-member-sessions":            {revokes: true},
		"change-member-role":             {revokes: true},
		"remove-member":                  {revokes: true},

		"add-domain":         {fill: fillDomain},
		"verify-domain":      {item: provenDomain},
		"end-support-access": {item: supportGrant},

		"create-platform-tenant":  {fill: fillThrowawaySlug},
		"suspend-platform-tenant": {item: throwawayTenant},
		"resume-platform-tenant":  {item: throwawayTenant},
		"export-platform-tenant":  {item: throwawayTenant},
		"delete-platform-tenant":  {item: suspendedThrowaway, fill: fillConfirm},

		"create-availability-rule":   {fill: fillHours},
		"create-booking":             {fill: fillSlot},
		"create-portal-booking":      {fill: fillSlot},
		"reschedule-booking":         {fill: fillReschedule},
		"reschedule-portal-booking":  {fill: fillReschedule},
		"list-service-slots":         {item: openService},
		"confirm-booking":            {item: pendingBooking},
		"complete-booking":           {item: startedBooking},
		"no-show-booking":            {item: startedBooking},
		"transition-service-request": {fill: fillTransition},
		"assign-service-request":     {fill: fillAssignee},
	}
	// Fresh items of collections that have no creating operation of their
	// own: members join by invitation, which costs a sign-in, so one
	// member serves every call that neither deletes it nor changes its
	// role (reuse).
	providers = map[string]func(ctx context.Context, p *prober, reuse bool) (string, error){
		"/api/members": func(ctx context.Context, p *prober, reuse bool) (string, error) {
			if reuse && p.member != "" {
				return p.member, nil
			}
			s, err := p.freshMember(ctx, "client")
			if err != nil {
				return "", err
			}
			if reuse {
				p.member = s.memberID
			}
			return s.memberID, nil
		},
	}
}

// keepIssued keeps the session a response hands out (sign-in, password
// change, handoff) as a spare: a later control that ends its session
// takes it instead of signing in again.
func keepIssued(_ context.Context, p *prober, c *call, r response) error {
	var is issued
	if err := r.json(&is); err != nil {
		return err
	}
	email, password := "", ""
	if c.actor != nil {
		email, password = c.actor.email, c.actor.password
	}
	if pw, ok := c.body["new_password"].(string); ok {
		password = pw
		if c.actor != nil {
			c.actor.password = pw
		}
		if l := p.platformLogin; l != nil && c.actor != nil && l.email == c.actor.email {
			l.password = pw
		}
	}
	if pw, ok := c.body["password"].(string); ok {
		password = pw
	}
	if e, ok := c.body["email"].(string); ok {
		email = e
	}
	if is.Account.Email != "" {
		email = is.Account.Email
	}
	s := is.session(email, password, c.op.Host == "apex")
	if s.role == "" && c.actor != nil {
		s.role = c.actor.role
	}
	p.spare(s)
	return nil
}

// switchAnswer is the answer of a switch: the target's redeem-handoff
// address and the one-time token to post there.
type switchAnswer struct {
	HandoffURL string `json:"handoff_url"`
	Token      string `json:"token"`
}

// redeemSwitch redeems the handoff a switch returned, on the target's
// host, and keeps the session it opens.
func redeemSwitch(ctx context.Context, p *prober, c *call, r response) error {
	var out switchAnswer
	if err := r.json(&out); err != nil {
		return err
	}
	s, err := p.redeem(ctx, out)
	if err != nil {
		return err
	}
	if c.actor != nil {
		s.email, s.password = c.actor.email, c.actor.password
	}
	p.spare(s)
	return nil
}

// redeem posts a switch's handoff to the target host, as an API client
// does (no Origin: not a browser).
func (p *prober) redeem(ctx context.Context, a switchAnswer) (*session, error) {
	u, err := url.Parse(a.HandoffURL)
	if err != nil || u.Hostname() == "" || a.Token == "" {
		return nil, fmt.Errorf("switch answer %+v names no handoff", a)
	}
	op, err := p.op("tenant", "redeem-handoff")
	if err != nil {
		return nil, err
	}
	r, err := p.c.do(ctx, request{method: op.Method, host: u.Hostname(), path: op.Path, body: map[string]string{"token": a.Token}})
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, errStatus("redeem a switch handoff", r)
	}
	var is issued
	if err := r.json(&is); err != nil {
		return nil, err
	}
	return is.session("", "", false), nil
}

// handoff switches a throwaway session of tenant A to A itself and returns
// the one-time handoff token.
func (p *prober) handoff(ctx context.Context) (string, error) {
	s, err := p.throwaway(ctx, "client", false)
	if err != nil {
		return "", err
	}
	op, err := p.op("tenant", "switch-tenant")
	if err != nil {
		return "", err
	}
	r, err := p.c.do(ctx, request{method: op.Method, host: p.a.host, path: op.Path, token: s.token, sig: s.sig,
		body: map[string]string{"tenant": p.a.slug}})
	if err != nil {
		return "", err
	}
	var out switchAnswer
	if r.status != 200 || r.json(&out) != nil || out.Token == "" {
		return "", errStatus("switch to get a handoff", r)
	}
	return out.Token, nil
}

func fillHandoff(ctx context.Context, p *prober, c *call) error {
	tok, err := p.handoff(ctx)
	c.body["token"] = tok
	return err
}

func fillAccept(ctx context.Context, p *prober, c *call) error {
	inv, err := p.invite(ctx, "client")
	c.body["token"], c.body["password"] = inv.token, fixturePassword
	return err
}

// fillConfirmPublic sends a request with the public form of the call's
// host for a new address and reads the confirmation token from the mail.
func fillConfirmPublic(ctx context.Context, p *prober, c *call) error {
	submit, err := p.op("tenant", "submit-public-service-request")
	if err != nil {
		return err
	}
	email := "probe-" + p.v.word(10) + "@" + p.a.slug + ".test"
	body := map[string]string{"email": email, "name": p.a.marker + " Probe Visitor", "title": p.a.marker + " probe request"}
	r, err := p.c.do(ctx, request{method: submit.Method, host: c.host, path: submit.Path, body: body, limited: true})
	if err != nil {
		return err
	}
	if r.status/100 != 2 {
		return errStatus("send a public request", r)
	}
	tok, err := p.cfg.Mailbox.Token(ctx, email)
	if err != nil {
		return fmt.Errorf("read the confirmation mailed to %s: %w", email, err)
	}
	c.body["token"] = tok
	return nil
}

// fillResetConfirm asks for a password reset of a fixture account on the
// call's host and reads the token from the mail.
func fillResetConfirm(ctx context.Context, p *prober, c *call) error {
	kind := c.op.Host
	req, err := p.op(kind, "request-password-reset")
	if err != nil {
		return err
	}
	// The server allows three resets per address in ten minutes.
	if p.resetAccount == "" || p.resetUses >= 3 {
		s, err := p.freshMember(ctx, "client")
		if err != nil {
			return err
		}
		p.resetAccount, p.resetUses = s.email, 0
	}
	p.resetUses++
	r, err := p.c.do(ctx, request{method: req.Method, host: c.host, path: req.Path, body: map[string]string{"email": p.resetAccount}, limited: true})
	if err != nil {
		return err
	}
	if r.status/100 != 2 {
		return errStatus("ask for a password reset", r)
	}
	tok, err := p.cfg.Mailbox.Token(ctx, p.resetAccount)
	if err != nil {
		return fmt.Errorf("read the reset mail of %s: %w", p.resetAccount, err)
	}
	c.body["token"], c.body["password"] = tok, fixturePassword
	return nil
}

// fillSignup names a new organization with a slug nobody holds, and leaves
// the trap field people never see empty.
func fillSignup(_ context.Context, p *prober, c *call) error {
	c.body["slug"], c.body["name"], c.body["website"] = "probe-"+p.v.word(10), p.a.marker+" Probe Firm", ""
	return nil
}

// fillSignupConfirm asks for a new organization for a new address and
// reads the link's token from the mail.
func fillSignupConfirm(ctx context.Context, p *prober, c *call) error {
	op, err := p.op("apex", "signup")
	if err != nil {
		return err
	}
	email := "probe-founder-" + p.v.word(10) + "@" + p.a.slug + ".test"
	body := map[string]string{"name": p.a.marker + " Probe Firm", "slug": "probe-" + p.v.word(10), "email": email}
	r, err := p.c.do(ctx, request{method: op.Method, host: p.apex, path: op.Path, body: body, limited: true})
	if err != nil {
		return err
	}
	if r.status/100 != 2 {
		return errStatus("ask for a new organization", r)
	}
	tok, err := p.cfg.Mailbox.Token(ctx, email)
	if err != nil {
		return fmt.Errorf("read the sign-up mail of %s: %w", email, err)
	}
	c.body["token"], c.body["password"] = tok, fixturePassword
	return nil
}

// spareSession signs the caller of end-session in once more and returns
// the new session's id: the control ends that one, not a session the run
// goes on using.
func spareSession(ctx context.Context, p *prober, t *tenantState) (string, error) {
	op, err := p.op("tenant", "end-session")
	if err != nil {
		return "", err
	}
	caller := t.caller(op)
	s, err := p.signIn(ctx, t.host, caller.email, caller.password, t)
	if err != nil {
		return "", err
	}
	list, err := p.op("tenant", "list-sessions")
	if err != nil {
		return "", err
	}
	r, err := p.c.do(ctx, request{method: list.Method, host: t.host, path: list.Path, token: s.token, sig: s.sig})
	if err != nil {
		return "", err
	}
	var out struct {
		Items []struct {
			ID      string `json:"id"`
			Current bool   `json:"current"`
		} `json:"items"`
	}
	if r.status != 200 || r.json(&out) != nil {
		return "", errStatus("list the spare session's sessions", r)
	}
	for _, it := range out.Items {
		if it.Current {
			return it.ID, nil
		}
	}
	return "", fmt.Errorf("the session list of %s marks no current session", caller.email)
}

// fillDomain names a custom domain nobody registered.
func fillDomain(_ context.Context, p *prober, c *call) error {
	c.body["domain"] = "probe-" + p.v.word(10) + ".example.test"
	return nil
}

// provenDomain registers a custom domain for t and publishes its TXT
// record, so its verification succeeds.
func provenDomain(ctx context.Context, p *prober, t *tenantState) (string, error) {
	if p.cfg.PublishTXT == nil {
		return "", fmt.Errorf("verifying a custom domain needs its TXT record published: set Config.PublishTXT")
	}
	op, err := p.op("tenant", "add-domain")
	if err != nil {
		return "", err
	}
	caller := t.caller(op)
	body := map[string]string{"domain": "probe-" + p.v.word(10) + ".example.test"}
	r, err := p.c.do(ctx, request{method: op.Method, host: t.host, path: op.Path, token: caller.token, sig: caller.sig, body: body})
	if err != nil {
		return "", err
	}
	var out struct {
		ID       string `json:"id"`
		TXTName  string `json:"txt_name"`
		TXTValue string `json:"txt_value"`
	}
	if r.status != 201 || r.json(&out) != nil || out.ID == "" {
		return "", errStatus("add a custom domain", r)
	}
	if err := p.cfg.PublishTXT(ctx, out.TXTName, out.TXTValue); err != nil {
		return "", fmt.Errorf("publish %s: %w", out.TXTName, err)
	}
	return strings.ToLower(out.ID), nil
}

// supportGrant opens an operator's support access to t, for its owners to
// end.
func supportGrant(ctx context.Context, p *prober, t *tenantState) (string, error) {
	if p.cfg.GrantSupport == nil {
		return "", fmt.Errorf("ending support access needs a grant to end: set Config.GrantSupport")
	}
	id, err := p.cfg.GrantSupport(ctx, t.slug)
	if err != nil {
		return "", err
	}
	return strings.ToLower(id), nil
}

// endedGrantOfB gives tenant B's owners a support grant to list, for the
// foreign-id variant of the operation that ends one, and ends it at once
// as B's owner: a live grant would change B's list when it expires, and
// B's data must read back the same all run.
func (p *prober) endedGrantOfB(ctx context.Context) error {
	id, err := p.cfg.GrantSupport(ctx, p.b.slug)
	if err != nil {
		return fmt.Errorf("probe: grant support access to %s: %w", p.b.slug, err)
	}
	op, err := p.op("tenant", "end-support-access")
	if err != nil {
		return err
	}
	path := strings.Replace(op.Path, "{id}", id, 1)
	r, err := p.c.do(ctx, request{method: op.Method, host: p.b.host, path: path, token: p.b.owner.token, sig: p.b.owner.sig})
	if err != nil {
		return err
	}
	if r.status != 200 {
		return errStatus("end the support grant of "+p.b.slug, r)
	}
	return nil
}
