package ui

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/tenants"
	"github.com/tenantkit/tenantkit/web/route"
)

// The settings page: the organization, booking, security and
// communication settings as forms (staff read, an admin writes), and the
// export and import of the settings file. A field left empty inherits the
// platform's default, shown beside it.

func (s *UI) registerSettingsPages(page registrar, staff, admin route.Policy) {
	page(http.MethodGet, "/app/settings", staff, s.pageSettings)
	page(http.MethodPost, "/app/settings/import", admin, s.pageImportSettings, route.Inputs{Form: []string{"document"}, Multipart: true})
	for _, k := range []struct {
		name      string
		overrides any
	}{
		{"organization", settings.OrganizationOverrides{}},
		{"booking", settings.BookingOverrides{}},
		{"security", settings.SecurityOverrides{}},
		{"communication", settings.CommunicationOverrides{}},
	} {
		names := []string{"version"}
		for _, f := range fieldsOf(k.overrides, struct{}{}) {
			names = append(names, f.Name)
		}
		page(http.MethodPost, "/app/settings/"+k.name, admin, s.pageSaveSettings(k.name), fields(names...))
	}
	s.registerDomainPages(page, admin)
	s.registerSupportPages(page, route.Member(tenant.RoleOwner))
}

// settingsPage is the settings page: the settings' sections, the custom
// domains (an admin's) and the support access (an owner's).
type settingsPage struct {
	Kinds   []settingsKind
	Domains []tenants.Domain
	Support []tenants.SupportGrant
}

// settingsKind is one section of the settings page.
type settingsKind struct {
	Name, Title string
	Version     int64
	Fields      []settingField
}

// settingField is one setting: the tenant's value (empty: the default)
// and the effective one.
type settingField struct {
	Name, Label, Type, Value, Effective, Hint, Error string
}

// kinds reads every kind of settings as page sections; failed is the kind
// whose form f failed, shown with f's values and errors.
func (s *UI) kinds(r *http.Request, failed string, f *form) ([]settingsKind, error) {
	ctx := r.Context()
	org, err := s.settings.Organization(ctx)
	if err != nil {
		return nil, err
	}
	book, err := s.settings.Booking(ctx)
	if err != nil {
		return nil, err
	}
	sec, err := s.settings.Security(ctx)
	if err != nil {
		return nil, err
	}
	com, err := s.settings.Communication(ctx)
	if err != nil {
		return nil, err
	}
	out := []settingsKind{
		{Name: "organization", Title: "Organization", Version: org.Version, Fields: fieldsOf(org.Overrides, org.Effective)},
		{Name: "booking", Title: "Booking", Version: book.Version, Fields: fieldsOf(book.Overrides, book.Effective)},
		{Name: "security", Title: "Security", Version: sec.Version, Fields: fieldsOf(sec.Overrides, sec.Effective)},
		{Name: "communication", Title: "Communication", Version: com.Version, Fields: fieldsOf(com.Overrides, com.Effective)},
	}
	for i := range out {
		if out[i].Name != failed {
			continue
		}
		for j := range out[i].Fields {
			fl := &out[i].Fields[j]
			fl.Value, fl.Error = f.Get(fl.Name), f.Err(fl.Name)
		}
	}
	return out, nil
}

// fieldsOf lists the fields of an overrides struct (pointer fields tagged
// json) with the effective values of the same names.
func fieldsOf(overrides, effective any) []settingField {
	ov, ev := reflect.ValueOf(overrides), reflect.ValueOf(effective)
	var out []settingField
	for i := range ov.NumField() {
		sf := ov.Type().Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		fl := settingField{Name: name, Label: label(name), Hint: sf.Tag.Get("doc")}
		elem := sf.Type.Elem()
		switch elem.Kind() {
		case reflect.Bool:
			fl.Type = "bool"
		case reflect.Int16, reflect.Int32, reflect.Int64:
			fl.Type = "number"
		case reflect.Slice:
			fl.Type = "list"
		default:
			fl.Type = "text"
		}
		if p := ov.Field(i); !p.IsNil() {
			fl.Value = display(p.Elem())
		}
		if e := ev.FieldByName(sf.Name); e.IsValid() {
			fl.Effective = display(e)
		}
		out = append(out, fl)
	}
	return out
}

// display writes a setting's value as its form shows it.
func display(v reflect.Value) string {
	switch v.Kind() {
	case reflect.Bool:
		if v.Bool() {
			return "yes"
		}
		return "no"
	case reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Slice:
		parts := make([]string, v.Len())
		for i := range parts {
			parts[i] = v.Index(i).String()
		}
		return strings.Join(parts, ", ")
	}
	return v.String()
}

