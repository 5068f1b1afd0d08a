package settings

import (
	"context"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/internal/keyset"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Delivery is one entry of the tenant's delivery log: a mail its jobs
// sent, or tried to send, as the communication settings asked. Kept 90
// days (the tenant's purge job deletes older entries).
type Delivery struct {
	ID        uuid.UUID
	Kind      string // the mail's kind, such as booking_confirmed or request_created
	Recipient string
	Subject   string
	Result    string // sent or failed
	Error     string // why it failed, without credentials
	CreatedAt time.Time
}

// DeliveryKey is the position of a delivery in the log, newest first.
type DeliveryKey struct {
	CreatedAt time.Time `json:"c"`
	ID        uuid.UUID `json:"i"`
}

// DeliveryPage selects a page of the delivery log.
type DeliveryPage = keyset.Page[DeliveryKey]

// FindDeliveries returns a page of the tenant's delivery log, newest
// first, and the key after which the next page starts (nil on the last
// page). Admins only: it names the addresses the firm mails.
func (s *Service) FindDeliveries(ctx context.Context, p DeliveryPage) (_ []Delivery, _ *DeliveryKey, err error) {
	defer errs.Wrap(&err, "settings: find deliveries")
	if _, err := tenant.Require(ctx, tenant.RoleAdmin); err != nil {
		return nil, nil, err
	}
	var out []Delivery
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		q := store.ListMailDeliveriesParams{TenantID: tx.TenantID(), PageSize: p.Fetch()}
		if p.After != nil {
			q.HasAfter, q.AfterCreatedAt, q.AfterID = true, p.After.CreatedAt, p.After.ID
		}
		rows, err := tx.ListMailDeliveries(ctx, q)
		for _, r := range rows {
			out = append(out, Delivery{ID: r.ID, Kind: r.Kind, Recipient: r.Recipient, Subject: r.Subject, Result: r.Result,
				Error: r.Error, CreatedAt: r.CreatedAt})
		}
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	items, next := keyset.Cut(out, p, func(d Delivery) DeliveryKey { return DeliveryKey{CreatedAt: d.CreatedAt, ID: d.ID} })
	return items, next, nil
}
