package web_test

import (
	"strings"
	"testing"
)

type bookingSettings struct {
	Effective struct {
		BufferMinutes             int `json:"buffer_minutes"`
		CancellationNoticeMinutes int `json:"cancellation_notice_minutes"`
		LeadTimeMinutes           int `json:"lead_time_minutes"`
	} `json:"effective"`
	Overrides map[string]any `json:"overrides"`
	Version   int            `json:"version"`
}

func TestSettingsTenantOverDefault(t *testing.T) {
	e := newEnv(t)
	admin := e.login("acme", "owner@acme.test")
	r := e.do(req{method: "GET", host: "acme", path: "/api/settings/booking", sess: admin})
	expectStatus(t, r, 200)
	var b bookingSettings
	r.json(t, &b)
	// The seed set acme's buffer to 15; the cancellation notice is the
	// platform default.
	if b.Effective.BufferMinutes != 15 || b.Effective.CancellationNoticeMinutes != 1440 || b.Overrides["cancellation_notice_minutes"] != nil {
		t.Fatalf("booking settings: %s", r.Body)
	}
	etag := r.Header.Get("ETag")

	t.Run("PutReplacesOverridesAndNullInherits", func(t *testing.T) {
		put := e.do(req{method: "PUT", host: "acme", path: "/api/settings/booking", sess: admin, header: map[string]string{"If-Match": etag},
			body: map[string]any{"lead_time_minutes": 30, "buffer_minutes": nil}})
		expectStatus(t, put, 200)
		var after bookingSettings
		put.json(t, &after)
		if after.Effective.LeadTimeMinutes != 30 || after.Effective.BufferMinutes != 0 || after.Version != b.Version+1 {
			t.Fatalf("after put: %s", put.Body)
		}
		stale := e.do(req{method: "PUT", host: "acme", path: "/api/settings/booking", sess: admin, header: map[string]string{"If-Match": etag},
			body: map[string]any{"lead_time_minutes": 10}})
		expectStatus(t, stale, 412)
	})
	t.Run("OtherTenantUntouched", func(t *testing.T) {
		g := e.login("globex", "owner@globex.test")
		var gb bookingSettings
		e.do(req{method: "GET", host: "globex", path: "/api/settings/booking", sess: g}).json(t, &gb)
		if gb.Effective.BufferMinutes != 15 || gb.Effective.LeadTimeMinutes != 60 {
			t.Fatalf("globex booking settings changed: %+v", gb)
		}
	})
	t.Run("Roles", func(t *testing.T) {
		staff := e.login("acme", "staff@acme.test")
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/settings/organization", sess: staff}), 200)
		expectStatus(t, e.do(req{method: "PUT", host: "acme", path: "/api/settings/organization", sess: staff, body: map[string]any{}}), 403)
		client := e.login("acme", "client@acme.test")
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/settings/security", sess: client}), 403)
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/settings/export", sess: staff}), 403)
	})
	t.Run("InvalidValuesAreRefusedByField", func(t *testing.T) {
		for _, tc := range []struct {
			path  string
			body  map[string]any
			field string
		}{
			{"/api/settings/organization", map[string]any{"time_zone": "Mars/Olympus"}, "body.time_zone"},
			{"/api/settings/organization", map[string]any{"contact_email": "not mail"}, "body.contact_email"},
			{"/api/settings/security", map[string]any{"allowed_email_domains": []string{"Example.COM"}}, "body.allowed_email_domains"},
			{"/api/settings/communication", map[string]any{"reply_to_email": "x@"}, "body.reply_to_email"},
		} {
			r := e.do(req{method: "PUT", host: "acme", path: tc.path, sess: admin, body: tc.body})
			expectStatus(t, r, 422)
			if !strings.Contains(string(r.Body), tc.field) {
				t.Fatalf("%s: %s", tc.field, r.Body)
			}
		}
		r := e.do(req{method: "PUT", host: "acme", path: "/api/settings/organization", sess: admin, body: map[string]any{"tenant_id": e.seeded["globex"].TenantID}})
		expectStatus(t, r, 422)
	})
}

func TestSettingsExportImport(t *testing.T) {
	e := newEnv(t)
	admin := e.login("acme", "owner@acme.test")
	ex := e.do(req{method: "GET", host: "acme", path: "/api/settings/export", sess: admin})
	expectStatus(t, ex, 200)
	var doc map[string]map[string]any
	ex.json(t, &doc)
	if doc["organization"]["time_zone"] != "America/New_York" {
		t.Fatalf("export: %s", ex.Body)
	}
	// One bad field anywhere: nothing is written.
	bad := map[string]map[string]any{}
	for k, v := range doc {
		bad[k] = map[string]any{}
		for f, x := range v {
			bad[k][f] = x
		}
	}
	bad["organization"]["time_zone"] = "Europe/Paris"
	bad["communication"]["reply_to_email"] = "broken@"
	r := e.do(req{method: "POST", host: "acme", path: "/api/settings/import", sess: admin, body: bad})
	expectStatus(t, r, 422)
	if !strings.Contains(string(r.Body), "body.communication.reply_to_email") {
		t.Fatalf("import errors: %s", r.Body)
	}
	after := e.do(req{method: "GET", host: "acme", path: "/api/settings/export", sess: admin})
	if string(after.Body) != string(ex.Body) {
		t.Fatalf("a refused import changed settings:\n%s\n%s", ex.Body, after.Body)
	}
	// A good document is applied whole, and it lands on this tenant only.
	bad["communication"]["reply_to_email"] = "office@acme.test"
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/settings/import", sess: admin, body: bad}), 200)
	var org struct {
		Effective struct {
			TimeZone string `json:"time_zone"`
		} `json:"effective"`
	}
	e.do(req{method: "GET", host: "acme", path: "/api/settings/organization", sess: admin}).json(t, &org)
	if org.Effective.TimeZone != "Europe/Paris" {
		t.Fatalf("time zone after import: %q", org.Effective.TimeZone)
	}
	g := e.login("globex", "owner@globex.test")
	e.do(req{method: "GET", host: "globex", path: "/api/settings/organization", sess: g}).json(t, &org)
	if org.Effective.TimeZone != "Europe/London" {
		t.Fatalf("globex time zone: %q", org.Effective.TimeZone)
	}
}
