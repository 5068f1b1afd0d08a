package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/settings"
	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/web/route"
)

// The delivery log: what the organization's mail sent, to whom, with what
// result.

type deliveryView struct {
	ID        string    `json:"id" format:"uuid"`
	Kind      string    `json:"kind" doc:"What the mail was: booking_confirmed, booking_reminder, booking_rescheduled, booking_cancelled, request_created, request_commented, invitation or request_received."`
	Recipient string    `json:"recipient"`
	Subject   string    `json:"subject"`
	Result    string    `json:"result" enum:"sent,failed"`
	Error     string    `json:"error,omitempty" doc:"Why it failed."`
	CreatedAt time.Time `json:"created_at"`
}

func deliveryViewOf(d settings.Delivery) deliveryView {
	return deliveryView{ID: d.ID.String(), Kind: d.Kind, Recipient: d.Recipient, Subject: d.Subject, Result: d.Result, Error: d.Error,
		CreatedAt: d.CreatedAt}
}

type deliveryListInput struct {
	route.PageQuery
}

type deliveryListOutput struct {
	Body route.List[deliveryView]
}

func (s *API) registerDeliveries() {
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "list-mail-deliveries", Method: http.MethodGet, Path: "/api/mail-deliveries", Tags: []string{"settings"},
		Summary: "The delivery log", Description: "The mail the organization's jobs sent or tried to send, newest first; kept 90 days.",
	}, route.Member(tenant.RoleAdmin), s.handleListDeliveries)
}

func (s *API) handleListDeliveries(ctx context.Context, in *deliveryListInput) (*deliveryListOutput, error) {
	list, err := route.Keyset(ctx, in.PageQuery, func(p settings.DeliveryPage) ([]settings.Delivery, *settings.DeliveryKey, error) {
		return s.settings.FindDeliveries(ctx, p)
	}, deliveryViewOf)
	return &deliveryListOutput{Body: list}, err
}
