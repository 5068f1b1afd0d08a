package ui

import (
	"net/http"

	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/web/route"
)

// The delivery log page: the mail the organization's jobs sent or tried
// to send, newest first (admins: it names the addresses the firm mails).

func (s *UI) registerDeliveryPages(page registrar, admin route.Policy) {
	page(http.MethodGet, "/app/mail-log", admin, s.pageDeliveries, query(paged...))
}

// deliveriesPage is one page of the delivery log.
type deliveriesPage struct {
	Deliveries []settings.Delivery
	Pager      pager
}

func (s *UI) pageDeliveries(w http.ResponseWriter, r *http.Request) {
	v, _, ok := s.workspace(w, r, "/app/settings", "Mail log")
	if !ok {
		return
	}
	list, err := route.Keyset(r.Context(), pageQuery(r), func(p settings.DeliveryPage) ([]settings.Delivery, *settings.DeliveryKey, error) {
		return s.settings.FindDeliveries(r.Context(), p)
	}, func(d settings.Delivery) settings.Delivery { return d })
	if err != nil {
		s.writePageError(w, r, err)
		return
	}
	v.Page = deliveriesPage{Deliveries: list.Items, Pager: pagerOf(r, list.NextCursor)}
	s.render(w, r, http.StatusOK, "app_mail_log", v)
}
