package ui

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/members"
	"github.com/tenantkit/tenantkit/scheduling"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// The availability pages: a staff member's weekly hours and date
// exceptions (days off, hours off, extra hours). Staff manage their own;
// an admin manages anyone's (the scheduler checks it).

func (s *UI) registerAvailabilityPages(page registrar, staff route.Policy) {
	page(http.MethodGet, "/app/availability", staff, s.pageAvailability, query("member"))
	page(http.MethodPost, "/app/availability/hours", staff, s.pageAddHours, fields("member_id", "weekday", "start_time", "end_time"))
	page(http.MethodGet, "/app/availability/hours/{rule_id}/delete", staff, s.pageConfirmDeleteHours)
	page(http.MethodPost, "/app/availability/hours/{rule_id}/delete", staff, s.pageDeleteHours, fields())
	page(http.MethodPost, "/app/availability/exceptions", staff, s.pageAddException, fields("member_id", "kind", "date", "ex_start_time", "ex_end_time", "note"))
	page(http.MethodGet, "/app/availability/exceptions/{exception_id}/delete", staff, s.pageConfirmDeleteException)
	page(http.MethodPost, "/app/availability/exceptions/{exception_id}/delete", staff, s.pageDeleteException, fields())
}

// availabilityPage is one staff member's hours.
type availabilityPage struct {
	Member     members.Member
	Staff      []members.Member
	CanManage  bool
	Days       []weekdayHours
	Exceptions []scheduling.Exception
	Kinds      []scheduling.ExceptionKind
}

type weekdayHours struct {
	Weekday int
	Name    string
	Rules   []scheduling.Rule
}

var weekdayNames = []string{"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}

func (s *UI) pageAvailability(w http.ResponseWriter, r *http.Request) {
	s.renderAvailability(w, r, r.URL.Query().Get("member"), nil, nil)
}

// renderAvailability shows member's hours (the viewer's own when member
// is empty); f and failure are a form that failed.
func (s *UI) renderAvailability(w http.ResponseWriter, r *http.Request, member string, f *form, failure error) {
	v, ws, ok := s.workspace(w, r, "/app/availability", "Availability")
	if !ok {
		return
	}
	v.Zone = ws.Zone
	scope := tenant.MustScope(r.Context())
	p := availabilityPage{Kinds: []scheduling.ExceptionKind{scheduling.DayOff, scheduling.PartialOff, scheduling.ExtraHours}}
	c, err := s.choicesOf(r)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	p.Staff = c.Staff
	for _, m := range c.Staff {
		if (member == "" && m.ID == scope.MemberID) || m.ID.String() == member {
			p.Member = m
		}
	}
	if p.Member.ID == uuid.Nil {
		s.writePageError(w, r, tenant.NotFound("staff member"))
		return
	}
	p.CanManage = p.Member.ID == scope.MemberID || scope.Role.AtLeast(tenant.RoleAdmin)
	rules, _, err := s.scheduling.FindRules(r.Context(), scheduling.RuleFilter{MemberID: &p.Member.ID, Page: keyset.Page[scheduling.RuleKey]{Limit: keyset.MaxLimit}})
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	for i, name := range weekdayNames {
		d := weekdayHours{Weekday: i + 1, Name: name}
		for _, rl := range rules {
			if rl.Weekday == i+1 {
				d.Rules = append(d.Rules, rl)
			}
		}
		p.Days = append(p.Days, d)
	}
	today := s.today(ws.Zone)
	if p.Exceptions, _, err = s.scheduling.FindExceptions(r.Context(), scheduling.ExceptionFilter{MemberID: &p.Member.ID, From: &today,
		Page: keyset.Page[scheduling.ExceptionKey]{Limit: keyset.MaxLimit}}); err != nil {
		s.writePageError(w, r, err)
		return
	}
	if f == nil {
		f = &form{Errors: map[string]string{}, Values: map[string][]string{"start_time": {"09:00"}, "end_time": {"17:00"}, "kind": {"day_off"}}}
	}
	v.Form = f
	if failure != nil {
		v.Error = f.fail(failure)
	}
	v.Page = p
	s.render(w, r, statusOf(failure, http.StatusOK), "app_availability", v)
}

// clockField reads an HH:MM field.
func clockField(f *form, name string) (scheduling.Clock, bool) {
	c, err := scheduling.ParseClock(strings.TrimSpace(f.Get(name)))
	if err != nil {
		f.Errors[name] = "a time such as 09:30"
		return 0, false
	}
	return c, true
}

// availabilityOf is the page of member's hours.
func availabilityOf(member uuid.UUID, msg string) (string, string) {
	return "/app/availability?member=" + member.String(), msg
}

var errFix = &tenant.Error{Code: tenant.CodeInvalid, Message: "some fields need attention"}

func (s *UI) pageAddHours(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	member := optionalID(f.Get("member_id"))
	weekday, err := strconv.Atoi(f.Get("weekday"))
	if err != nil {
		f.Errors["weekday"] = "choose a day"
	}
	start, ok1 := clockField(f, "start_time")
	end, ok2 := clockField(f, "end_time")
	if member == nil || err != nil || !ok1 || !ok2 {
		s.renderAvailability(w, r, f.Get("member_id"), f, errFix)
		return
	}
	if _, err := s.scheduling.CreateRule(r.Context(), scheduling.RuleInput{MemberID: *member, Weekday: weekday, Start: start, End: end}); err != nil {
		s.renderAvailability(w, r, f.Get("member_id"), f, err)
		return
	}
	to, msg := availabilityOf(*member, weekdayName(weekday)+" "+start.String()+"–"+end.String()+" added.")
	s.done(w, r, to, msg)
}

func weekdayName(d int) string {
	if d < 1 || d > 7 {
		return ""
	}
	return weekdayNames[d-1]
}

func (s *UI) pageConfirmDeleteHours(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "rule_id", "availability rule", func(id uuid.UUID) {
		rl, err := s.scheduling.FindRuleByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/availability", "Remove hours")
		if !ok {
			return
		}
		back, _ := availabilityOf(rl.MemberID, "")
		s.confirm(w, r, v, confirmation{
			Question: "Remove " + weekdayName(rl.Weekday) + " " + rl.Start.String() + "–" + rl.End.String() + "?",
			Detail:   "No new bookings are offered in these hours; bookings already made stay.",
			Action:   "/app/availability/hours/" + id.String() + "/delete", Button: "Remove the hours", Back: back,
		})
	})
}

