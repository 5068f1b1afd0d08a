package probe

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The fills of this file build the bodies whose valid values depend on the
// state of the tenant's data: a free slot to book, a status a request may
// move to, hours that do not overlap others.

// get reads path on the call's host as the call's actor into out.
func (p *prober) get(ctx context.Context, c *call, path string, out any) error {
	r := request{method: "GET", host: c.host, path: path}
	if c.actor != nil {
		r.token, r.sig = c.actor.token, c.actor.sig
	}
	resp, err := p.c.do(ctx, r)
	if err != nil {
		return err
	}
	if resp.status != 200 {
		return errStatus("read "+path, resp)
	}
	return resp.json(out)
}

// portal reports whether op belongs to the client portal, whose
// operations have their own list of services and of bookings.
func portal(op *Operation) bool { return strings.HasPrefix(op.Path, "/api/portal/") }

type freeSlot struct {
	StaffMemberID string `json:"staff_member_id"`
	StartsAt      string `json:"starts_at"`
}

// freeSlots lists the free slots of service (of the portal's or the
// staff's list) from two days on: past the notice a booking keeps, so a
// client may still move or cancel what the probe books.
func (p *prober) freeSlots(ctx context.Context, c *call, service, staff string) ([]freeSlot, error) {
	opID := "list-service-slots"
	if portal(c.op) {
		opID = "list-portal-service-slots"
	}
	op, err := p.op("tenant", opID)
	if err != nil {
		return nil, err
	}
	from := time.Now().UTC().AddDate(0, 0, 2)
	q := url.Values{"from": {from.Format(time.DateOnly)}, "to": {from.AddDate(0, 0, 30).Format(time.DateOnly)}, "limit": {"100"}}
	if staff != "" {
		q.Set("staff_member_id", staff)
	}
	var pg struct{ Items []freeSlot }
	err = p.get(ctx, c, withQuery(strings.Replace(op.Path, "{id}", service, 1), q), &pg)
	return pg.Items, err
}

// fillSlot books a free slot: the service, the staff member and the start
// of the first free slot of the tenant's services (a random one in the
// soak). The service and staff member are slots of the call.
func fillSlot(ctx context.Context, p *prober, c *call) error {
	services := "/api/services"
	if portal(c.op) {
		services = "/api/portal/services"
	}
	c.t.mu.Lock()
	ids := append([]string(nil), c.t.lists[services]...)
	c.t.mu.Unlock()
	for _, id := range ids {
		slots, err := p.freeSlots(ctx, c, id, "")
		if err != nil {
			return err
		}
		if len(slots) == 0 {
			continue
		}
		s := slots[0]
		if p.randomIDs {
			s = slots[p.v.intn(len(slots))]
		}
		c.body["service_id"], c.body["staff_member_id"], c.body["starts_at"] = id, s.StaffMemberID, s.StartsAt
		c.slots = append(c.slots,
			&slot{loc: "body service_id", coll: services, set: func(c *call, id string) { c.body["service_id"] = id }},
			&slot{loc: "body staff_member_id", coll: "/api/members", set: func(c *call, id string) { c.body["staff_member_id"] = id }})
		return nil
	}
	return fmt.Errorf("no service of %s has a free slot in the next 30 days", c.t.slug)
}

// fillReschedule moves the booking of the call's path to another free
// slot of its staff member.
func fillReschedule(ctx context.Context, p *prober, c *call) error {
	get := "/api/bookings/"
	if portal(c.op) {
		get = "/api/portal/bookings/"
	}
	var b struct {
		ServiceID     string    `json:"service_id"`
		StaffMemberID string    `json:"staff_member_id"`
		StartsAt      time.Time `json:"starts_at"`
	}
	if err := p.get(ctx, c, get+url.PathEscape(c.path["id"]), &b); err != nil {
		return err
	}
	slots, err := p.freeSlots(ctx, c, b.ServiceID, b.StaffMemberID)
	if err != nil {
		return err
	}
	for _, s := range slots {
		if at, err := time.Parse(time.RFC3339, s.StartsAt); err == nil && !at.Equal(b.StartsAt) {
			c.body["starts_at"] = s.StartsAt
			return nil
		}
	}
	return fmt.Errorf("booking %s: its staff member has no other free slot in the next 30 days", c.path["id"])
}

// fillTransition moves the request of the call's path to the first status
// the API lists as next.
func fillTransition(ctx context.Context, p *prober, c *call) error {
	var next struct {
		Items []struct{ Status string }
	}
	if err := p.get(ctx, c, renderPath(c.op.Path, c.path), &next); err != nil {
		return err
	}
	if len(next.Items) == 0 {
		return fmt.Errorf("request %s: no status to move to", c.path["id"])
	}
	c.body["to"] = next.Items[0].Status
	return nil
}

// fillHours sets weekly hours that overlap no others: ten minutes a
// probe, on a weekday and in the night hours before nine, the demo's
// opening, and a new window each call.
func fillHours(_ context.Context, p *prober, c *call) error {
	n := int(p.hoursSeq.Add(1) - 1)
	start := (n / 7 % 54) * 10
	c.body["weekday"] = n%7 + 1
	c.body["start_time"] = fmt.Sprintf("%02d:%02d", start/60, start%60)
	c.body["end_time"] = fmt.Sprintf("%02d:%02d", (start+10)/60, (start+10)%60)
	return nil
}

// startedBooking returns a confirmed booking of tenant t that has started,
// and that no call took before: completing it or marking a no-show needs
// one, and the API books future slots only. The demo seeds some.
func startedBooking(ctx context.Context, p *prober, t *tenantState) (string, error) {
	op, err := p.op("tenant", "list-bookings")
	if err != nil {
		return "", err
	}
	q := url.Values{"status": {"confirmed"}, "to": {time.Now().UTC().Format(time.DateOnly)}, "limit": {"100"}}
	c := &call{op: op, t: t, host: t.host, actor: t.owner}
	var pg struct {
		Items []struct {
			ID       string    `json:"id"`
			StartsAt time.Time `json:"starts_at"`
		}
	}
	if err := p.get(ctx, c, withQuery(op.Path, q), &pg); err != nil {
		return "", err
	}
	p.takenMu.Lock()
	defer p.takenMu.Unlock()
	for _, b := range pg.Items {
		id := strings.ToLower(b.ID)
		if b.StartsAt.Before(time.Now()) && !p.taken[id] {
			p.taken[id] = true
			return id, nil
		}
	}
	return "", fmt.Errorf("no confirmed booking of %s that has started is left: completing one or marking a no-show takes one per call", t.slug)
}

// fillAssignee assigns the request to a member with role staff: requests
// are assigned to staff, not to clients.
func fillAssignee(ctx context.Context, p *prober, c *call) error {
	op, err := p.op("tenant", "list-members")
	if err != nil {
		return err
	}
	var pg struct {
		Items []struct{ ID string }
	}
	if err := p.get(ctx, c, withQuery(op.Path, url.Values{"role": {"staff"}}), &pg); err != nil {
		return err
	}
	if len(pg.Items) == 0 {
		return fmt.Errorf("%s has no member with role staff to assign requests to", c.t.slug)
	}
	c.body["member_id"] = strings.ToLower(pg.Items[p.v.intn(len(pg.Items))].ID)
	c.slots = append(c.slots, &slot{loc: "body member_id", coll: op.Path, set: func(c *call, id string) { c.body["member_id"] = id }})
	return nil
}
