package ui

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/web/route"
)

// The recurring requests pages: the rules that repeat a service request
// weekly or monthly, with their next dates; making, changing and deleting
// one. Every action is staff's, as in the API.

// ruleFields are the fields of the rule form; a rule keeps the request it
// repeats, so the edit form has no service_request_id.
var ruleFields = []string{"frequency", "every", "starts_on", "until_on", "count"}

// nextShown is how many next dates the list shows per rule; previewShown
// how many the rule's page shows.
const (
	nextShown    = 3
	previewShown = 10
)

func (s *UI) registerRecurringPages(page registrar, staff route.Policy) {
	page(http.MethodGet, "/app/recurring", staff, s.pageRules, query(paged...))
	page(http.MethodGet, "/app/recurring/new", staff, s.pageNewRule, query("service_request_id"))
	page(http.MethodPost, "/app/recurring", staff, s.pageCreateRule, fields(append([]string{"service_request_id"}, ruleFields...)...))
	page(http.MethodGet, "/app/recurring/{recurring_rule_id}", staff, s.pageRule, query("from"))
	page(http.MethodPost, "/app/recurring/{recurring_rule_id}", staff, s.pageUpdateRule, fields(ruleFields...))
	page(http.MethodGet, "/app/recurring/{recurring_rule_id}/delete", staff, s.pageConfirmDeleteRule)
	page(http.MethodPost, "/app/recurring/{recurring_rule_id}/delete", staff, s.pageDeleteRule, fields())
}

// ruleItem is a rule with the request it repeats and its next dates.
type ruleItem struct {
	Rule    requests.Rule
	Request requests.Request
	Next    []requests.Occurrence
}

// Cadence says how the rule repeats: "Every 2 weeks, on Mondays".
func (i ruleItem) Cadence() string { return cadence(i.Rule) }

// Ends says when the rule ends: "after 5 times", "on Tue 30 Jun 2026", "never".
func (i ruleItem) Ends() string {
	r := i.Rule
	var parts []string
	if r.UntilOn != nil {
		parts = append(parts, "on "+r.UntilOn.Format("Mon 2 Jan 2006"))
	}
	if r.MaxCount != nil {
		times := "times"
		if *r.MaxCount == 1 {
			times = "time"
		}
		parts = append(parts, "after "+strconv.Itoa(*r.MaxCount)+" "+times)
	}
	if parts == nil {
		return "never"
	}
	return strings.Join(parts, ", or ")
}

// Ended reports whether the rule makes no more dates.
func (i ruleItem) Ended() bool { return len(i.Next) == 0 }

func cadence(r requests.Rule) string {
	unit := "week"
	if r.Frequency == requests.FrequencyMonthly {
		unit = "month"
	}
	every := "Every " + unit
	if r.Every > 1 {
		every = "Every " + strconv.Itoa(r.Every) + " " + unit + "s"
	}
	if r.Frequency == requests.FrequencyWeekly {
		return every + ", on " + r.StartsOn.Weekday().String() + "s"
	}
	day := r.StartsOn.Day()
	on := every + ", on the " + ordinal(day)
	if day > 28 {
		on += " (or the month's last day)"
	}
	return on
}

func ordinal(n int) string {
	suffix := "th"
	switch {
	case n%100 >= 11 && n%100 <= 13:
	case n%10 == 1:
		suffix = "st"
	case n%10 == 2:
		suffix = "nd"
	case n%10 == 3:
		suffix = "rd"
	}
	return strconv.Itoa(n) + suffix
}

// rulesPage is one page of the rules.
type rulesPage struct {
	Items []ruleItem
	Pager pager
}

func (s *UI) pageRules(w http.ResponseWriter, r *http.Request) {
	v, ws, ok := s.workspace(w, r, "/app/recurring", "Recurring requests")
	if !ok {
		return
	}
	list, err := route.Keyset(r.Context(), pageQuery(r), func(p requests.Page) ([]requests.Rule, *requests.Key, error) {
		return s.requests.FindRules(r.Context(), p)
	}, func(rl requests.Rule) requests.Rule { return rl })
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	p := rulesPage{Pager: pagerOf(r, list.NextCursor)}
	now := s.Now()
	for _, rl := range list.Items {
		q, err := s.requests.FindRequestByID(r.Context(), rl.ServiceRequestID)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		p.Items = append(p.Items, ruleItem{Rule: rl, Request: q, Next: rl.Next(now, ws.Zone, nextShown)})
	}
	v.Page = p
	s.render(w, r, http.StatusOK, "app_recurring", v)
}

