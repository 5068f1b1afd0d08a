package probe

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// SoakConfig configures the randomized soak: concurrent random operations
// across many tenants, every answer scanned for any other tenant's marker
// or ids.
type SoakConfig struct {
	// Probes is the number of requests to send. 0: no soak.
	Probes int
	// Workers is the number of concurrent clients. Defaults to 6.
	Workers int
	// CancelEvery: about one request in CancelEvery is cancelled mid-flight
	// (after a random delay of up to 1 ms). Defaults to 100; negative: none.
	CancelEvery int
	// ForeignEvery: about one request in ForeignEvery carries another
	// tenant's id, which must answer 404. Defaults to 10.
	ForeignEvery int
	// Tenants are the slugs of the tenants to spread over, each with the
	// logins of Config.Login. Defaults to tenants A and B.
	Tenants []string
}

// SoakResult is the soak's outcome.
type SoakResult struct {
	Tenants   int     `json:"tenants"`
	Probes    int64   `json:"probes"`
	Cancelled int64   `json:"cancelled"`
	Foreign   int64   `json:"foreign"`
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"per_second"`
	// Leaks counts answers holding another tenant's marker or id, or a
	// foreign id that did not answer 404.
	Leaks        int64         `json:"leaks"`
	ServerErrors int64         `json:"server_errors"`
	Statuses     map[int]int64 `json:"statuses"`
	Samples      []string      `json:"samples,omitempty"`
}

// soakTenant is one tenant of the soak with its three sessions.
type soakTenant struct {
	*tenantState
	sessions []*session
}

type soakState struct {
	p       *prober
	tenants []*soakTenant
	ops     []*Operation
	mu      sync.RWMutex
	owner   map[string]int // id → index of the one tenant it belongs to; -1: shared
	res     *SoakResult
	statMu  sync.Mutex
}

func (s *soakState) ownerOf(id string) (int, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	i, ok := s.owner[id]
	return i, ok && i >= 0
}

func (s *soakState) claim(id string, t int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, ok := s.owner[id]; ok && prev != t {
		s.owner[id] = -1
		return
	}
	s.owner[id] = t
}

func (p *prober) soak(ctx context.Context, sc SoakConfig) (*SoakResult, error) {
	if sc.Workers <= 0 {
		sc.Workers = 6
	}
	if sc.CancelEvery == 0 {
		sc.CancelEvery = 100
	}
	if sc.ForeignEvery <= 0 {
		sc.ForeignEvery = 10
	}
	if len(sc.Tenants) == 0 {
		sc.Tenants = []string{p.a.slug, p.b.slug}
	}
	s := &soakState{p: p, owner: map[string]int{}, res: &SoakResult{Statuses: map[int]int64{}}}
	for i, slug := range sc.Tenants {
		var t *tenantState
		switch slug {
		case p.a.slug:
			t = p.a
		case p.b.slug:
			t = p.b
		default:
			t = newTenantState(slug, p.apex)
			if err := p.signInTenant(ctx, t); err != nil {
				return nil, err
			}
			if err := p.learn(ctx, t); err != nil {
				return nil, err
			}
		}
		st := &soakTenant{tenantState: t, sessions: []*session{t.owner, t.client}}
		if t == p.a {
			st.sessions = append(st.sessions, p.roles["staff"])
		} else {
			ss, err := p.signIn(ctx, t.host, p.cfg.Login(slug, "staff"), p.cfg.Password, t)
			if err != nil {
				return nil, err
			}
			st.sessions = append(st.sessions, ss)
		}
		for id := range t.seen {
			s.claim(id, i)
		}
		s.tenants = append(s.tenants, st)
	}
	markers := map[string]bool{}
	for _, t := range s.tenants {
		if t.marker == "" || markers[t.marker] {
			return nil, fmt.Errorf("probe: soak tenant %s has no marker of its own (%q)", t.slug, t.marker)
		}
		markers[t.marker] = true
	}
	for _, op := range p.ops {
		sp := specials[op.ID]
		if op.Host != "tenant" || op.Tenancy == "platform" || sp.endsSession || sp.endsOwnSession || sp.revokes || sp.signIn || sp.limited || sp.hostBound {
			continue
		}
		s.ops = append(s.ops, op)
	}
	p.cfg.logf("probe: soak of %d probes over %d tenants, %d operations, %d workers", sc.Probes, len(s.tenants), len(s.ops), sc.Workers)
	p.randomIDs = true
	defer func() { p.randomIDs = false }()

	// A draw that cannot be built (a list emptied by deletions) is drawn
	// again; so many that the soak could not reach its count end it.
	var next, draws atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := range sc.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(p.cfg.Seed, uint64(w)+1))
			for next.Load() < int64(sc.Probes) && draws.Add(1) <= 10*int64(sc.Probes) && ctx.Err() == nil {
				if s.probe(ctx, rnd, sc) {
					next.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	s.res.Tenants = len(s.tenants)
	s.res.Seconds = time.Since(start).Seconds()
	s.res.PerSecond = float64(s.res.Probes) / s.res.Seconds
	return s.res, ctx.Err()
}

// probe sends one random request and checks the answer; false when the
// draw could not be built into a request.
func (s *soakState) probe(ctx context.Context, rnd *rand.Rand, sc SoakConfig) bool {
	p := s.p
	ti := rnd.IntN(len(s.tenants))
	t := s.tenants[ti]
	op := s.ops[rnd.IntN(len(s.ops))]
	// Half the probes as the operation's caller (the owner, or a client in
	// the portal); the rest spread over every role, whose refusals are
	// probes too.
	actor := t.caller(op)
	if rnd.IntN(2) == 0 {
		actor = t.sessions[rnd.IntN(len(t.sessions))]
	}
	if op.Tenancy == "public" {
		actor = nil
	}
	c, err := p.build(ctx, op, t.tenantState, actor, false)
	if err != nil {
		return false
	}
	foreign := false
	if len(c.slots) > 0 && rnd.IntN(sc.ForeignEvery) == 0 {
		other := s.tenants[(ti+1+rnd.IntN(len(s.tenants)-1))%len(s.tenants)]
		sl := c.slots[rnd.IntN(len(c.slots))]
		other.mu.Lock()
		ids := other.byTemplate[sl.coll]
		var id string
		if len(ids) > 0 {
			id = ids[rnd.IntN(len(ids))]
		}
		other.mu.Unlock()
		if oi, ok := s.ownerOf(id); ok && oi != ti {
			sl.set(c, id)
			foreign = true
		}
	}
	r := c.render()
	rctx := ctx
	cancelled := false
	if sc.CancelEvery > 0 && rnd.IntN(sc.CancelEvery) == 0 {
		var cancel context.CancelFunc
		rctx, cancel = context.WithCancel(ctx)
		delay := time.Duration(rnd.IntN(1000)) * time.Microsecond
		timer := time.AfterFunc(delay, cancel)
		defer timer.Stop()
		defer cancel()
		cancelled = true
	}
	resp, err := p.c.once(rctx, r)
	atomic.AddInt64(&s.res.Probes, 1)
	if err != nil {
		if cancelled && errors.Is(err, context.Canceled) {
			atomic.AddInt64(&s.res.Cancelled, 1)
			return true
		}
		s.leak(fmt.Sprintf("%s %s on %s: request failed: %v", r.method, r.path, t.slug, err), false)
		return true
	}
	s.statMu.Lock()
	s.res.Statuses[resp.status]++
	s.statMu.Unlock()
	if resp.status >= 500 {
		atomic.AddInt64(&s.res.ServerErrors, 1)
		s.sample(fmt.Sprintf("%s %s on %s: %s", r.method, r.path, t.slug, resp))
	}
	if foreign {
		atomic.AddInt64(&s.res.Foreign, 1)
		// A foreign id answers 404 to every caller the operation serves:
		// any role at least its least one, but only clients in the portal.
		allowed := actor == nil || actor == t.caller(op) || op.MinRole != "client" && roleRank[actor.role] >= roleRank[op.MinRole]
		if allowed && resp.status != 404 {
			s.leak(fmt.Sprintf("%s %s on %s with another tenant's id: %s", r.method, r.path, t.slug, resp), true)
		}
	}
	echo := echoOf(r)
	maps.Copy(echo, p.planted)
	for _, id := range uuidsIn(resp.body) {
		if oi, ok := s.ownerOf(id); ok && oi != ti && !echo[id] {
			s.leak(fmt.Sprintf("%s %s on %s answered %s's id %s: %s", r.method, r.path, t.slug, s.tenants[oi].slug, id, resp), true)
		}
	}
	for i, o := range s.tenants {
		if i != ti && containsWord(resp.body, o.marker) {
			s.leak(fmt.Sprintf("%s %s on %s answered %s's marker %q: %s", r.method, r.path, t.slug, o.slug, o.marker, resp), true)
		}
	}
	// Remember what this tenant created, so later probes use it and other
	// tenants' answers are checked against it.
	if resp.status/100 == 2 && op.Method == "POST" && op.createsID {
		var out struct{ ID string }
		if resp.json(&out) == nil {
			if id, err := uuid.Parse(out.ID); err == nil {
				s.claim(id.String(), ti)
				if tmpl := op.Path; p.collections[tmpl] != nil && !strings.Contains(tmpl, "{") {
					t.add(tmpl, tmpl, id.String())
				}
			}
		}
	}
	return true
}

func (s *soakState) leak(msg string, counted bool) {
	if counted {
		atomic.AddInt64(&s.res.Leaks, 1)
	} else {
		atomic.AddInt64(&s.res.ServerErrors, 1)
	}
	s.sample(msg)
}

func (s *soakState) sample(msg string) {
	s.statMu.Lock()
	defer s.statMu.Unlock()
	if len(s.res.Samples) < 20 {
		s.res.Samples = append(s.res.Samples, msg)
		sort.Strings(s.res.Samples)
	}
}
