package probe

import (
	"context"
	"fmt"
	"net/url"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/auth"
)

// fixturePassword is the password of every account the probe creates.
const fixturePassword = "tenantkit-probe-fixture-password"

// session is a signed-in client: a token and, on a tenant host, the signed
// tenant value, with the login that opened it.
type session struct {
	email, password, role string
	token, sig            string
	accountID, memberID   string
	apex                  bool // a platform session
}

// tenantState is what the probe knows of one tenant.
type tenantState struct {
	slug, host, id, name, marker string
	// owner and client are the tenant's owner's and a client's sessions.
	owner, client *session
	// lists holds the ids each collection answered with, by concrete
	// path; byTemplate by path template.
	lists      map[string][]string
	byTemplate map[string][]string
	// cursors holds a next_cursor of each list that has a second page.
	cursors map[string]string
	// seen holds every id in the tenant's own answers.
	seen    map[string]bool
	secrets *secrets

	mu sync.Mutex // guards lists and byTemplate during the soak
}

// pick returns an id of the collection at concrete path: the first, or a
// random one.
func (t *tenantState) pick(concrete string, v *values, random bool) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	ids := t.lists[concrete]
	switch {
	case len(ids) == 0:
		return "", false
	case random:
		return ids[v.intn(len(ids))], true
	}
	return ids[0], true
}

// add records a new item of the collection at concrete path (template
// tmpl).
func (t *tenantState) add(concrete, tmpl, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lists[concrete] = append(t.lists[concrete], id)
	t.byTemplate[tmpl] = append(t.byTemplate[tmpl], id)
}

// caller returns who calls op on t to learn and read back its data: a
// client for the operations a client may call (the portal serves clients
// only), the owner for the rest.
func (t *tenantState) caller(op *Operation) *session {
	if op.MinRole == "client" && t.client != nil {
		return t.client
	}
	return t.owner
}

func newTenantState(slug, apex string) *tenantState {
	return &tenantState{slug: slug, host: slug + "." + apex, lists: map[string][]string{}, byTemplate: map[string][]string{},
		cursors: map[string]string{}, seen: map[string]bool{}}
}

func (t *tenantState) see(b []byte) {
	for _, id := range uuidsIn(b) {
		t.seen[id] = true
	}
}

// prober holds a run's state.
type prober struct {
	cfg    *Config
	c      *client
	v      *values
	apex   string
	report *Report
	ops    []*Operation
	byID   map[string]*Operation // host + " " + operationId
	// collections maps a path template to the operation listing it.
	collections map[string]*Operation
	a, b        *tenantState
	roles       map[string]*session // tenant A's sessions by role
	platform    *session            // tenant A's owner on the apex
	spares      []*session          // unused sessions (successors of switches, password changes)
	dead        map[string]*session
	keys        *auth.SessionKeys
	fingerprint string
	// readWindow is the date range every date parameter of B's read-back
	// is pinned to, fixed when the run starts (see pinnedDates).
	readWindow [2]time.Time
	// resetAccount is the fixture account whose password resets confirm
	// the reset operations, resetUses how often it served.
	resetAccount string
	resetUses    int
	// randomIDs: learned ids are picked at random (the soak), and an empty
	// list is not filled.
	randomIDs bool
	// member is the fixture member that calls which do not delete it share.
	member string
	// platformLogin is the fixture account whose sign-ins on the apex are
	// the throwaway platform sessions.
	platformLogin *session
	// operator is the run's platform operator on the apex (see
	// operatorSession); throwaways maps the id of each organization it
	// created to its slug.
	operator   *session
	throwaways map[string]string
	// planted holds the ids the injection pass stored in tenant A's data
	// (tenant B's id, inside payloads): later answers show them again.
	planted map[string]bool
	// hoursSeq numbers the weekly hours the probe creates (fillHours);
	// taken holds the started bookings calls took (startedBooking).
	hoursSeq atomic.Int64
	takenMu  sync.Mutex
	taken    map[string]bool
}

