package web_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
)

// The recurring requests pages: the list with its empty state, making a
// rule (a bad field is shown again beside its input, nothing stored), its
// next dates, changing it, deleting it after a confirmation; another
// tenant's rule reads like a missing one and is left as it was; a client
// is refused.
func TestRecurringPages(t *testing.T) {
	e := newEnv(t)
	staff := e.login("acme", "staff@acme.test")
	conn := e.admin()
	acmeID, globexID := e.seeded["acme"].TenantID, e.seeded["globex"].TenantID
	if _, err := conn.Exec(t.Context(), "DELETE FROM recurrence_rules WHERE tenant_id = $1", acmeID); err != nil {
		t.Fatal(err)
	}
	rules := func() int {
		return count(t, conn, "SELECT count(*) FROM recurrence_rules WHERE tenant_id = $1", acmeID)
	}
	ny, err := time.LoadLocation("America/New_York") // acme's zone
	if err != nil {
		t.Fatal(err)
	}
	today := e.now().In(ny)
	day := func(d time.Time) string { return d.Format("Mon 2 Jan 2006") }
	own := e.requestTitled("acme", staff, "Acme new ledger setup")

	t.Run("EmptyStateExplainsAndLinks", func(t *testing.T) {
		expectPage(t, e.page("GET", "acme", "/app/recurring", staff, nil), 200,
			`href="/app/recurring" aria-current="page"`, "No recurring requests yet", "weekly or monthly", `href="/app/recurring/new"`)
		expectPage(t, e.page("GET", "acme", "/app/recurring/new?service_request_id="+own.ID, staff, nil), 200,
			"Request to repeat", `<option value="`+own.ID+`" selected>`, `value="`+today.Format("2006-01-02")+`"`)
		expectPage(t, e.page("GET", "acme", "/app/requests/"+own.ID, staff, nil), 200, "/app/recurring/new?service_request_id="+own.ID)
	})

	good := url.Values{"service_request_id": {own.ID}, "frequency": {"weekly"}, "every": {"1"}, "starts_on": {today.Format("2006-01-02")}, "count": {"3"}}
	with := func(k, v string) url.Values {
		f := url.Values{}
		for key, vs := range good {
			f[key] = vs
		}
		f.Set(k, v)
		return f
	}
	t.Run("BadFieldIsShownBesideItsInput", func(t *testing.T) {
		for _, tc := range []struct {
			name, field, value, message string
			status                      int
		}{
			{"EveryZero", "every", "0", "1 to 52", 422},
			{"EveryNotANumber", "every", "two", "a whole number", 422},
			{"StartInThePast", "starts_on", today.AddDate(0, 0, -1).Format("2006-01-02"), "today or later", 422},
			{"NotADate", "starts_on", "31/12/2030", "a date", 422},
			{"UnknownFrequency", "frequency", "daily", "weekly or monthly", 422},
			{"CountTooLarge", "count", "1001", "1 to 1000", 422},
			{"NoRequest", "service_request_id", "", "choose a request", 422},
			{"MissingRequest", "service_request_id", uuid.NewString(), "one of the organization&#39;s requests", 404},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body := expectPage(t, e.page("POST", "acme", "/app/recurring", staff, with(tc.field, tc.value)), tc.status,
					`id="f-`+tc.field+`-error">`+tc.message, `aria-describedby="f-`+tc.field+`-error"`)
				if tc.field != "count" && !strings.Contains(body, `name="count" type="number" value="3"`) {
					t.Fatalf("the form lost its input: %.3000s", body)
				}
			})
		}
		if n := rules(); n != 0 {
			t.Fatalf("%d rules stored", n)
		}
	})

	var rule string
	t.Run("CreatedRuleIsListedWithItsNextDates", func(t *testing.T) {
		to := redirected(t, e.page("POST", "acme", "/app/recurring", staff, good))
		rule = strings.TrimPrefix(to, "/app/recurring/")
		if _, err := uuid.Parse(rule); err != nil {
			t.Fatalf("redirected to %s", to)
		}
		expectPage(t, e.page("GET", "acme", "/app/recurring", staff, nil), 200, own.Title, "Every week, on "+today.Weekday().String()+"s",
			day(today), day(today.AddDate(0, 0, 7)), day(today.AddDate(0, 0, 14)), "after 3 times", "Active")
		expectPage(t, e.page("GET", "acme", to, staff, nil), 200, "Next dates", day(today.AddDate(0, 0, 14)), `name="every" type="number" value="1"`)
		// The preview from a later day; a day that is no date is refused
		// beside its field.
		body := expectPage(t, e.page("GET", "acme", to+"?from="+today.AddDate(0, 0, 8).Format("2006-01-02"), staff, nil), 200, day(today.AddDate(0, 0, 14)))
		if strings.Contains(body, "<time datetime=\""+today.Format("2006-01-02")) {
			t.Fatal("the preview from a later day lists today")
		}
		expectPage(t, e.page("GET", "acme", to+"?from=soon", staff, nil), 422, `id="f-from-error"`)
	})

	t.Run("Edit", func(t *testing.T) {
		path := "/app/recurring/" + rule
		expectPage(t, e.page("POST", "acme", path, staff, url.Values{"frequency": {"monthly"}, "every": {"99"}, "starts_on": {good.Get("starts_on")}}), 422,
			`id="f-every-error">1 to 52`, `value="99"`)
		if n := count(t, conn, "SELECT count(*) FROM recurrence_rules WHERE id = $1 AND frequency = 'weekly' AND every = 1 AND max_count = 3", rule); n != 1 {
			t.Fatal("a refused edit changed the rule")
		}
		redirected(t, e.page("POST", "acme", path, staff, url.Values{"frequency": {"monthly"}, "every": {"2"}, "starts_on": {good.Get("starts_on")}, "count": {""}}))
		if n := count(t, conn, "SELECT count(*) FROM recurrence_rules WHERE id = $1 AND frequency = 'monthly' AND every = 2 AND max_count IS NULL", rule); n != 1 {
			t.Fatal("the edit was not stored")
		}
		expectPage(t, e.page("GET", "acme", path, staff, nil), 200, "Every 2 months", "never", day(today.AddDate(0, 2, 0)))
	})

	t.Run("OtherTenantsRuleIsNotFoundAndUnchanged", func(t *testing.T) {
		var theirs string
		if err := conn.QueryRow(t.Context(), "SELECT id::text FROM recurrence_rules WHERE tenant_id = $1 LIMIT 1", globexID).Scan(&theirs); err != nil {
			t.Fatal(err)
		}
		snapshot := func() string {
			var s string
			if err := conn.QueryRow(t.Context(), "SELECT row_to_json(r)::text FROM recurrence_rules r WHERE id = $1", theirs).Scan(&s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		before := snapshot()
		missing := e.page("GET", "acme", "/app/recurring/"+uuid.NewString(), staff, nil)
		foreign := e.page("GET", "acme", "/app/recurring/"+theirs, staff, nil)
		expectPage(t, missing, 404, "Not found")
		expectPage(t, foreign, 404, "Not found")
		if string(missing.Body) != string(foreign.Body) {
			t.Fatal("another tenant's rule reads unlike a missing one")
		}
		expectPage(t, e.page("GET", "acme", "/app/recurring/"+theirs+"/delete", staff, nil), 404)
		for path, form := range map[string]url.Values{
			"/app/recurring/" + theirs:             {"frequency": {"weekly"}, "every": {"3"}, "starts_on": {good.Get("starts_on")}},
			"/app/recurring/" + theirs + "/delete": {},
		} {
			expectPage(t, e.page("POST", "acme", path, staff, form), 404)
		}
		if after := snapshot(); after != before {
			t.Fatalf("globex's rule changed: %s → %s", before, after)
		}
	})

	t.Run("BelowStaffIsRefused", func(t *testing.T) {
		client := e.login("acme", "client@acme.test")
		for _, path := range []string{"/app/recurring", "/app/recurring/new", "/app/recurring/" + rule, "/app/recurring/" + rule + "/delete"} {
			expectPage(t, e.page("GET", "acme", path, client, nil), 403, "Not allowed")
		}
		expectPage(t, e.page("POST", "acme", "/app/recurring", client, good), 403)
		expectPage(t, e.page("POST", "acme", "/app/recurring/"+rule+"/delete", client, url.Values{}), 403)
		if n := rules(); n != 1 {
			t.Fatalf("%d rules after a client's posts", n)
		}
	})

	t.Run("CrossSitePostIsRefused", func(t *testing.T) {
		r := e.do(req{method: "POST", host: "acme", path: "/app/recurring/" + rule + "/delete", sess: staff, body: url.Values{},
			header: map[string]string{"Origin": "https://evil.test", "Sec-Fetch-Site": "cross-site", "Accept": "text/html"}})
		if r.Status != 403 {
			t.Fatalf("cross-site delete: %d", r.Status)
		}
		if n := rules(); n != 1 {
			t.Fatal("a cross-site post deleted the rule")
		}
	})

	t.Run("DeleteAsksFirst", func(t *testing.T) {
		path := "/app/recurring/" + rule + "/delete"
		expectPage(t, e.page("GET", "acme", path, staff, nil), 200, "Stop repeating", `action="`+path+`"`, "Delete the rule", "Cancel")
		if n := rules(); n != 1 {
			t.Fatal("asking deleted the rule")
		}
		if to := redirected(t, e.page("POST", "acme", path, staff, url.Values{})); to != "/app/recurring" {
			t.Fatalf("redirected to %s", to)
		}
		if n := rules(); n != 0 {
			t.Fatal("the rule is still there")
		}
		if n := count(t, conn, "SELECT count(*) FROM service_requests WHERE id = $1", own.ID); n != 1 {
			t.Fatal("deleting the rule deleted its request")
		}
		expectPage(t, e.page("GET", "acme", "/app/recurring", staff, nil), 200, "No recurring requests yet")
	})
}
