package probe

import (
	"context"
	"fmt"
	"net/http"
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
	from := p.cfg.Now().UTC().AddDate(0, 0, 2)
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
		if answered(err, http.StatusConflict) {
			continue // inactive or archived: not open for booking
		}
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

// fillHours sets weekly hours that overlap no others: a ten-minute window
// outside the demo's opening hours (nine to five on weekdays) that no
// member of the tenant holds yet, nor another call of this run took. The
// tenant's hours are read first, so a long-lived demo that earlier runs
// left hours in still has room.
func fillHours(ctx context.Context, p *prober, c *call) error {
	op, err := p.op("tenant", "list-availability-rules")
	if err != nil {
		return err
	}
	held := map[string]bool{}
	q := url.Values{"limit": {"100"}}
	for {
		var pg struct {
			Items []struct {
				Weekday   int
				StartTime string `json:"start_time"`
				EndTime   string `json:"end_time"`
			}
			NextCursor string `json:"next_cursor"`
		}
		if err := p.get(ctx, c, withQuery(op.Path, q), &pg); err != nil {
			return err
		}
		for _, r := range pg.Items {
			for m := minutes(r.StartTime) / 10 * 10; m < minutes(r.EndTime); m += 10 {
				held[fmt.Sprintf("%d %d", r.Weekday, m)] = true
			}
		}
		if pg.NextCursor == "" {
			break
		}
		q.Set("cursor", pg.NextCursor)
	}
	const windows = 7 * 24 * 6
	p.takenMu.Lock()
	defer p.takenMu.Unlock()
	from := int(p.hoursSeq.Add(1) - 1)
	for i := range windows {
		n := (from + i) % windows
		weekday, start := n%7+1, n/7*10
		key := fmt.Sprintf("%d %d", weekday, start)
		if (weekday <= 5 && start >= 9*60 && start < 17*60) || held[key] || p.taken["hours "+key] {
			continue
		}
		p.taken["hours "+key] = true
		c.body["weekday"] = weekday
		c.body["start_time"] = fmt.Sprintf("%02d:%02d", start/60, start%60)
		c.body["end_time"] = fmt.Sprintf("%02d:%02d", (start+10)/60, (start+10)%60)
		return nil
	}
	return fmt.Errorf("%s: every ten-minute window outside the opening hours holds weekly hours: delete some", c.t.slug)
}

// minutes reads "HH:MM" as minutes after midnight.
func minutes(hhmm string) int {
	var h, m int
	_, _ = fmt.Sscanf(hhmm, "%d:%d", &h, &m) // the server wrote it; a bad value reads as 00:00
	return h*60 + m
}

// startedBooking returns a confirmed booking of tenant t that has started,
// and that no call took before: completing it or marking a no-show needs
// one, and the API books future slots only. The demo seeds some.
func startedBooking(ctx context.Context, p *prober, t *tenantState) (string, error) {
	op, err := p.op("tenant", "list-bookings")
	if err != nil {
		return "", err
	}
	now := p.cfg.Now()
	q := url.Values{"status": {"confirmed"}, "to": {now.UTC().Format(time.DateOnly)}, "limit": {"100"}}
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
		if b.StartsAt.Before(now) && !p.taken[id] {
			p.taken[id] = true
			return id, nil
		}
	}
	return "", fmt.Errorf("no confirmed booking of %s that has started is left: completing one or marking a no-show takes one per call, and the API cannot book the past (the demo renews them each time `tenantkit dev` starts)", t.slug)
}

// openService returns an active service of tenant t: only those have free
// slots (a long-lived tenant has inactive ones too).
func openService(ctx context.Context, p *prober, t *tenantState) (string, error) {
	list, err := p.op("tenant", "list-services")
	if err != nil {
		return "", err
	}
	c := &call{op: list, t: t, host: t.host, actor: t.caller(list)}
	var pg struct {
		Items []struct {
			ID string `json:"id"`
		}
	}
	if err := p.get(ctx, c, withQuery(list.Path, url.Values{"active": {"true"}, "limit": {"1"}}), &pg); err != nil {
		return "", err
	}
	if len(pg.Items) == 0 {
		return "", fmt.Errorf("%s has no active service", t.slug)
	}
	return strings.ToLower(pg.Items[0].ID), nil
}

// pendingBooking books a slot of a service that requires confirmation, so
// that the booking waits for staff to confirm it: a booking of any other
// service is confirmed when it is made.
func pendingBooking(ctx context.Context, p *prober, t *tenantState) (string, error) {
	create, err := p.op("tenant", "create-booking")
	if err != nil {
		return "", err
	}
	list, err := p.op("tenant", "list-services")
	if err != nil {
		return "", err
	}
	c, err := p.buildWith(ctx, create, t, t.caller(create), false, nil)
	if err != nil {
		return "", err
	}
	q := url.Values{"active": {"true"}, "limit": {"100"}}
	for {
		var pg struct {
			Items []struct {
				ID                   string `json:"id"`
				RequiresConfirmation bool   `json:"requires_confirmation"`
			}
			NextCursor string `json:"next_cursor"`
		}
		if err := p.get(ctx, c, withQuery(list.Path, q), &pg); err != nil {
			return "", err
		}
		for _, svc := range pg.Items {
			if !svc.RequiresConfirmation {
				continue
			}
			slots, err := p.freeSlots(ctx, c, svc.ID, "")
			if err != nil {
				return "", err
			}
			if len(slots) == 0 {
				continue
			}
			c.body["service_id"], c.body["staff_member_id"], c.body["starts_at"] = svc.ID, slots[0].StaffMemberID, slots[0].StartsAt
			r, err := p.c.do(ctx, c.render())
			if err != nil {
				return "", err
			}
			var out struct {
				ID     string `json:"id"`
				Status string `json:"status"`
			}
			if r.status/100 != 2 || r.json(&out) != nil || out.Status != "pending" {
				return "", errStatus(fmt.Sprintf("book a pending booking of %s", t.slug), r)
			}
			return strings.ToLower(out.ID), nil
		}
		if pg.NextCursor == "" {
			return "", fmt.Errorf("no active service of %s that requires confirmation has a free slot: confirming a booking needs a pending one", t.slug)
		}
		q.Set("cursor", pg.NextCursor)
	}
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
