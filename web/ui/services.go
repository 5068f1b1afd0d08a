package ui

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/catalog"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/web/route"
)

// The services pages: the catalogue with search and filters, create, edit
// with the version history, clone, archive and restore, delete, bulk
// changes, the CSV export and the slug check.

// serviceFields are the fields of the service form.
var serviceFields = []string{"name", "slug", "description", "duration_minutes", "price", "currency", "active", "requires_confirmation"}

func (s *UI) registerServicePages(page registrar, staff, admin route.Policy) {
	page(http.MethodGet, "/app/services", staff, s.pageServices, query(append([]string{"q", "show"}, paged...)...))
	page(http.MethodGet, "/app/services/new", staff, s.pageNewService)
	page(http.MethodPost, "/app/services", staff, s.pageCreateService, fields(serviceFields...))
	page(http.MethodGet, "/app/services/slug-check", staff, s.pageSlugCheck, query("slug", "current"))
	page(http.MethodPost, "/app/services/bulk", staff, s.pageBulkServices, route.Inputs{Form: []string{"action", "id"}, Repeat: []string{"id"}})
	page(http.MethodPost, "/app/services/bulk/delete", admin, s.pageBulkDeleteServices, route.Inputs{Form: []string{"id"}, Repeat: []string{"id"}})
	page(http.MethodGet, "/app/services/{service_id}", staff, s.pageService)
	page(http.MethodPost, "/app/services/{service_id}", staff, s.pageUpdateService, fields(append([]string{"version"}, serviceFields...)...))
	page(http.MethodPost, "/app/services/{service_id}/clone", staff, s.pageCloneService, fields("clone_name", "clone_slug"))
	page(http.MethodPost, "/app/services/{service_id}/archive", staff, s.pageArchiveService(true), fields("version"))
	page(http.MethodPost, "/app/services/{service_id}/unarchive", staff, s.pageArchiveService(false), fields("version"))
	page(http.MethodGet, "/app/services/{service_id}/delete", admin, s.pageConfirmDeleteService)
	page(http.MethodPost, "/app/services/{service_id}/delete", admin, s.pageDeleteService, fields())
}

// servicesPage is the catalogue page.
type servicesPage struct {
	Items []catalog.Service
	Pager pager
	Q     string
	Show  string // active, inactive, archived or all
}

func (s *UI) pageServices(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.workspace(w, r, "/app/services", "Services")
	if !ok {
		return
	}
	q := r.URL.Query()
	p := servicesPage{Q: strings.TrimSpace(q.Get("q")), Show: q.Get("show")}
	f := catalog.ServiceFilter{}
	switch p.Show {
	case "active", "inactive":
		active := p.Show == "active"
		f.Active = &active
	case "archived", "all":
		f.IncludeArchived = true
	default:
		p.Show = ""
	}
	if p.Q != "" {
		f.Query = &p.Q
	}
	list, err := route.Keyset(r.Context(), pageQuery(r), func(pg keyset.Page[catalog.ServiceKey]) ([]catalog.Service, *catalog.ServiceKey, error) {
		f.Page = pg
		return s.catalog.FindServices(r.Context(), f)
	}, func(sv catalog.Service) catalog.Service { return sv })
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	for _, sv := range list.Items {
		if p.Show != "archived" || sv.ArchivedAt != nil {
			p.Items = append(p.Items, sv)
		}
	}
	p.Pager = pagerOf(r, list.NextCursor)
	v.Page = p
	if r.Header.Get("HX-Request") == "true" && r.Header.Get("HX-Target") == "service-list" {
		s.renderPart(w, r, "app_services", "list", v)
		return
	}
	s.render(w, r, http.StatusOK, "app_services", v)
}

// serviceForm is the page of a new or an existing service.
type serviceForm struct {
	Service  *catalog.Service
	Currency string
	Versions []catalog.Version
	Stats    *catalog.Stats
}