// overridesFrom fills the pointer fields of dst (an overrides struct) from
// f: an empty field is nil (the default). Unreadable values are field
// errors on f.
func overridesFrom(f *form, dst any) bool {
	dv := reflect.ValueOf(dst).Elem()
	ok := true
	for i := range dv.NumField() {
		sf := dv.Type().Field(i)
		name, _, _ := strings.Cut(sf.Tag.Get("json"), ",")
		raw := strings.TrimSpace(f.Get(name))
		if raw == "" {
			continue
		}
		p := reflect.New(sf.Type.Elem())
		switch e := p.Elem(); e.Kind() {
		case reflect.Bool:
			e.SetBool(raw == "yes")
		case reflect.Int16, reflect.Int32, reflect.Int64:
			n, err := strconv.ParseInt(raw, 10, e.Type().Bits())
			if err != nil {
				f.Errors[name], ok = "a whole number", false
				continue
			}
			e.SetInt(n)
		case reflect.Slice:
			list := []string{}
			for part := range strings.SplitSeq(raw, ",") {
				if part = strings.TrimSpace(part); part != "" {
					list = append(list, part)
				}
			}
			e.Set(reflect.ValueOf(list))
		default:
			e.SetString(raw)
		}
		dv.Field(i).Set(p)
	}
	return ok
}

func (s *UI) pageSettings(w http.ResponseWriter, r *http.Request) {
	s.renderSettings(w, r, "", nil, nil)
}

func (s *UI) renderSettings(w http.ResponseWriter, r *http.Request, failed string, f *form, failure error) {
	v, _, ok := s.workspace(w, r, "/app/settings", "Settings")
	if !ok {
		return
	}
	kinds, err := s.kinds(r, failed, f)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	if failure != nil {
		v.Error = f.fail(failure)
		for i := range kinds {
			if kinds[i].Name == failed {
				for j := range kinds[i].Fields {
					kinds[i].Fields[j].Error = f.Err(kinds[i].Fields[j].Name)
				}
			}
		}
	}
	p := settingsPage{Kinds: kinds}
	role := tenant.MustScope(r.Context()).Role
	if role.AtLeast(tenant.RoleAdmin) {
		if p.Domains, err = s.Domains.List(r.Context()); err != nil {
			s.writePageError(w, r, err)
			return
		}
	}
	if role == tenant.RoleOwner {
		if p.Support, err = s.Support.List(r.Context()); err != nil {
			s.writePageError(w, r, err)
			return
		}
	}
	if f == nil {
		f = &form{Errors: map[string]string{}, Values: map[string][]string{}}
	}
	v.Form = f
	v.Page = p
	s.render(w, r, statusOf(failure, http.StatusOK), "app_settings", v)
}

// pageSaveSettings saves the settings of kind from its form.
func (s *UI) pageSaveSettings(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.saveSettings(w, r, kind)
	}
}

func (s *UI) saveSettings(w http.ResponseWriter, r *http.Request, kind string) {
	f := newForm(r)
	var version *int64
	if n, err := strconv.ParseInt(f.Get("version"), 10, 64); err == nil {
		version = &n
	}
	var err error
	ok := true
	switch kind {
	case "organization":
		var o settings.OrganizationOverrides
		if ok = overridesFrom(f, &o); ok {
			err = s.settings.SetOrganization(r.Context(), o, version)
		}
	case "booking":
		var o settings.BookingOverrides
		if ok = overridesFrom(f, &o); ok {
			err = s.settings.SetBooking(r.Context(), o, version)
		}
	case "security":
		var o settings.SecurityOverrides
		if ok = overridesFrom(f, &o); ok {
			err = s.settings.SetSecurity(r.Context(), o, version)
		}
	case "communication":
		var o settings.CommunicationOverrides
		if ok = overridesFrom(f, &o); ok {
			err = s.settings.SetCommunication(r.Context(), o, version)
		}
	default:
		s.writePageError(w, r, tenant.NotFound("settings"))
		return
	}
	if !ok {
		err = errFix
	}
	if err != nil {
		s.renderSettings(w, r, kind, f, err)
		return
	}
	s.done(w, r, "/app/settings#"+kind, label(kind)+" settings saved.")
}

// maxSettingsFile bounds an imported settings file.
const maxSettingsFile = 256 << 10

// pageImportSettings replaces every kind of settings with a settings file
// (as the export writes it), all of it or nothing.
func (s *UI) pageImportSettings(w http.ResponseWriter, r *http.Request) {
	f := &form{Errors: map[string]string{}}
	var raw []byte
	if err := r.ParseMultipartForm(maxSettingsFile); err == nil {
		if file, _, err := r.FormFile("document"); err == nil {
			raw, _ = io.ReadAll(io.LimitReader(file, maxSettingsFile+1))
			file.Close()
		}
	}
	var d settings.Document
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if len(raw) == 0 || len(raw) > maxSettingsFile || dec.Decode(&d) != nil {
		s.renderSettings(w, r, "", f, &tenant.Error{Code: tenant.CodeInvalid, Message: "choose a settings file exported from this page (JSON)",
			Fields: map[string]string{"document": "not a settings file"}})
		return
	}
	if err := s.settings.Import(r.Context(), d); err != nil {
		s.renderSettings(w, r, "", f, err)
		return
	}
	s.done(w, r, "/app/settings", "Settings imported.")
}