func newProber(ctx context.Context, cfg *Config) (*prober, error) {
	tg, err := parseBaseURL(cfg.BaseURL, cfg.TenantA)
	if err != nil {
		return nil, err
	}
	if tg.slugA == cfg.TenantB {
		return nil, fmt.Errorf("probe: tenants A and B are both %q", tg.slugA)
	}
	p := &prober{
		cfg: cfg, c: newClient(cfg, tg.scheme, tg.port), v: newValues(cfg.Seed), apex: tg.apex,
		byID: map[string]*Operation{}, collections: map[string]*Operation{}, roles: map[string]*session{}, dead: map[string]*session{}, planted: map[string]bool{}, taken: map[string]bool{},
		throwaways: map[string]string{},
	}
	p.a, p.b = newTenantState(tg.slugA, tg.apex), newTenantState(cfg.TenantB, tg.apex)
	if cfg.HostA != "" {
		p.a.host = strings.ToLower(cfg.HostA)
	}
	start := cfg.Now()
	p.readWindow = [2]time.Time{start.AddDate(-2, 0, 0), start.AddDate(2, 0, 0)}
	p.report = &Report{BaseURL: cfg.BaseURL, TenantA: p.a.slug, TenantB: p.b.slug, Failures: []Failure{}, Flows: []*FlowResult{}}
	if cfg.SessionKeys != "" {
		if p.keys, err = auth.ParseSessionKeys(cfg.SessionKeys); err != nil {
			return nil, fmt.Errorf("probe: session keys: %w", err)
		}
	}
	if cfg.Mailbox == nil {
		cfg.Mailbox = &DevOutbox{c: p.c, apex: p.apex}
	}
	if err := p.discover(ctx); err != nil {
		return nil, err
	}
	cfg.logf("probe: %d operations; signing in to %s and %s", len(p.ops), p.a.host, p.b.host)
	for _, t := range []*tenantState{p.a, p.b} {
		if err := p.signInTenant(ctx, t); err != nil {
			return nil, err
		}
	}
	p.roles["owner"], p.roles["client"] = p.a.owner, p.a.client
	if p.roles["staff"], err = p.signIn(ctx, p.a.host, cfg.Login(p.a.slug, "staff"), cfg.Password, p.a); err != nil {
		return nil, err
	}
	if cfg.GrantSupport != nil {
		if err := p.endedGrantOfB(ctx); err != nil {
			return nil, err
		}
	}
	for _, t := range []*tenantState{p.a, p.b} {
		if err := p.learn(ctx, t); err != nil {
			return nil, err
		}
	}
	if p.fingerprint, err = p.fingerprintB(ctx); err != nil {
		return nil, err
	}
	p.a.secrets = &secrets{tenant: p.a.slug, marker: p.a.marker, ids: minus(p.a.seen, p.b.seen)}
	p.b.secrets = &secrets{tenant: p.b.slug, marker: p.b.marker, ids: minus(p.b.seen, p.a.seen)}
	if len(p.b.secrets.ids) == 0 || p.b.marker == "" {
		return nil, fmt.Errorf("probe: learned nothing that is %s's alone: no leak could be detected", p.b.slug)
	}
	if p.platform, err = p.signIn(ctx, p.apex, p.a.owner.email, p.a.owner.password, nil); err != nil {
		return nil, err
	}
	cfg.logf("probe: %s has %d ids of its own, marker %q; %s marker %q", p.b.slug, len(p.b.secrets.ids), p.b.marker, p.a.slug, p.a.marker)
	return p, nil
}

// signInTenant opens t's owner and client sessions.
func (p *prober) signInTenant(ctx context.Context, t *tenantState) error {
	var err error
	if t.owner, err = p.signIn(ctx, t.host, p.cfg.Login(t.slug, "owner"), p.cfg.Password, t); err != nil {
		return err
	}
	t.client, err = p.signIn(ctx, t.host, p.cfg.Login(t.slug, "client"), p.cfg.Password, t)
	return err
}