func (s *UI) pageNewService(w http.ResponseWriter, r *http.Request) {
	v, ws, ok := s.workspace(w, r, "/app/services", "New service")
	if !ok {
		return
	}
	v.Form = &form{Errors: map[string]string{}}
	v.Form.Values = map[string][]string{"currency": {ws.Currency}, "duration_minutes": {"60"}, "active": {"on"}}
	v.Page = serviceForm{Currency: ws.Currency}
	s.render(w, r, http.StatusOK, "app_service", v)
}

// serviceInput reads the service form; price is in major units.
func serviceInput(f *form) (catalog.ServiceInput, bool) {
	in := catalog.ServiceInput{
		Slug: strings.TrimSpace(f.Get("slug")), Name: f.Get("name"), Description: f.Get("description"),
		Currency: strings.ToUpper(strings.TrimSpace(f.Get("currency"))),
		Active:   f.Get("active") != "", RequiresConfirmation: f.Get("requires_confirmation") != "",
	}
	ok := true
	if n, err := strconv.Atoi(strings.TrimSpace(f.Get("duration_minutes"))); err == nil {
		in.DurationMinutes = int32(n)
	} else {
		f.Errors["duration_minutes"], ok = "a whole number of minutes, 5 to 1440", false
	}
	if p, err := parseMoney(f.Get("price")); err == nil {
		in.PriceMinor = p
	} else {
		f.Errors["price"], ok = "an amount such as 150 or 150.50", false
	}
	return in, ok
}

// parseMoney reads an amount in major units ("150", "150.5", "150.50")
// as minor units.
func parseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if whole == "" || len(frac) > 2 || strings.HasPrefix(whole, "-") || strings.HasPrefix(whole, "+") {
		return 0, strconv.ErrSyntax
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w > 1_000_000_000 {
		return 0, strconv.ErrSyntax
	}
	for len(frac) < 2 {
		frac += "0"
	}
	c, err := strconv.ParseInt(frac, 10, 64)
	if err != nil || c < 0 {
		return 0, strconv.ErrSyntax
	}
	return w*100 + c, nil
}

// priceOf formats minor units for the price field.
func priceOf(minor int64) string {
	return strconv.FormatInt(minor/100, 10) + "." + strconv.FormatInt(minor%100/10, 10) + strconv.FormatInt(minor%10, 10)
}

// failService shows the service form again with the domain's errors.
func (s *UI) failService(w http.ResponseWriter, r *http.Request, f *form, sv *catalog.Service, err error) {
	v, ws, ok := s.workspace(w, r, "/app/services", "New service")
	if !ok {
		return
	}
	v.Form = f
	if err != nil {
		v.Error = f.fail(err)
	} else {
		v.Error = "Some fields need attention."
	}
	if msg, ok := f.Errors["price_minor"]; ok {
		f.Errors["price"] = msg
	}
	page := serviceForm{Service: sv, Currency: ws.Currency}
	if sv != nil {
		v.Title = sv.Name
		page.Versions, _ = s.catalog.ServiceVersions(r.Context(), sv.ID)
	}
	v.Page = page
	s.render(w, r, statusOf(err, http.StatusUnprocessableEntity), "app_service", v)
}

// statusOf is the status of a page shown again after err (def without
// one).
func statusOf(err error, def int) int {
	if err == nil {
		return def
	}
	return route.StatusOf(err)
}

func (s *UI) pageCreateService(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	in, ok := serviceInput(f)
	if !ok {
		s.failService(w, r, f, nil, nil)
		return
	}
	sv, err := s.catalog.CreateService(r.Context(), in)
	if err != nil {
		s.failService(w, r, f, nil, err)
		return
	}
	s.done(w, r, "/app/services/"+sv.ID.String(), "Service “"+sv.Name+"” created.")
}

// slugCheck is the answer of the slug check.
type slugCheck struct {
	Slug           string
	Free, Bad, Own bool
}

