package probe

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// A Flow is an attack in several steps, each a request the matrix would
// call legitimate: another tenant's admin or a stranger acts through the
// public, invitation, reset, switch and handoff paths against a person
// who belongs to tenant A. A flow holds when every step gets the answer
// the defence gives (Want), no step hands its actor a one-time token it
// must not see (NoToken), and nothing any attacking actor was answered
// carries A's marker word or ids.
//
// Flows are data: a new path that creates or changes credentials,
// memberships or links between an account and a tenant adds a flow here,
// not code.
type Flow struct {
	Name string `json:"name"`
	// Threat names the row of the threat catalog the flow attacks.
	Threat string `json:"threat"`
	// Does says, in words, what the attacker tries.
	Does  string `json:"does"`
	Steps []Step `json:"steps"`
}

// A Step is one request of a flow.
//
// Body values may hold placeholders: {victim} (the person's address, new
// for every flow), {victim_password} (the person's own password),
// {password} (the attacker's chosen password), {marker_a} (A's marker
// word), {slug_a} and {slug_b}, {mail} (the token of the newest message
// to the person: only the person's own steps may read their mail),
// {mailed} (the token the last {mail} read, to use again), {fresh_slug}
// (a slug no tenant holds), and {token} (a
// token taken from an earlier answer, or a made-up one when no answer
// handed the actor any).
type Step struct {
	// As is who acts: Attacker (an owner of tenant B), Stranger (no
	// session), Person (the victim, in their own browser and mailbox),
	// OwnerA (A's owner), or Spare (a session of A the flow may end).
	As Actor `json:"as"`
	// On is the host: "A", "B" or "apex".
	On string `json:"on"`
	// Op is the operationId in that host's OpenAPI document.
	Op   string            `json:"op"`
	Body map[string]string `json:"body,omitempty"`
	// Origin, when set, sends the request as a page of that origin would
	// post it (Origin and Sec-Fetch-Site): "A", "B", or an address.
	Origin string `json:"origin,omitempty"`
	// Want is the answer the defence gives: "2xx", "4xx" or a status.
	Want string `json:"want"`
	// NoToken: the answer must not carry a one-time token (a link or a
	// token field) — the step's actor must not be able to act on it.
	NoToken bool `json:"no_token,omitempty"`
}

// Actor is who acts in a step.
type Actor string

// The actors of a flow. Attacker and Stranger are the attacking ones:
// what they are answered must hold nothing of tenant A.
const (
	Attacker Actor = "attacker"
	Stranger Actor = "stranger"
	Person   Actor = "person"
	OwnerA   Actor = "owner_a"
	Spare    Actor = "spare_a"
)

