package route

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestDuplicateKey(t *testing.T) {
	for _, tc := range []struct {
		body, want string
	}{
		{`{"a":1,"b":2}`, ""},
		{`{"a":1,"a":2}`, "body.a"},
		{`{"a":{"b":1,"c":{"d":1,"d":2}}}`, "body.a.c.d"},
		{`{"a":[{"b":1},{"b":2}],"c":{"b":1}}`, ""},
		{`{"a":[{"b":1,"b":2}]}`, "body.a.b"},
		{`[{"a":1},{"a":1,"a":1}]`, "body.a"},
		{`{"a":"x","b":{"a":1},"a":"y"}`, "body.a"},
		{`{"a":`, ""},
		{`"a"`, ""},
	} {
		loc, dup := duplicateKey([]byte(tc.body))
		if dup != (tc.want != "") || loc != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.body, loc, dup, tc.want)
		}
	}
}

// An operation's query parameters are the `query` tags of its input,
// embedded structs included; a list may repeat.
func TestSpecOfInput(t *testing.T) {
	type in struct {
		PageQuery
		IdempotencyKey
		Status []string `query:"status"`
		Q      *string  `query:"q,omitempty"`
		Body   struct{ X int }
	}
	s := specOfInput(reflect.TypeFor[in]())
	want := map[string]bool{"cursor": false, "limit": false, "status": true, "q": false}
	if !reflect.DeepEqual(s.query, want) {
		t.Fatalf("query %v, want %v", s.query, want)
	}
}

// A page's form and query hold only what it declares, each once, within
// the length limit, in the form media type; anything else is refused with
// the status of its kind.
func TestCheckPageInputs(t *testing.T) {
	s := specOfPage([]Inputs{{Query: []string{"next"}, Form: []string{"email", "password"}}})
	form := func(query, body string) *http.Request {
		r := httptest.NewRequest("POST", "/login"+query, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return r
	}
	json := httptest.NewRequest("POST", "/login", strings.NewReader(`{"email":"a"}`))
	json.Header.Set("Content-Type", "application/json")
	for _, tc := range []struct {
		name   string
		r      *http.Request
		status int
	}{
		{"Declared", form("?next=/x", "email=a&password=b"), 0},
		{"NoBody", httptest.NewRequest("POST", "/login", nil), 0},
		{"UnknownField", form("", "email=a&role=owner"), 422},
		{"RepeatedField", form("", "email=a&email=b"), 422},
		{"LongField", form("", "email="+strings.Repeat("a", MaxInputLength+1)), 422},
		{"MalformedForm", form("", "email=%zz"), 400},
		{"JSONBody", json, 415},
		{"UnknownQuery", form("?next=/a&utm=x", "email=a"), 422},
		{"RepeatedQuery", form("?next=/a&next=/b", "email=a"), 422},
		{"MalformedQuery", form("?next=%zz", "email=a"), 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := s.checkQuery(tc.r)
			if err == nil {
				err = s.checkForm(tc.r)
			}
			got := 0
			if err != nil {
				got = StatusOf(err)
			}
			if got != tc.status {
				t.Fatalf("status %d (%v), want %d", got, err, tc.status)
			}
		})
	}
}