func minus(a, b map[string]bool) map[string]bool {
	out := map[string]bool{}
	for k := range a {
		if !b[k] {
			out[k] = true
		}
	}
	return out
}

// discover reads both OpenAPI documents.
func (p *prober) discover(ctx context.Context) error {
	for _, h := range []struct{ host, kind string }{{p.a.host, "tenant"}, {p.apex, "apex"}} {
		r, err := p.c.do(ctx, request{method: "GET", host: h.host, path: "/api/openapi.json"})
		if err != nil {
			return fmt.Errorf("probe: fetch the OpenAPI document of %s: %w", h.host, err)
		}
		if r.status != 200 {
			return fmt.Errorf("probe: OpenAPI document of %s: %s", h.host, r)
		}
		ops, err := parseDocument(r.body, h.kind)
		if err != nil {
			return err
		}
		for _, op := range ops {
			if op.ID == "" {
				return fmt.Errorf("probe: %s has no operationId", op.Key())
			}
			p.byID[op.Host+" "+op.ID] = op
			if op.Host == "tenant" && op.Method == "GET" && op.Tenancy == "tenant" && op.listsIDs {
				p.collections[op.Path] = op
			}
		}
		p.ops = append(p.ops, ops...)
	}
	return nil
}

// op returns the operation with id on host kind, or an error naming it.
func (p *prober) op(host, id string) (*Operation, error) {
	if op := p.byID[host+" "+id]; op != nil {
		return op, nil
	}
	return nil, fmt.Errorf("no operation %q on the %s host (the probe's table of special operations names it)", id, host)
}

// issued is the body of a response that opens a session.
type issued struct {
	Token     string `json:"token"`
	TenantSig string `json:"tenant_sig"`
	Role      string `json:"role"`
	Account   struct {
		ID    string `json:"id"`
		Email string `json:"email"`
	} `json:"account"`
	Tenant *struct {
		ID   string `json:"id"`
		Slug string `json:"slug"`
		Name string `json:"name"`
	} `json:"tenant"`
}

func (is issued) session(email, password string, apex bool) *session {
	return &session{email: email, password: password, role: is.Role, token: is.Token, sig: is.TenantSig, accountID: is.Account.ID, apex: apex}
}

// signIn opens a session on host (a tenant's, or the apex) with the login
// operation; t, when set, records the tenant's id, name and marker.
func (p *prober) signIn(ctx context.Context, host, email, password string, t *tenantState) (*session, error) {
	kind := "tenant"
	if host == p.apex {
		kind = "apex"
	}
	op, err := p.op(kind, "login")
	if err != nil {
		return nil, err
	}
	p.cfg.logf("probe: sign in as %s on %s", email, host)
	r, err := p.c.do(ctx, request{method: "POST", host: host, path: op.Path, body: map[string]string{"email": email, "password": password}, signIn: true})
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, fmt.Errorf("probe: sign in as %s on %s: %s", email, host, r)
	}
	var is issued
	if err := r.json(&is); err != nil {
		return nil, err
	}
	if t != nil {
		t.see(r.body)
		if is.Tenant == nil || is.Tenant.Slug != t.slug {
			return nil, fmt.Errorf("probe: sign in on %s answered for another tenant: %s", host, r)
		}
		t.id, t.name = is.Tenant.ID, is.Tenant.Name
		if t.marker == "" {
			t.marker = p.cfg.Markers[t.slug]
			if t.marker == "" {
				t.marker, _, _ = strings.Cut(t.name, " ")
			}
		}
	}
	return is.session(email, password, host == p.apex), nil
}

type listPage struct {
	Items []struct {
		ID string `json:"id"`
	} `json:"items"`
	NextCursor string `json:"next_cursor"`
}

