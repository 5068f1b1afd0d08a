package route

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/tenantkit/tenantkit/tenant"
)

// MaxInputLength bounds every query parameter and form field value, in
// bytes. Operations declare tighter bounds where they know them.
const MaxInputLength = 4096

// Inputs declares what a page reads from its request besides credentials:
// its query parameters and, for a form post, its form fields. Anything
// else is refused before the handler runs (see [Table.Handle]).
type Inputs struct {
	Query []string
	Form  []string
	// Repeat names the query parameters and form fields of Query and
	// Form that may be given more than once (a list of ticked ids).
	Repeat []string
	// Multipart accepts the form as multipart/form-data too (a file
	// upload); its files are fields of Form like its values.
	Multipart bool
}

// maxMultipartMemory is how much of a multipart form is held in memory;
// the rest goes to temporary files. The body limit bounds the whole.
const maxMultipartMemory = 1 << 20

// InputError is a request a parser refuses before any handler runs: a
// malformed query, form or JSON body (400), a body of the wrong media type
// (415), or a parameter or field that is unknown, repeated or too long
// (422). Err holds the message and the field the problem names.
type InputError struct {
	Status int
	Err    *tenant.Error
}

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the tenant error with the message and field.
func (e *InputError) Unwrap() error { return e.Err }

// inputError returns the refusal of the input at location: message is the
// problem's detail, what the field's entry says.
func inputError(status int, location, message, what string) error {
	return &InputError{Status: status, Err: &tenant.Error{Code: tenant.CodeInvalid, Message: message, Fields: map[string]string{location: what}}}
}

// inputSpec is what a route accepts: query parameter names (multi: may be
// given more than once) and, for a page's form post, form field names.
type inputSpec struct {
	query     map[string]bool // name → may repeat
	form      map[string]bool // nil: the route reads no form
	multipart bool
}

func (s inputSpec) queryNames() []string { return sortedNames(s.query) }
func (s inputSpec) formNames() []string  { return sortedNames(s.form) }

// repeatNames lists the query parameters and form fields that may repeat.
func (s inputSpec) repeatNames() []string {
	var out []string
	for _, m := range []map[string]bool{s.query, s.form} {
		for k, multi := range m {
			if multi && !slices.Contains(out, k) {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func sortedNames(m map[string]bool) []string {
	if m == nil {
		return nil
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// specOfInput returns the query parameters an operation's input type
// declares (`query:"name"` tags, in embedded structs too).
func specOfInput(t reflect.Type) inputSpec {
	s := inputSpec{query: map[string]bool{}}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct {
			return
		}
		for i := range t.NumField() {
			f := t.Field(i)
			if name, _, _ := strings.Cut(f.Tag.Get("query"), ","); name != "" {
				ft := f.Type
				for ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				s.query[name] = ft.Kind() == reflect.Slice
				continue
			}
			if f.Anonymous {
				walk(f.Type)
			}
		}
	}
	walk(t)
	return s
}

// specOfPage returns the inputs a page declares.
func specOfPage(in []Inputs) inputSpec {
	s := inputSpec{query: map[string]bool{}}
	for _, i := range in {
		repeat := map[string]bool{}
		for _, n := range i.Repeat {
			repeat[n] = true
		}
		for _, q := range i.Query {
			s.query[q] = repeat[q]
		}
		if i.Form != nil && s.form == nil {
			s.form = map[string]bool{}
		}
		for _, f := range i.Form {
			s.form[f] = repeat[f]
		}
		s.multipart = s.multipart || i.Multipart
	}
	return s
}

// checkQuery refuses a query string that does not parse, or names a
// parameter s does not declare, repeats one that is not a list, or holds
// a value longer than MaxInputLength.
func (s inputSpec) checkQuery(r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return inputError(http.StatusBadRequest, "query", "malformed query string", "does not parse as application/x-www-form-urlencoded")
	}
	return checkValues("query", q, s.query)
}

func checkValues(in string, vals url.Values, allowed map[string]bool) error {
	names := make([]string, 0, len(vals))
	for k := range vals {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		multi, ok := allowed[k]
		switch {
		case !ok:
			return inputError(http.StatusUnprocessableEntity, in+"."+k, "unknown "+in+" parameter", "not a parameter of this request")
		case len(vals[k]) > 1 && !multi:
			return inputError(http.StatusUnprocessableEntity, in+"."+k, "repeated "+in+" parameter", "given more than once")
		}
		for _, v := range vals[k] {
			if len(v) > MaxInputLength {
				return inputError(http.StatusUnprocessableEntity, in+"."+k, in+" value too long", fmt.Sprintf("longer than %d bytes", MaxInputLength))
			}
		}
	}
	return nil
}

// checkForm reads a page's form post: it must be
// application/x-www-form-urlencoded (or have no body at all), parse, and
// hold only the declared fields, each once and within MaxInputLength.
func (s inputSpec) checkForm(r *http.Request) error {
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		return nil
	}
	ct := r.Header.Get("Content-Type")
	if ct == "" && (r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody) {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mt == "multipart/form-data" && s.multipart {
		return s.checkMultipart(r)
	}
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return inputError(http.StatusUnsupportedMediaType, "body", "unsupported media type", "a form post is application/x-www-form-urlencoded")
	}
	if err := r.ParseForm(); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return inputError(http.StatusRequestEntityTooLarge, "body", "request body too large", "larger than the limit")
		}
		return inputError(http.StatusBadRequest, "body", "malformed form", "does not parse as application/x-www-form-urlencoded")
	}
	return checkValues("form", r.PostForm, s.form)
}

// checkMultipart reads a multipart form post: it must parse within the
// body limit and hold only the declared fields and files, each once.
func (s inputSpec) checkMultipart(r *http.Request) error {
	if err := r.ParseMultipartForm(maxMultipartMemory); err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return inputError(http.StatusRequestEntityTooLarge, "body", "request body too large", "larger than the limit")
		}
		return inputError(http.StatusBadRequest, "body", "malformed form", "does not parse as multipart/form-data")
	}
	if err := checkValues("form", r.MultipartForm.Value, s.form); err != nil {
		return err
	}
	files := url.Values{}
	for k, fs := range r.MultipartForm.File {
		for range fs {
			files.Add(k, "")
		}
	}
	return checkValues("form", files, s.form)
}

