package web_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestRecurringRulesOverTheAPI(t *testing.T) {
	e := newEnv(t)
	staff := e.login("acme", "staff@acme.test")
	other := e.login("globex", "owner@globex.test")
	own := e.requestTitled("acme", staff, "Acme new ledger setup")
	conn := e.admin()
	stored := func() int {
		return count(t, conn, `SELECT (SELECT count(*) FROM recurrence_rules) + (SELECT count(*) FROM recurrence_occurrences)
			+ (SELECT count(*) FROM mail_deliveries)`)
	}
	before := stored()
	today := e.now().Format("2006-01-02")
	valid := func(extra map[string]any) map[string]any {
		b := map[string]any{"service_request_id": own.ID, "frequency": "weekly", "every": 1, "starts_on": today}
		for k, v := range extra {
			if v == nil {
				delete(b, k)
				continue
			}
			b[k] = v
		}
		return b
	}
	const path = "/api/recurring-rules"
	t.Run("BadInputStoresNothing", func(t *testing.T) {
		for _, tc := range []struct {
			name string
			body any
			want int
		}{
			{"MalformedJSON", `{"frequency": `, 400},
			{"UnknownField", valid(map[string]any{"color": "red"}), 422},
			{"TenantIDRefused", valid(map[string]any{"tenant_id": e.seeded["globex"].TenantID}), 422},
			{"NoRequest", valid(map[string]any{"service_request_id": nil}), 422},
			{"BadRequestUUID", valid(map[string]any{"service_request_id": "nope"}), 422},
			{"BadFrequency", valid(map[string]any{"frequency": "daily"}), 422},
			{"EveryZero", valid(map[string]any{"every": 0}), 422},
			{"EveryTooLarge", valid(map[string]any{"every": 53}), 422},
			{"EveryWrongType", valid(map[string]any{"every": "1"}), 422},
			{"BadDate", valid(map[string]any{"starts_on": "31/12/2030"}), 422},
			{"StartInThePast", valid(map[string]any{"starts_on": e.now().AddDate(0, 0, -1).Format("2006-01-02")}), 422},
			{"UntilBeforeStart", valid(map[string]any{"starts_on": "2030-01-10", "until_on": "2030-01-09"}), 422},
			{"CountZero", valid(map[string]any{"count": -1}), 422},
			{"CountTooLarge", valid(map[string]any{"count": 1001}), 422},
			{"OtherTenantsRequest", valid(map[string]any{"service_request_id": e.requestTitled("globex", other, "Globex new ledger setup").ID}), 404},
		} {
			t.Run(tc.name, func(t *testing.T) {
				r := e.do(req{method: "POST", host: "acme", path: path, sess: staff, body: tc.body})
				expectStatus(t, r, tc.want)
				if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q", ct)
				}
			})
		}
		for _, q := range []struct{ method, path string }{
			{"GET", path + "/not-a-uuid/preview"},
			{"GET", path + "?limit=0"},
			{"GET", path + "?cursor=forged"},
			{"DELETE", path + "/not-a-uuid"},
			{"GET", "/api/mail-deliveries?limit=101"},
			{"GET", "/api/mail-deliveries?cursor=forged"},
		} {
			t.Run("Query"+q.path, func(t *testing.T) {
				sess := staff
				if strings.HasPrefix(q.path, "/api/mail-deliveries") {
					sess = e.login("acme", "owner@acme.test")
				}
				r := e.do(req{method: q.method, host: "acme", path: q.path, sess: sess})
				if r.Status < 400 || r.Status >= 500 || r.Header.Get("Content-Type") != "application/problem+json" {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
			})
		}
		if n := stored(); n != before {
			t.Fatalf("%d rows stored", n-before)
		}
	})
	t.Run("CreatePreviewListDelete", func(t *testing.T) {
		r := e.do(req{method: "POST", host: "acme", path: path, sess: staff, body: valid(map[string]any{"frequency": "monthly", "count": 2})})
		expectStatus(t, r, http.StatusCreated)
		var rule struct {
			StartsOn string `json:"starts_on"`
			Count    int    `json:"count"`
		}
		r.json(t, &rule)
		var created struct {
			ID string `json:"id"`
		}
		r.json(t, &created)
		if rule.StartsOn != today || rule.Count != 2 {
			t.Fatalf("rule %s", r.Body)
		}
		r = e.do(req{method: "GET", host: "acme", path: path + "/" + created.ID + "/preview?count=5", sess: staff})
		expectStatus(t, r, 200)
		var preview struct {
			Items []struct {
				Date string `json:"date"`
			} `json:"items"`
		}
		r.json(t, &preview)
		if len(preview.Items) != 2 || preview.Items[0].Date != today {
			t.Fatalf("preview %s", r.Body)
		}
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: path + "/" + created.ID + "/preview?count=51", sess: staff}), 422)
		// One rule, and its schedule changed: a new cadence from a past
		// first date is refused; from today it is stored.
		r = e.do(req{method: "GET", host: "acme", path: path + "/" + created.ID, sess: staff})
		expectStatus(t, r, 200)
		if !strings.Contains(string(r.Body), `"frequency":"monthly"`) {
			t.Fatalf("rule %s", r.Body)
		}
		yesterday := e.now().AddDate(0, 0, -1).Format("2006-01-02")
		expectStatus(t, e.do(req{method: "PUT", host: "acme", path: path + "/" + created.ID, sess: staff,
			body: map[string]any{"frequency": "weekly", "every": 2, "starts_on": yesterday}}), 422)
		expectStatus(t, e.do(req{method: "PUT", host: "acme", path: path + "/" + created.ID, sess: staff,
			body: map[string]any{"frequency": "weekly", "every": 2, "starts_on": today, "tenant_id": e.seeded["globex"].TenantID}}), 422)
		if n := count(t, conn, "SELECT count(*) FROM recurrence_rules WHERE id = $1 AND frequency = 'monthly' AND every = 1 AND max_count = 2", created.ID); n != 1 {
			t.Fatal("a refused change changed the rule")
		}
		r = e.do(req{method: "PUT", host: "acme", path: path + "/" + created.ID, sess: staff, body: map[string]any{"frequency": "weekly", "every": 2, "starts_on": today}})
		expectStatus(t, r, 200)
		if n := count(t, conn, "SELECT count(*) FROM recurrence_rules WHERE id = $1 AND frequency = 'weekly' AND every = 2 AND max_count IS NULL", created.ID); n != 1 {
			t.Fatalf("the change was not stored: %s", r.Body)
		}
		// Another tenant's rule reads like a missing one.
		expectStatus(t, e.do(req{method: "GET", host: "globex", path: path + "/" + created.ID + "/preview", sess: other}), 404)
		expectStatus(t, e.do(req{method: "GET", host: "globex", path: path + "/" + created.ID, sess: other}), 404)
		expectStatus(t, e.do(req{method: "PUT", host: "globex", path: path + "/" + created.ID, sess: other,
			body: map[string]any{"frequency": "monthly", "every": 5, "starts_on": today}}), 404)
		expectStatus(t, e.do(req{method: "DELETE", host: "globex", path: path + "/" + created.ID, sess: other}), 404)
		if n := count(t, conn, "SELECT count(*) FROM recurrence_rules WHERE id = $1 AND frequency = 'weekly' AND every = 2", created.ID); n != 1 {
			t.Fatalf("globex's delete removed acme's rule: %d", n)
		}
		r = e.do(req{method: "GET", host: "acme", path: path, sess: staff})
		expectStatus(t, r, 200)
		if !strings.Contains(string(r.Body), created.ID) {
			t.Fatalf("list %s", r.Body)
		}
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: path + "/" + created.ID, sess: staff}), http.StatusNoContent)
		if n := count(t, conn, "SELECT count(*) FROM recurrence_rules WHERE id = $1", created.ID); n != 0 {
			t.Fatalf("the rule is still there after delete")
		}
	})
	t.Run("TheDeliveryLogIsForAdmins", func(t *testing.T) {
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/mail-deliveries", sess: staff}), http.StatusForbidden)
		owner := e.login("acme", "owner@acme.test")
		r := e.do(req{method: "GET", host: "acme", path: "/api/mail-deliveries", sess: owner})
		expectStatus(t, r, 200)
		if !strings.Contains(string(r.Body), "staff@acme.test") || strings.Contains(string(r.Body), "globex") {
			t.Fatalf("log %s", r.Body)
		}
		expectPage(t, e.page("GET", "acme", "/app/mail-log", owner, nil), 200, "Mail log", "staff@acme.test", "Sent")
		expectPage(t, e.page("GET", "acme", "/app/mail-log", staff, nil), 403)
	})
}