// learn lists every collection of t as its caller: the ids every
// operation's path and body parameters take.
func (p *prober) learn(ctx context.Context, t *tenantState) error {
	tmpls := sortedKeys(p.collections)
	// Parents before children: fewer parameters first.
	sort.SliceStable(tmpls, func(i, j int) bool { return strings.Count(tmpls[i], "{") < strings.Count(tmpls[j], "{") })
	for _, tmpl := range tmpls {
		op := p.collections[tmpl]
		// The items of up to three parents; when those three have none
		// (the newest requests of a long-lived tenant may have no
		// comments), the first parent further on that has some.
		for _, fanOut := range []int{3, 100} {
			concretes, err := p.concretePaths(t, tmpl, fanOut)
			if err != nil {
				return err
			}
			for _, path := range concretes {
				if _, seen := t.lists[path]; seen {
					continue
				}
				ids, cursor, err := p.list(ctx, t, op, path, t.caller(op))
				if err != nil {
					return err
				}
				t.lists[path] = ids
				t.byTemplate[tmpl] = append(t.byTemplate[tmpl], ids...)
				if cursor != "" {
					t.cursors[path] = cursor
				}
				if fanOut > 3 && len(ids) > 0 {
					break
				}
			}
			if len(t.byTemplate[tmpl]) > 0 || !strings.Contains(tmpl, "{") {
				break
			}
		}
	}
	return nil
}

// concretePaths returns paths of template tmpl filled with t's learned
// parent ids, up to fanOut per parameter.
func (p *prober) concretePaths(t *tenantState, tmpl string, fanOut int) ([]string, error) {
	segs := segments(tmpl)
	for i, seg := range segs {
		if _, ok := paramName(seg); !ok {
			continue
		}
		parent := "/" + strings.Join(segs[:i], "/")
		if p.collections[parent] == nil {
			return nil, nil // not derivable; the operations that need it fail with a message
		}
		var out []string
		parents, err := p.concretePaths(t, parent, fanOut)
		if err != nil {
			return nil, err
		}
		for _, pp := range parents {
			for _, id := range first(t.lists[pp], fanOut) {
				rest := "/" + strings.Join(segs[i+1:], "/")
				sub, err := p.concretePaths(t, pp+"/"+id+strings.TrimSuffix(rest, "/"), fanOut)
				if err != nil {
					return nil, err
				}
				out = append(out, sub...)
			}
		}
		return out, nil
	}
	return []string{tmpl}, nil
}

func first[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// list reads every page of a collection (up to 10) and, when there is a
// second page, keeps the cursor to it.
func (p *prober) list(ctx context.Context, t *tenantState, op *Operation, path string, s *session) ([]string, string, error) {
	var ids []string
	q := url.Values{}
	hasCursor, hasLimit := false, false
	for _, prm := range op.params {
		hasCursor = hasCursor || prm.in == "query" && prm.name == "cursor"
		hasLimit = hasLimit || prm.in == "query" && prm.name == "limit"
	}
	if hasLimit {
		q.Set("limit", "100")
	}
	for range 10 {
		r, err := p.c.do(ctx, request{method: "GET", host: t.host, path: withQuery(path, q), token: s.token, sig: s.sig})
		if err != nil {
			return nil, "", err
		}
		if r.status != 200 {
			return nil, "", fmt.Errorf("probe: list %s of %s as %s: %s", path, t.slug, s.email, r)
		}
		t.see(r.body)
		var pg listPage
		if err := r.json(&pg); err != nil {
			return nil, "", err
		}
		for _, it := range pg.Items {
			ids = append(ids, strings.ToLower(it.ID))
		}
		if pg.NextCursor == "" || !hasCursor {
			break
		}
		q.Set("cursor", pg.NextCursor)
	}
	cursor := ""
	if hasCursor && hasLimit && len(ids) > 1 {
		r, err := p.c.do(ctx, request{method: "GET", host: t.host, path: withQuery(path, url.Values{"limit": {"1"}}), token: s.token, sig: s.sig})
		if err != nil {
			return nil, "", err
		}
		var pg listPage
		if r.status == 200 && r.json(&pg) == nil {
			cursor = pg.NextCursor
		}
	}
	return ids, cursor, nil
}

func withQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}