// ruleForm is the page of a new rule, or of an existing one with its
// preview.
type ruleForm struct {
	// Item is the rule shown, nil on the new rule's page.
	Item *ruleItem
	// Requests are the requests a new rule may repeat (the newest
	// hundred, and the one asked for).
	Requests []requests.Request
	// From is the preview's first day; FromError its error.
	From, FromError string
	Today           string
}

// ruleItemByID reads a rule and the request it repeats; the rule's next
// dates are its preview from the day from (zero: today).
func (s *UI) ruleItemByID(r *http.Request, id uuid.UUID, from time.Time) (ruleItem, error) {
	next, err := s.requests.PreviewRule(r.Context(), id, from, previewShown)
	if err != nil {
		return ruleItem{}, err
	}
	rl, err := s.requests.FindRuleByID(r.Context(), id)
	if err != nil {
		return ruleItem{}, err
	}
	q, err := s.requests.FindRequestByID(r.Context(), rl.ServiceRequestID)
	if err != nil {
		return ruleItem{}, err
	}
	return ruleItem{Rule: rl, Request: q, Next: next}, nil
}

// todayIn is the clock's date in zone.
func (s *UI) todayIn(zone *time.Location) string { return s.Now().In(zone).Format(time.DateOnly) }

func (s *UI) pageNewRule(w http.ResponseWriter, r *http.Request) {
	v, ws, ok := s.workspace(w, r, "/app/recurring", "New recurring request")
	if !ok {
		return
	}
	f := &form{Errors: map[string]string{}, Values: map[string][]string{
		"frequency": {string(requests.FrequencyWeekly)}, "every": {"1"}, "starts_on": {s.todayIn(ws.Zone)},
	}}
	if id := r.URL.Query().Get("service_request_id"); id != "" {
		f.Values.Set("service_request_id", id)
	}
	v.Form = f
	s.showRuleForm(w, r, v, ws.Zone, nil, http.StatusOK)
}

// showRuleForm renders the new rule's form (item nil) or the rule's page.
func (s *UI) showRuleForm(w http.ResponseWriter, r *http.Request, v view, zone *time.Location, item *ruleItem, status int) {
	page := ruleForm{Item: item, Today: s.todayIn(zone)}
	if item == nil {
		list, _, err := s.requests.FindRequests(r.Context(), requests.RequestFilter{Page: requests.Page{Limit: 100}})
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		page.Requests = list
		if id, err := uuid.Parse(v.Form.Get("service_request_id")); err == nil && !hasRequest(list, id) {
			if q, err := s.requests.FindRequestByID(r.Context(), id); err == nil {
				page.Requests = append([]requests.Request{q}, list...)
			}
		}
	}
	v.Page = page
	s.render(w, r, status, "app_recurring_rule", v)
}

func hasRequest(list []requests.Request, id uuid.UUID) bool {
	for _, q := range list {
		if q.ID == id {
			return true
		}
	}
	return false
}

// ruleUpdate reads the rule form's schedule; fields that do not parse get
// their error on f.
func ruleUpdate(f *form) (requests.RuleUpdate, bool) {
	u := requests.RuleUpdate{Frequency: requests.Frequency(f.Get("frequency"))}
	ok := true
	if n, err := strconv.Atoi(strings.TrimSpace(f.Get("every"))); err == nil {
		u.Every = n
	} else {
		f.Errors["every"], ok = "a whole number, 1 to "+strconv.Itoa(requests.MaxEvery), false
	}
	if d, err := time.Parse(time.DateOnly, strings.TrimSpace(f.Get("starts_on"))); err == nil {
		u.StartsOn = d
	} else {
		f.Errors["starts_on"], ok = "a date", false
	}
	if s := strings.TrimSpace(f.Get("until_on")); s != "" {
		if d, err := time.Parse(time.DateOnly, s); err == nil {
			u.UntilOn = &d
		} else {
			f.Errors["until_on"], ok = "a date, or nothing", false
		}
	}
	if s := strings.TrimSpace(f.Get("count")); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			u.MaxCount = &n
		} else {
			f.Errors["count"], ok = "a whole number, 1 to "+strconv.Itoa(requests.MaxCount)+", or nothing", false
		}
	}
	return u, ok
}