// pageSlugCheck tells, while the slug is typed, whether it is free (an
// htmx request replaces the hint under the field).
func (s *UI) pageSlugCheck(w http.ResponseWriter, r *http.Request) {
	slug := strings.TrimSpace(r.URL.Query().Get("slug"))
	c := slugCheck{Slug: slug}
	if slug != "" && slug == r.URL.Query().Get("current") {
		c.Free, c.Own = true, true
		s.renderPart(w, r, "app_service", "slug-check", c)
		return
	}
	free, err := s.catalog.SlugAvailable(r.Context(), slug)
	switch {
	case err == nil:
		c.Free = free
	case route.StatusOf(err) == http.StatusUnprocessableEntity:
		c.Bad = true
	default:
		s.writePageError(w, r, err)
		return
	}
	s.renderPart(w, r, "app_service", "slug-check", c)
}

// withID runs fn with the id in r's path parameter param, a kind's; a
// malformed id reads like a missing one. Page parameters are named for
// the list their ids come from (service_id: GET /api/services), as the
// OpenAPI document lists them.
func (s *UI) withID(w http.ResponseWriter, r *http.Request, param, kind string, fn func(uuid.UUID)) {
	id, err := route.ParseID(r.PathValue(param), kind)
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	fn(id)
}

func (s *UI) pageService(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_id", "service", func(id uuid.UUID) {
		sv, err := s.catalog.FindServiceByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, ws, ok := s.workspace(w, r, "/app/services", sv.Name)
		if !ok {
			return
		}
		page := serviceForm{Service: &sv, Currency: ws.Currency}
		if page.Versions, err = s.catalog.ServiceVersions(r.Context(), id); err != nil {
			s.writePageError(w, r, err)
			return
		}
		if st, err := s.catalog.ServiceStats(r.Context(), id); err == nil {
			page.Stats = &st
		}
		v.Form = &form{Errors: map[string]string{}, Values: map[string][]string{
			"slug": {sv.Slug}, "name": {sv.Name}, "description": {sv.Description},
			"duration_minutes": {strconv.Itoa(int(sv.DurationMinutes))}, "price": {priceOf(sv.PriceMinor)}, "currency": {sv.Currency},
			"version": {strconv.Itoa(int(sv.Version))},
		}}
		if sv.Active {
			v.Form.Values.Set("active", "on")
		}
		if sv.RequiresConfirmation {
			v.Form.Values.Set("requires_confirmation", "on")
		}
		v.Page = page
		s.render(w, r, http.StatusOK, "app_service", v)
	})
}

// formVersion reads the version the form was filled from: a change made
// meanwhile by someone else is refused rather than overwritten.
func formVersion(f *form) *int32 {
	n, err := strconv.Atoi(f.Get("version"))
	if err != nil {
		return nil
	}
	v := int32(n)
	return &v
}

func (s *UI) pageUpdateService(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_id", "service", func(id uuid.UUID) {
		sv, err := s.catalog.FindServiceByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		f := newForm(r)
		in, ok := serviceInput(f)
		if !ok {
			s.failService(w, r, f, &sv, nil)
			return
		}
		up := catalog.ServiceUpdate{Slug: &in.Slug, Name: &in.Name, Description: &in.Description, DurationMinutes: &in.DurationMinutes,
			PriceMinor: &in.PriceMinor, Currency: &in.Currency, Active: &in.Active, RequiresConfirmation: &in.RequiresConfirmation}
		updated, err := s.catalog.UpdateService(r.Context(), id, up, formVersion(f))
		if err != nil {
			s.failService(w, r, f, &sv, err)
			return
		}
		s.done(w, r, "/app/services/"+id.String(), "Saved: version "+strconv.Itoa(int(updated.Version))+".")
	})
}

func (s *UI) pageCloneService(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_id", "service", func(id uuid.UUID) {
		f := newForm(r)
		c, err := s.catalog.CloneService(r.Context(), id, strings.TrimSpace(f.Get("clone_slug")), f.Get("clone_name"))
		if err != nil {
			s.done(w, r, "/app/services/"+id.String(), "Not copied: "+f.fail(err)+".")
			return
		}
		s.done(w, r, "/app/services/"+c.ID.String(), "Copied as “"+c.Name+"” (inactive).")
	})
}