// fingerprintB reads tenant B's data back through B's own API: every
// tenant GET operation whose parameters B's learned ids fill (up to three
// items per collection), as B's caller. The digest changes if any of it
// does. Its date parameters are pinned (pinnedDates), so a reading taken
// after midnight, or a month later, reads the same data the same way.
func (p *prober) fingerprintB(ctx context.Context) (string, error) {
	t := p.b
	var parts []string
	for _, op := range p.ops {
		if op.Host != "tenant" || op.Method != "GET" || op.Tenancy != "tenant" || op.Page || specials[op.ID].readChanges || op.requiredQuery() {
			continue
		}
		paths, ok := p.fill(t, op.Path)
		if !ok {
			continue
		}
		query := p.pinnedDates(op)
		for _, path := range paths {
			path = withQuery(path, query)
			s := t.caller(op)
			r, err := p.c.do(ctx, request{method: "GET", host: t.host, path: path, token: s.token, sig: s.sig})
			if err != nil {
				return "", err
			}
			if r.status != 200 {
				return "", fmt.Errorf("probe: read %s back as %s: %s", path, t.slug, r)
			}
			t.see(r.body)
			parts = append(parts, path+"\x00"+string(r.body))
		}
	}
	if len(parts) == 0 {
		return "", fmt.Errorf("probe: no operation reads %s's data back: nothing to fingerprint", t.slug)
	}
	sort.Strings(parts)
	return strings.Join(parts, "\x01"), nil
}

// pinnedDates returns op's date query parameters set to the run's read
// window: the lower bounds (from, …_after) to its start, the upper ones
// (to, …_before) to its end. Left to their defaults, they would be
// "today", and an answer that moves with the server's date would read as
// B's data having changed.
func (p *prober) pinnedDates(op *Operation) url.Values {
	q := url.Values{}
	for _, prm := range op.params {
		if prm.in != "query" || prm.schema == nil {
			continue
		}
		var layout string
		switch prm.schema.Format {
		case "date":
			layout = time.DateOnly
		case "date-time":
			layout = time.RFC3339
		default:
			continue
		}
		bound := p.readWindow[0]
		if prm.name == "to" || strings.HasSuffix(prm.name, "_before") || strings.HasSuffix(prm.name, "_to") {
			bound = p.readWindow[1]
		}
		q.Set(prm.name, bound.UTC().Format(layout))
	}
	return q
}

// fill returns the concrete paths of template tmpl whose id parameters t's
// learned ids fill (up to three per parameter); false when a parameter is
// not an id or has no ids.
func (p *prober) fill(t *tenantState, tmpl string) ([]string, bool) {
	segs := segments(tmpl)
	for i, seg := range segs {
		name, ok := paramName(seg)
		if !ok {
			continue
		}
		if !isIDName(name) {
			return nil, false
		}
		parent := "/" + strings.Join(segs[:i], "/")
		parents, ok := p.fill(t, parent)
		if !ok {
			return nil, false
		}
		var out []string
		for _, pp := range parents {
			for _, id := range first(t.lists[pp], 3) {
				rest := strings.Join(segs[i+1:], "/")
				sub, ok := p.fill(t, strings.TrimSuffix(pp+"/"+id+"/"+rest, "/"))
				if ok {
					out = append(out, sub...)
				}
			}
		}
		return out, len(out) > 0
	}
	return []string{tmpl}, true
}

func (o *Operation) requiredQuery() bool {
	for _, prm := range o.params {
		if prm.in == "query" && prm.required {
			return true
		}
	}
	return false
}

// roleRank orders the roles.
var roleRank = map[string]int{"client": 0, "staff": 1, "admin": 2, "owner": 3}