// failRule shows the rule form again with the errors of err (or of the
// fields that did not parse, err nil).
func (s *UI) failRule(w http.ResponseWriter, r *http.Request, f *form, item *ruleItem, err error) {
	title := "New recurring request"
	if item != nil {
		title = item.Request.Title
	}
	v, ws, ok := s.workspace(w, r, "/app/recurring", title)
	if !ok {
		return
	}
	v.Form = f
	if err != nil {
		v.Error = f.fail(err)
		if route.StatusOf(err) == http.StatusNotFound && item == nil {
			f.Errors["service_request_id"] = "one of the organization's requests"
		}
	} else {
		v.Error = "Some fields need attention."
	}
	s.showRuleForm(w, r, v, ws.Zone, item, statusOf(err, http.StatusUnprocessableEntity))
}

func (s *UI) pageCreateRule(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	u, ok := ruleUpdate(f)
	id, err := uuid.Parse(strings.TrimSpace(f.Get("service_request_id")))
	if err != nil {
		f.Errors["service_request_id"], ok = "choose a request", false
	}
	if !ok {
		s.failRule(w, r, f, nil, nil)
		return
	}
	rl, err := s.requests.CreateRule(r.Context(), requests.RuleInput{ServiceRequestID: id, Frequency: u.Frequency, Every: u.Every,
		StartsOn: u.StartsOn, UntilOn: u.UntilOn, MaxCount: u.MaxCount})
	if err != nil {
		s.failRule(w, r, f, nil, err)
		return
	}
	s.done(w, r, "/app/recurring/"+rl.ID.String(), "Recurring request created.")
}

func (s *UI) pageRule(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "recurring_rule_id", "recurring rule", func(id uuid.UUID) {
		var from time.Time
		fromText := strings.TrimSpace(r.URL.Query().Get("from"))
		fromErr := ""
		if fromText != "" {
			d, err := time.Parse(time.DateOnly, fromText)
			if err != nil {
				fromErr = "a date"
			} else {
				from = d
			}
		}
		item, err := s.ruleItemByID(r, id, from)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, ws, ok := s.workspace(w, r, "/app/recurring", item.Request.Title)
		if !ok {
			return
		}
		v.Form = formOfRule(item.Rule)
		status := http.StatusOK
		if fromErr != "" {
			status = http.StatusUnprocessableEntity
		}
		page := ruleForm{Item: &item, Today: s.todayIn(ws.Zone), From: fromText, FromError: fromErr}
		if page.From == "" {
			page.From = page.Today
		}
		v.Page = page
		s.render(w, r, status, "app_recurring_rule", v)
	})
}

// formOfRule fills the rule form with r's schedule.
func formOfRule(r requests.Rule) *form {
	f := &form{Errors: map[string]string{}, Values: map[string][]string{
		"frequency": {string(r.Frequency)}, "every": {strconv.Itoa(r.Every)}, "starts_on": {r.StartsOn.Format(time.DateOnly)},
	}}
	if r.UntilOn != nil {
		f.Values.Set("until_on", r.UntilOn.Format(time.DateOnly))
	}
	if r.MaxCount != nil {
		f.Values.Set("count", strconv.Itoa(*r.MaxCount))
	}
	return f
}

func (s *UI) pageUpdateRule(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "recurring_rule_id", "recurring rule", func(id uuid.UUID) {
		item, err := s.ruleItemByID(r, id, time.Time{})
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		f := newForm(r)
		u, ok := ruleUpdate(f)
		if !ok {
			s.failRule(w, r, f, &item, nil)
			return
		}
		if _, err := s.requests.UpdateRule(r.Context(), id, u); err != nil {
			if route.StatusOf(err) == http.StatusNotFound {
				s.writePageError(w, r, err)
				return
			}
			s.failRule(w, r, f, &item, err)
			return
		}
		s.done(w, r, "/app/recurring/"+id.String(), "Saved.")
	})
}

func (s *UI) pageConfirmDeleteRule(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "recurring_rule_id", "recurring rule", func(id uuid.UUID) {
		item, err := s.ruleItemByID(r, id, time.Time{})
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/recurring", "Delete a recurring request")
		if !ok {
			return
		}
		s.confirm(w, r, v, confirmation{
			Question: "Stop repeating “" + item.Request.Title + "”?",
			Detail:   "The rule is deleted: no request is made from it from now on. The requests it already made, and the request it copies, stay.",
			Action:   "/app/recurring/" + id.String() + "/delete", Button: "Delete the rule", Back: "/app/recurring/" + id.String(),
		})
	})
}

func (s *UI) pageDeleteRule(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "recurring_rule_id", "recurring rule", func(id uuid.UUID) {
		if err := s.requests.DeleteRule(r.Context(), id); err != nil {
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/recurring", "Recurring request deleted.")
	})
}