// checkJSON refuses a JSON body in which an object repeats a key: parsers
// disagree on which one counts (the first, the last, an error), so a
// proxy, a validator and the handler could each read another value.
// Anything else malformed is left to the operation's own decoder.
func checkJSON(r *http.Request) error {
	if r.Body == nil || r.Body == http.NoBody {
		return nil
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "" && mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil
	}
	b, err := io.ReadAll(r.Body)
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(b))
	if err != nil {
		if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
			return inputError(http.StatusRequestEntityTooLarge, "body", "request body too large", "larger than the limit")
		}
		return inputError(http.StatusBadRequest, "body", "incomplete request body", "did not arrive whole")
	}
	if loc, dup := duplicateKey(b); dup {
		return inputError(http.StatusBadRequest, loc, "duplicate key in the JSON body", "given more than once in its object")
	}
	return nil
}

// duplicateKey reports the first key an object of the JSON document b
// repeats, as a location ("body.a.b"). A document that does not parse
// reports none.
func duplicateKey(b []byte) (string, bool) {
	type frame struct {
		keys    map[string]bool // nil: an array
		wantKey bool
		key     string
	}
	var stack []*frame
	location := func(key string) string {
		parts := []string{"body"}
		for _, f := range stack {
			if f.keys != nil && f.key != "" && f != stack[len(stack)-1] {
				parts = append(parts, f.key)
			}
		}
		return strings.Join(append(parts, key), ".")
	}
	valueDone := func() {
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			stack[n-1].wantKey = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, &frame{keys: map[string]bool{}, wantKey: true})
			case '[':
				stack = append(stack, &frame{})
			default:
				stack = stack[:len(stack)-1]
				valueDone()
			}
		default:
			if n := len(stack); n > 0 && stack[n-1].keys != nil && stack[n-1].wantKey {
				top, key := stack[n-1], v.(string)
				if top.keys[key] {
					return location(key), true
				}
				top.keys[key], top.wantKey, top.key = true, false, key
				continue
			}
			valueDone()
		}
		if len(stack) == 0 {
			return "", false
		}
	}
}