// sessionOfRole returns a session of tenant A with role, inviting a member
// with it if the tenant's logins have none.
func (p *prober) sessionOfRole(ctx context.Context, role string) (*session, error) {
	if s := p.roles[role]; s != nil {
		return s, nil
	}
	s, err := p.freshMember(ctx, role)
	if err != nil {
		return nil, err
	}
	p.roles[role] = s
	return s, nil
}

// throwaway returns a session of tenant A (or, with apex, a platform
// session) with at least role that the caller may end: a spare one, else a
// new member's.
func (p *prober) throwaway(ctx context.Context, role string, apex bool) (*session, error) {
	for i, s := range p.spares {
		if s.apex == apex && roleRank[s.role] >= roleRank[role] {
			p.spares = append(p.spares[:i], p.spares[i+1:]...)
			return s, nil
		}
	}
	if !apex {
		return p.freshMember(ctx, role)
	}
	// Platform sessions carry no role: one fixture account signs in for
	// each (a sign-in, not a new member and a sign-in).
	if p.platformLogin == nil {
		s, err := p.freshMember(ctx, "client")
		if err != nil {
			return nil, err
		}
		p.platformLogin = s
	}
	ps, err := p.signIn(ctx, p.apex, p.platformLogin.email, p.platformLogin.password, nil)
	if err != nil {
		return nil, err
	}
	ps.role = role
	return ps, nil
}

func (p *prober) spare(s *session) {
	if s != nil && s.token != "" {
		p.spares = append(p.spares, s)
	}
}

// freshMember invites a new account into tenant A with role and accepts the
// invitation: a new member and its first session. The member id is read
// from the member list.
func (p *prober) freshMember(ctx context.Context, role string) (*session, error) {
	inv, err := p.invite(ctx, role)
	if err != nil {
		return nil, err
	}
	p.cfg.logf("probe: new member %s (%s) by invitation", inv.email, role)
	accept, err := p.op("tenant", "accept-invitation")
	if err != nil {
		return nil, err
	}
	r, err := p.c.do(ctx, request{method: "POST", host: p.a.host, path: accept.Path, signIn: true,
		body: map[string]string{"token": inv.token, "password": fixturePassword}})
	if err != nil {
		return nil, err
	}
	if r.status != 200 {
		return nil, errStatus("probe: accept an invitation as "+inv.email, r)
	}
	var is issued
	if err := r.json(&is); err != nil {
		return nil, err
	}
	s := is.session(inv.email, fixturePassword, false)
	list, err := p.op("tenant", "list-members")
	if err != nil {
		return nil, err
	}
	// The list is paged by name: read the role's pages until the address.
	q := url.Values{"role": {role}, "limit": {"100"}}
	for page := 0; s.memberID == "" && page < 100; page++ {
		lr, err := p.c.do(ctx, request{method: "GET", host: p.a.host, path: withQuery(list.Path, q), token: p.a.owner.token, sig: p.a.owner.sig})
		if err != nil {
			return nil, err
		}
		var members struct {
			Items      []struct{ ID, Email string }
			NextCursor string `json:"next_cursor"`
		}
		if lr.status != 200 || lr.json(&members) != nil {
			return nil, errStatus("probe: list the members", lr)
		}
		for _, m := range members.Items {
			if strings.EqualFold(m.Email, inv.email) {
				s.memberID = strings.ToLower(m.ID)
			}
		}
		if members.NextCursor == "" {
			break
		}
		q.Set("cursor", members.NextCursor)
	}
	if s.memberID == "" {
		return nil, fmt.Errorf("probe: the new member %s is not in the member list", inv.email)
	}
	return s, nil
}

type invitation struct{ id, email, token string }