// Flows are the flows every run executes.
var Flows = []Flow{
	{
		Name: "invitation-after-public-form", Threat: "AUTH-14",
		Does: "A stranger files A's public form for a person, who confirms it; B's owner invites the same address and tries to accept it with a password of their choosing, then to sign in as the person on A's host.",
		Steps: []Step{
			{As: Stranger, On: "A", Op: "submit-public-service-request", Want: "2xx",
				Body: map[string]string{"email": "{victim}", "name": "{marker_a} Person", "title": "{marker_a} private request", "details": "{marker_a} private details"}},
			{As: Person, On: "A", Op: "confirm-public-service-request", Want: "2xx", Body: map[string]string{"token": "{mail}"}},
			{As: Attacker, On: "B", Op: "invite-member", Want: "2xx", NoToken: true,
				Body: map[string]string{"email": "{victim}", "role": "client", "display_name": "Probe Guest"}},
			{As: Attacker, On: "B", Op: "accept-invitation", Want: "4xx", Body: map[string]string{"token": "{token}", "password": "{password}"}},
			{As: Attacker, On: "A", Op: "login", Want: "401", Body: map[string]string{"email": "{victim}", "password": "{password}"}},
			{As: Attacker, On: "apex", Op: "login", Want: "401", Body: map[string]string{"email": "{victim}", "password": "{password}"}},
		},
	},
	{
		Name: "invitation-before-public-form", Threat: "AUTH-14",
		Does: "B's owner invites an address before its person uses the platform and tries to accept it; the person later files and confirms a request on A; B's owner tries to sign in as them on A.",
		Steps: []Step{
			{As: Attacker, On: "B", Op: "invite-member", Want: "2xx", NoToken: true,
				Body: map[string]string{"email": "{victim}", "role": "client", "display_name": "Probe Guest"}},
			{As: Attacker, On: "B", Op: "accept-invitation", Want: "4xx", Body: map[string]string{"token": "{token}", "password": "{password}"}},
			{As: Stranger, On: "A", Op: "submit-public-service-request", Want: "2xx",
				Body: map[string]string{"email": "{victim}", "name": "{marker_a} Person", "title": "{marker_a} first request", "details": "{marker_a} first details"}},
			{As: Person, On: "A", Op: "confirm-public-service-request", Want: "2xx", Body: map[string]string{"token": "{mail}"}},
			{As: Attacker, On: "A", Op: "login", Want: "401", Body: map[string]string{"email": "{victim}", "password": "{password}"}},
		},
	},
	{
		Name: "reset-from-another-tenant", Threat: "AUTH-14, SURF-08",
		Does: "A's owner invites the person, who joins A with their own password; B's owner asks for a reset of the person's password on B's host and tries to use it, then to sign in as them on A.",
		Steps: []Step{
			{As: OwnerA, On: "A", Op: "invite-member", Want: "2xx", NoToken: true,
				Body: map[string]string{"email": "{victim}", "role": "client", "display_name": "{marker_a} Member"}},
			{As: Person, On: "A", Op: "accept-invitation", Want: "2xx", Body: map[string]string{"token": "{mail}", "password": "{victim_password}"}},
			{As: Attacker, On: "B", Op: "request-password-reset", Want: "2xx", NoToken: true, Body: map[string]string{"email": "{victim}"}},
			{As: Attacker, On: "B", Op: "confirm-password-reset", Want: "4xx", Body: map[string]string{"token": "{token}", "password": "{password}"}},
			{As: Attacker, On: "A", Op: "login", Want: "401", Body: map[string]string{"email": "{victim}", "password": "{password}"}},
		},
	},
	{
		Name: "reset-link-on-another-host", Threat: "SURF-08",
		Does: "The person, a member of A, asks for a password reset on A's host; the link, forwarded to or phished through B's host or the apex, must set no password there; B's owner then tries the password chosen there on A.",
		Steps: []Step{
			{As: OwnerA, On: "A", Op: "invite-member", Want: "2xx", NoToken: true,
				Body: map[string]string{"email": "{victim}", "role": "client", "display_name": "{marker_a} Member"}},
			{As: Person, On: "A", Op: "accept-invitation", Want: "2xx", Body: map[string]string{"token": "{mail}", "password": "{victim_password}"}},
			{As: Person, On: "A", Op: "request-password-reset", Want: "2xx", NoToken: true, Body: map[string]string{"email": "{victim}"}},
			{As: Person, On: "B", Op: "confirm-password-reset", Want: "4xx", Body: map[string]string{"token": "{mail}", "password": "{password}"}},
			{As: Person, On: "apex", Op: "confirm-password-reset", Want: "4xx", Body: map[string]string{"token": "{mailed}", "password": "{password}"}},
			{As: Attacker, On: "A", Op: "login", Want: "401", Body: map[string]string{"email": "{victim}", "password": "{password}"}},
			{As: Person, On: "A", Op: "confirm-password-reset", Want: "2xx", Body: map[string]string{"token": "{mailed}", "password": "{victim_password}"}},
		},
	},
	{
		Name: "signup-in-someone-elses-name", Threat: "AUTH-14",
		Does: "The person is a member of A with a password; B's owner signs up a new organization with the person's address and tries to confirm it with a password of their choosing, then to sign in as the person on A and on the apex.",
		Steps: []Step{
			{As: OwnerA, On: "A", Op: "invite-member", Want: "2xx", NoToken: true,
				Body: map[string]string{"email": "{victim}", "role": "client", "display_name": "{marker_a} Member"}},
			{As: Person, On: "A", Op: "accept-invitation", Want: "2xx", Body: map[string]string{"token": "{mail}", "password": "{victim_password}"}},
			{As: Attacker, On: "apex", Op: "signup", Want: "2xx", NoToken: true,
				Body: map[string]string{"email": "{victim}", "slug": "{fresh_slug}", "name": "Probe Takeover Firm"}},
			{As: Attacker, On: "apex", Op: "confirm-signup", Want: "4xx", Body: map[string]string{"token": "{token}", "password": "{password}"}},
			{As: Attacker, On: "A", Op: "login", Want: "401", Body: map[string]string{"email": "{victim}", "password": "{password}"}},
			{As: Attacker, On: "apex", Op: "login", Want: "401", Body: map[string]string{"email": "{victim}", "password": "{password}"}},
		},
	},
	{
		Name: "handoff-sent-as-a-link", Threat: "AUTH-16",
		Does: "A member of A asks for a switch and sends its one-time handoff to the person; the person's browser posts it from another site and from B's host.",
		Steps: []Step{
			{As: Spare, On: "A", Op: "switch-tenant", Want: "2xx", Body: map[string]string{"tenant": "{slug_a}"}},
			{As: Person, On: "A", Op: "redeem-handoff", Origin: "https://evil.example", Want: "4xx", Body: map[string]string{"token": "{token}"}},
			{As: Person, On: "A", Op: "redeem-handoff", Origin: "B", Want: "4xx", Body: map[string]string{"token": "{token}"}},
		},
	},
}

// FlowResult is the outcome of one flow.
type FlowResult struct {
	Flow
	Results []StepResult `json:"results"`
	OK      bool         `json:"ok"`
}