func (s *UI) pageArchiveService(archive bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.withID(w, r, "service_id", "service", func(id uuid.UUID) {
			change, msg := s.catalog.UnarchiveService, "Restored (inactive): activate it to offer it again."
			if archive {
				change, msg = s.catalog.ArchiveService, "Archived."
			}
			if _, err := change(r.Context(), id, formVersion(newForm(r))); err != nil {
				s.writePageError(w, r, err)
				return
			}
			s.done(w, r, "/app/services/"+id.String(), msg)
		})
	}
}

func (s *UI) pageConfirmDeleteService(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_id", "service", func(id uuid.UUID) {
		sv, err := s.catalog.FindServiceByID(r.Context(), id)
		if err != nil {
			s.writePageError(w, r, err)
			return
		}
		v, _, ok := s.workspace(w, r, "/app/services", "Delete "+sv.Name)
		if !ok {
			return
		}
		s.confirm(w, r, v, confirmation{
			Question: "Delete “" + sv.Name + "”?",
			Detail:   "The service and its version history are deleted for good. A service with bookings cannot be deleted: archive it instead.",
			Action:   "/app/services/" + id.String() + "/delete", Button: "Delete the service", Back: "/app/services/" + id.String(),
		})
	})
}

func (s *UI) pageDeleteService(w http.ResponseWriter, r *http.Request) {
	s.withID(w, r, "service_id", "service", func(id uuid.UUID) {
		if err := s.catalog.DeleteService(r.Context(), id); err != nil {
			if route.StatusOf(err) == http.StatusConflict {
				s.done(w, r, "/app/services/"+id.String(), "Not deleted: "+tenantMessage(err)+".")
				return
			}
			s.writePageError(w, r, err)
			return
		}
		s.done(w, r, "/app/services", "Service deleted.")
	})
}

// pageBulkServices applies the chosen action to the ticked services: all
// of them or none. Deleting asks first.
func (s *UI) pageBulkServices(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	ids, err := route.ParseIDs(f.Values["id"], "service")
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	back := "/app/services"
	if len(ids) == 0 {
		s.done(w, r, back, "Tick the services to change first.")
		return
	}
	switch f.Get("action") {
	case "activate", "deactivate":
		n, err := s.catalog.SetServicesActive(r.Context(), ids, f.Get("action") == "activate")
		if err != nil {
			s.done(w, r, back, "Nothing changed: "+tenantMessage(err)+".")
			return
		}
		s.done(w, r, back, strconv.Itoa(n)+" service(s) "+f.Get("action")+"d.")
	case "delete":
		v, _, ok := s.workspace(w, r, "/app/services", "Delete services")
		if !ok {
			return
		}
		hidden := url.Values{}
		for _, id := range ids {
			hidden.Add("id", id.String())
		}
		s.confirm(w, r, v, confirmation{
			Question: "Delete " + strconv.Itoa(len(ids)) + " service(s)?",
			Detail:   "They are deleted with their history, all of them or none: if one has bookings, nothing is deleted.",
			Action:   "/app/services/bulk/delete", Fields: hidden, Button: "Delete them", Back: back,
		})
	default:
		s.done(w, r, back, "Choose an action.")
	}
}

func (s *UI) pageBulkDeleteServices(w http.ResponseWriter, r *http.Request) {
	f := newForm(r)
	ids, err := route.ParseIDs(f.Values["id"], "service")
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	n, err := s.catalog.DeleteServices(r.Context(), ids)
	if err != nil {
		s.done(w, r, "/app/services", "Nothing deleted: "+tenantMessage(err)+".")
		return
	}
	s.done(w, r, "/app/services", strconv.Itoa(n)+" service(s) deleted.")
}
