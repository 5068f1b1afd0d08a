package probe

import (
	"bytes"
	"regexp"
	"strings"
)

var uuidPattern = regexp.MustCompile(`[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}`)

// uuidsIn returns the UUIDs in b, lower-cased.
func uuidsIn(b []byte) []string {
	found := uuidPattern.FindAll(b, -1)
	out := make([]string, len(found))
	for i, f := range found {
		out[i] = strings.ToLower(string(f))
	}
	return out
}

// secrets are what must never appear in an answer given to another
// tenant: the tenant's marker word and the ids seen only in its own
// answers.
type secrets struct {
	tenant string
	marker string
	ids    map[string]bool
}

// find returns what of s appears in the response, ignoring ids the request
// carried itself (an error that echoes the client's input reveals nothing
// the client did not know).
func (s *secrets) find(r response, echo map[string]bool) []string {
	var out []string
	scan := func(where string, b []byte) {
		if s.marker != "" && containsWord(b, s.marker) {
			out = append(out, where+" holds "+s.tenant+"'s marker "+s.marker)
		}
		for _, id := range uuidsIn(b) {
			if s.ids[id] && !echo[id] {
				out = append(out, where+" holds "+s.tenant+"'s id "+id)
			}
		}
	}
	scan("body", r.body)
	for _, h := range []string{"Location", "Set-Cookie", "Content-Disposition", "ETag", "Link"} {
		for _, v := range r.header.Values(h) {
			scan("header "+h, []byte(v))
		}
	}
	return out
}

// echoOf returns the UUIDs a request carries: in its path, query, headers
// and body.
func echoOf(r request) map[string]bool {
	out := map[string]bool{}
	add := func(s string) {
		for _, id := range uuidsIn([]byte(s)) {
			out[id] = true
		}
	}
	add(r.path)
	for _, v := range r.header {
		add(v)
	}
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			add(x)
		case []any:
			for _, e := range x {
				walk(e)
			}
		case []string:
			for _, e := range x {
				add(e)
			}
		case map[string]any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(r.body)
	return out
}

// containsWord reports whether b holds word as a word: not inside a run of
// letters, digits, "-" or "_". A marker is a word of names and texts;
// inside a random token (base64url) it is chance, not data.
func containsWord(b []byte, word string) bool {
	inWord := func(c byte) bool {
		return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
	}
	for off := 0; ; {
		i := bytes.Index(b[off:], []byte(word))
		if i < 0 {
			return false
		}
		start, end := off+i, off+i+len(word)
		if (start == 0 || !inWord(b[start-1])) && (end == len(b) || !inWord(b[end])) {
			return true
		}
		off = start + 1
	}
}