// invite creates an invitation into tenant A for a new address with role
// and reads its token from the mail to that address (the inviter is never
// shown it).
func (p *prober) invite(ctx context.Context, role string) (invitation, error) {
	op, err := p.op("tenant", "invite-member")
	if err != nil {
		return invitation{}, err
	}
	c, err := p.build(ctx, op, p.a, p.a.owner, false)
	if err != nil {
		return invitation{}, err
	}
	email := "probe-" + p.v.word(10) + "@" + p.a.slug + ".test"
	c.body["email"], c.body["role"] = email, role
	r, err := p.c.do(ctx, c.render())
	if err != nil {
		return invitation{}, err
	}
	var out struct{ ID string }
	if r.status/100 != 2 || r.json(&out) != nil {
		return invitation{}, errStatus("probe: invite "+email+" as "+role, r)
	}
	tok, err := p.cfg.Mailbox.Token(ctx, email)
	if err != nil {
		return invitation{}, fmt.Errorf("probe: read the invitation mailed to %s: %w", email, err)
	}
	return invitation{id: out.ID, email: email, token: tok}, nil
}

// deadSession returns a session of tenant A's owner role that was ended:
// "logged-out" by its own logout, "removed" by removing its member, or
// "platform" (a platform session ended by logout).
func (p *prober) deadSession(ctx context.Context, how string) (*session, error) {
	if s := p.dead[how]; s != nil {
		return s, nil
	}
	var s *session
	var err error
	switch how {
	case "logged-out", "platform":
		apex := how == "platform"
		if s, err = p.throwaway(ctx, "owner", apex); err != nil {
			return nil, err
		}
		host, kind := p.a.host, "tenant"
		if apex {
			host, kind = p.apex, "apex"
		}
		op, err := p.op(kind, "logout")
		if err != nil {
			return nil, err
		}
		r, err := p.c.do(ctx, request{method: op.Method, host: host, path: op.Path, token: s.token, sig: s.sig})
		if err != nil {
			return nil, err
		}
		if r.status/100 != 2 {
			return nil, errStatus("probe: log out a session to have an ended one", r)
		}
	case "removed":
		if s, err = p.freshMember(ctx, "owner"); err != nil {
			return nil, err
		}
		op, err := p.op("tenant", "remove-member")
		if err != nil {
			return nil, err
		}
		r, err := p.c.do(ctx, request{method: op.Method, host: p.a.host, path: strings.Replace(op.Path, "{id}", s.memberID, 1),
			token: p.a.owner.token, sig: p.a.owner.sig})
		if err != nil {
			return nil, err
		}
		if r.status/100 != 2 {
			return nil, errStatus("probe: remove a member to have its session ended", r)
		}
	}
	p.dead[how] = s
	return s, nil
}

// expired forges a token of s that expired two minutes ago, signed with
// the server's own key, so that only its expiry is wrong.
func (p *prober) expired(s *session) (string, error) {
	if p.keys == nil {
		return "", errNoKey
	}
	var claims auth.Claims
	if _, _, err := jwt.NewParser().ParseUnverified(s.token, &claims); err != nil {
		return "", fmt.Errorf("probe: read a token's claims: %w", err)
	}
	// Dated by the token's own issue time, which is the server's clock:
	// valid from ten minutes before it, expired two minutes before it.
	if claims.IssuedAt == nil {
		return "", fmt.Errorf("probe: a session token without iat")
	}
	issued := claims.IssuedAt.Time
	sess := auth.Session{Role: claims.Role, Version: claims.Version, ExpiresAt: issued.Add(-2 * time.Minute)}
	var err error
	if sess.ID, err = uuid.Parse(claims.ID); err != nil {
		return "", err
	}
	if sess.AccountID, err = uuid.Parse(claims.Subject); err != nil {
		return "", err
	}
	if claims.TenantID != "" {
		if sess.TenantID, err = uuid.Parse(claims.TenantID); err != nil {
			return "", err
		}
	}
	return auth.NewTokens(p.keys, claims.Issuer, func() time.Time { return issued.Add(-10 * time.Minute) }).Issue(sess)
}

var errNoKey = fmt.Errorf("no session key: give the server's SESSION_KEYS (tenantkit probe --session-keys, or --dev-dir for tenantkit dev)")