func (s *UI) pageDeleteHours(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "rule_id", "availability rule", func(id uuid.UUID) {
		rl, err := s.scheduling.FindRuleByID(r.Context(), id)
		if err == nil {
			err = s.scheduling.DeleteRule(r.Context(), id)
		}
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		to, msg := availabilityOf(rl.MemberID, "Hours removed.")
		s.done(w, r, to, msg)
	})
}

func (s *UI) pageAddException(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	member := optionalID(f.Get("member_id"))
	in := scheduling.ExceptionInput{Kind: scheduling.ExceptionKind(f.Get("kind")), Note: f.Get("note")}
	ok := member != nil
	if d, err := scheduling.ParseDate(strings.TrimSpace(f.Get("date"))); err == nil {
		in.Date = d
	} else {
		f.Errors["date"], ok = "a date such as 2027-01-31", false
	}
	if in.Kind != scheduling.DayOff {
		start, ok1 := clockField(f, "ex_start_time")
		end, ok2 := clockField(f, "ex_end_time")
		in.Start, in.End, ok = &start, &end, ok && ok1 && ok2
	}
	if !ok {
		s.renderAvailability(w, r, f.Get("member_id"), f, errFix)
		return
	}
	in.MemberID = *member
	if _, err := s.scheduling.CreateException(r.Context(), in); err != nil {
		// The exception form's times are ex_*: the domain names them
		// start_time and end_time.
		msg := f.fail(err)
		for _, name := range []string{"start_time", "end_time"} {
			if e, ok := f.Errors[name]; ok {
				f.Errors["ex_"+name] = e
				delete(f.Errors, name)
			}
		}
		s.renderAvailability(w, r, f.Get("member_id"), f, &tenant.Error{Code: tenant.ErrorCode(err), Message: msg})
		return
	}
	to, msg := availabilityOf(*member, label(in.Kind)+" on "+in.Date.String()+" added.")
	s.done(w, r, to, msg)
}

func (s *UI) pageConfirmDeleteException(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "exception_id", "availability exception", func(id uuid.UUID) {
		ex, err := s.scheduling.FindExceptionByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/availability", "Remove exception")
		if !ok {
			return
		}
		back, _ := availabilityOf(ex.MemberID, "")
		s.confirm(w, r, v, confirmation{
			Question: "Remove the " + strings.ToLower(label(ex.Kind)) + " on " + ex.Date.String() + "?",
			Detail:   "The day goes back to the weekly hours.",
			Action:   "/app/availability/exceptions/" + id.String() + "/delete", Button: "Remove it", Back: back,
		})
	})
}

func (s *UI) pageDeleteException(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "exception_id", "availability exception", func(id uuid.UUID) {
		ex, err := s.scheduling.FindExceptionByID(r.Context(), id)
		if err == nil {
			err = s.scheduling.DeleteException(r.Context(), id)
		}
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		to, msg := availabilityOf(ex.MemberID, "Exception removed.")
		s.done(w, r, to, msg)
	})
}