// StepResult is the outcome of one step.
type StepResult struct {
	Status int    `json:"status,omitempty"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// tokenIn finds a one-time token in an answer: a "token" field, or a link
// with a token parameter.
var (
	tokenField = regexp.MustCompile(`"token"\s*:\s*"([A-Za-z0-9_\-]{16,})"`)
	tokenParam = regexp.MustCompile(`[?&]token=([A-Za-z0-9_\-%]{16,})`)
)

func tokenIn(b []byte) string {
	if m := tokenField.FindSubmatch(b); m != nil {
		return string(m[1])
	}
	if m := tokenParam.FindSubmatch(b); m != nil {
		t, _ := url.QueryUnescape(string(m[1]))
		return t
	}
	return ""
}

// flows runs every flow and records it in the report. B's owner acts on
// B in them (invitations, resets): B's read-back is taken anew after.
func (p *prober) flows(ctx context.Context) {
	for _, f := range Flows {
		p.report.Flows = append(p.report.Flows, p.flow(ctx, f))
	}
	fp, err := p.fingerprintB(ctx)
	if err != nil {
		p.report.fail("flows", "", "read B back: %v", err)
		return
	}
	p.fingerprint = fp
}

// flow runs f with a new person and checks it.
func (p *prober) flow(ctx context.Context, f Flow) *FlowResult {
	res := &FlowResult{Flow: f, OK: true}
	key := "flow " + f.Name
	failStep := func(i int, format string, args ...any) {
		res.OK = false
		res.Results[i].OK = false
		res.Results[i].Detail = fmt.Sprintf(format, args...)
		p.report.fail(key, "step "+strconv.Itoa(i+1)+" "+f.Steps[i].Op, format, args...)
	}
	vars := map[string]string{
		"victim":          "probe-person-" + p.v.word(10) + "@example.org",
		"victim_password": "probe-person-" + p.v.word(16),
		"password":        "probe-attacker-" + p.v.word(16),
		"marker_a":        p.a.marker, "slug_a": p.a.slug, "slug_b": p.b.slug,
		"token": p.v.word(43), "fresh_slug": "probe-" + p.v.word(10),
	}
	var attacked []response
	var spare *session
	for i, st := range f.Steps {
		res.Results = append(res.Results, StepResult{OK: true})
		op, err := p.op(map[bool]string{true: "apex", false: "tenant"}[st.On == "apex"], st.Op)
		if err != nil {
			failStep(i, "%v", err)
			return res
		}
		r := request{method: op.Method, path: op.Path, header: map[string]string{}}
		sp := specials[st.Op]
		r.signIn, r.limited = sp.signIn, sp.limited
		switch st.On {
		case "A":
			r.host = p.a.host
		case "B":
			r.host = p.b.host
		default:
			r.host = p.apex
		}
		switch st.As {
		case Attacker:
			r.token, r.sig = p.b.owner.token, p.b.owner.sig
		case OwnerA:
			r.token, r.sig = p.a.owner.token, p.a.owner.sig
		case Spare:
			if spare == nil {
				if spare, err = p.throwaway(ctx, "client", false); err != nil {
					failStep(i, "a session of %s to spend: %v", p.a.slug, err)
					return res
				}
			}
			r.token, r.sig = spare.token, spare.sig
		}
		body := map[string]string{}
		for k, v := range st.Body {
			if strings.Contains(v, "{mail}") {
				if st.As != Person {
					failStep(i, "only the person reads their mail: the flow is wrong")
					return res
				}
				tok, err := p.cfg.Mailbox.Token(ctx, vars["victim"])
				if err != nil {
					failStep(i, "read the person's mail: %v", err)
					return res
				}
				v = strings.ReplaceAll(v, "{mail}", tok)
				vars["mailed"] = tok
			}
			for name, val := range vars {
				v = strings.ReplaceAll(v, "{"+name+"}", val)
			}
			body[k] = v
		}
		r.body = body
		if st.Origin != "" {
			origin := st.Origin
			switch origin {
			case "A":
				origin = p.c.url(p.a.host, "")
			case "B":
				origin = p.c.url(p.b.host, "")
			}
			r.header["Origin"], r.header["Sec-Fetch-Site"] = origin, "cross-site"
		}
		resp, err := p.c.do(ctx, r)
		if err != nil {
			failStep(i, "request failed: %v", err)
			return res
		}
		res.Results[i].Status = resp.status
		if st.As == Attacker || st.As == Stranger {
			attacked = append(attacked, resp)
		}
		if !wantOf(st.Want).ok(resp) {
			failStep(i, "want %s, got %s", st.Want, resp)
		}
		if tok := tokenIn(resp.body); tok != "" {
			if st.NoToken {
				failStep(i, "the answer hands %s a one-time token", st.As)
			}
			vars["token"] = tok
		}
		if st.As == Person && resp.status/100 != 2 {
			for _, c := range resp.header.Values("Set-Cookie") {
				if strings.Contains(c, "session=") && !strings.Contains(c, "session=;") {
					failStep(i, "a refused step signed the person's browser in")
				}
			}
		}
	}
	for _, resp := range attacked {
		for _, leak := range p.a.secrets.find(resp, nil) {
			res.OK = false
			p.report.fail(key, "", "an attacker was answered with %s", leak)
		}
	}
	return res
}

// wantOf reads a step's Want.
func wantOf(w string) expectation {
	switch w {
	case "2xx":
		return want2xx
	case "4xx":
		return want4xx
	}
	n, _ := strconv.Atoi(w)
	return wantStatus(n)
}
