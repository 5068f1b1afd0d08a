package web_test

import (
	"net/url"
	"strings"
	"testing"
)

func TestMembershipRules(t *testing.T) {
	e := newEnv(t)
	owner := e.login("acme", "owner@acme.test")
	m := e.seeded["acme"].Members
	patch := func(s *session, id, role string) response {
		return e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + id, sess: s, body: map[string]string{"role": role}})
	}
	t.Run("LastOwnerCannotBeDemotedOrRemoved", func(t *testing.T) {
		expectStatus(t, patch(owner, m["owner"].ID.String(), "admin"), 409)
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + m["owner"].ID.String(), sess: owner}), 409)
	})
	t.Run("AdminCannotTouchOwnersOrMakeThem", func(t *testing.T) {
		expectStatus(t, patch(owner, m["staff"].ID.String(), "admin"), 200)
		admin := e.login("acme", "staff@acme.test")
		expectStatus(t, patch(admin, m["owner"].ID.String(), "staff"), 403)
		expectStatus(t, patch(admin, m["client"].ID.String(), "owner"), 403)
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + m["owner"].ID.String(), sess: admin}), 403)
		expectStatus(t, patch(admin, m["client"].ID.String(), "staff"), 200)
	})
	t.Run("StaffListButCannotManage", func(t *testing.T) {
		staff := e.login("acme", "client@acme.test") // now staff
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/members", sess: staff}), 200)
		expectStatus(t, patch(staff, m["consultant"].ID.String(), "client"), 403)
		expectStatus(t, e.do(req{method: "GET", host: "acme", path: "/api/members/invitations", sess: staff}), 403)
		client := e.login("globex", "client@globex.test")
		expectStatus(t, e.do(req{method: "GET", host: "globex", path: "/api/members", sess: client}), 403)
	})
	t.Run("ListByRoleAndPage", func(t *testing.T) {
		var clients struct {
			Items []struct{ Role, Email string }
		}
		e.do(req{method: "GET", host: "acme", path: "/api/members?role=client", sess: owner}).json(t, &clients)
		for _, c := range clients.Items {
			if c.Role != "client" {
				t.Fatalf("role filter: %+v", clients.Items)
			}
		}
		var first struct {
			Items      []struct{ ID string }
			NextCursor string `json:"next_cursor"`
		}
		e.do(req{method: "GET", host: "acme", path: "/api/members?limit=2", sess: owner}).json(t, &first)
		if len(first.Items) != 2 || first.NextCursor == "" {
			t.Fatalf("first page: %+v", first)
		}
		var second struct{ Items []struct{ ID string } }
		e.do(req{method: "GET", host: "acme", path: "/api/members?limit=2&cursor=" + first.NextCursor, sess: owner}).json(t, &second)
		if len(second.Items) == 0 || second.Items[0].ID == first.Items[0].ID || second.Items[0].ID == first.Items[1].ID {
			t.Fatalf("second page: %+v after %+v", second, first)
		}
	})
	t.Run("AnotherTenantsMemberIsNotFound", func(t *testing.T) {
		g := e.seeded["globex"].Members["client"].ID.String()
		missing := patch(owner, "3f1c9a57-0000-4000-8000-000000000000", "staff")
		foreign := patch(owner, g, "staff")
		expectStatus(t, foreign, 404)
		expectStatus(t, missing, 404)
		if string(foreign.problemBody(t)["detail"].(string)) != missing.problemBody(t)["detail"].(string) {
			t.Fatalf("bodies differ: %s / %s", foreign.Body, missing.Body)
		}
		expectStatus(t, e.do(req{method: "DELETE", host: "acme", path: "/api/members/" + g, sess: owner}), 404)
		// Read back as globex: the member is untouched.
		gs := e.login("globex", "owner@globex.test")
		r := e.do(req{method: "GET", host: "globex", path: "/api/members", sess: gs})
		if !strings.Contains(string(r.Body), `"role":"client","display_name":"Globex Client Carla"`) {
			t.Fatalf("globex members after the attempts: %s", r.Body)
		}
	})
	t.Run("MalformedInputIsRefused", func(t *testing.T) {
		expectStatus(t, patch(owner, "not-a-uuid", "staff"), 422)
		expectStatus(t, patch(owner, m["staff"].ID.String(), "superuser"), 422)
		r := e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + m["staff"].ID.String(), sess: owner,
			body: map[string]any{"role": "staff", "tenant_id": e.seeded["globex"].TenantID.String()}})
		expectStatus(t, r, 422) // unknown fields, tenant_id above all, are refused
		expectStatus(t, e.do(req{method: "PATCH", host: "acme", path: "/api/members/" + m["staff"].ID.String(), sess: owner, body: `{"role":`}), 400)
	})
}

func TestPasswordReset(t *testing.T) {
	e := newEnv(t)
	old := e.login("acme", "staff@acme.test")
	unknown := e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset", body: map[string]string{"email": "nobody@acme.test"}})
	known := e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset", body: map[string]string{"email": "staff@acme.test"}})
	expectStatus(t, unknown, 202)
	expectStatus(t, known, 202)
	if string(unknown.Body) != string(known.Body) {
		t.Fatal("the answer reveals whether the address has an account")
	}
	msgs := e.mails()
	if len(msgs) != 1 || msgs[0].To != "staff@acme.test" {
		t.Fatalf("mails: %+v", msgs)
	}
	i := strings.Index(msgs[0].Text, "token=")
	token, _ := url.QueryUnescape(strings.Fields(msgs[0].Text[i+len("token="):])[0])
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset/confirm", body: map[string]string{"token": token, "password": "short"}}), 422)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset/confirm", body: map[string]string{"token": token, "password": "a brand new password"}}), 204)
	expectStatus(t, e.do(req{method: "POST", host: "acme", path: "/api/auth/password-reset/confirm", body: map[string]string{"token": token, "password": "another new password"}}), 422)
	expectStatus(t, e.sessionOf("acme", old), 401)
	r := e.do(req{method: "POST", host: "acme", path: "/api/auth/login", body: map[string]string{"email": "staff@acme.test", "password": "a brand new password"}})
	expectStatus(t, r, 200)
}
