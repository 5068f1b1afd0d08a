package probe_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/tenantkit/tenantkit/probe"
)

// The flows hold on tenantkit, and catch a deployment that hands an
// inviter the acceptance link: the first step of a cross-tenant takeover
// (THREATS AUTH-14), which no single request of the matrix shows.
func TestFlows(t *testing.T) {
	t.Run("Hold", func(t *testing.T) {
		s := newServer(t)
		rep, err := probe.RunFlows(t.Context(), s.config())
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Flows) != len(probe.Flows) {
			t.Fatalf("%d flows run, want %d", len(rep.Flows), len(probe.Flows))
		}
		for _, f := range rep.Failures {
			t.Errorf("%s", f)
		}
	})
	t.Run("CatchAHandedOutInvitation", func(t *testing.T) {
		s := newServer(t, wrapped(leakInvitationLinks))
		rep, err := probe.RunFlows(t.Context(), s.config())
		if err != nil {
			t.Fatal(err)
		}
		broken := map[string]bool{}
		for _, f := range rep.Flows {
			if !f.OK {
				broken[f.Name] = true
			}
		}
		for _, name := range []string{"invitation-after-public-form", "invitation-before-public-form", "reset-from-another-tenant"} {
			if !broken[name] {
				t.Errorf("flow %s held against a server that shows invitation links: %+v", name, rep.Failures)
			}
		}
		if broken["handoff-sent-as-a-link"] {
			t.Errorf("a flow that has nothing to do with invitations broke: %+v", rep.Failures)
		}
	})
}

// leakInvitationLinks answers an invitation with its acceptance link, as
// an earlier version of the API did.
func leakInvitationLinks(s *server, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/members/invitations" {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		var inv map[string]any
		if rec.Code == http.StatusCreated && json.Unmarshal(body, &inv) == nil && s.mail.Flush(r.Context()) == nil {
			for _, m := range s.outbox.Messages() {
				if strings.EqualFold(m.To, inv["email"].(string)) {
					tok, _ := probe.TokenInText(m.Text)
					inv["url"] = "http://" + r.Host + "/invitations/accept?token=" + tok
					break
				}
			}
			body, _ = json.Marshal(inv)
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}
