package api

import (
	"context"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/requests"
	"github.com/tenantkit/tenantkit/web/route"
)

// The reports of service requests: the CSV export and the analytics.

// requestColumns are the columns of the requests export.
var requestColumns = []string{"id", "title", "details", "status", "priority", "due_on", "client_member_id", "client_name",
	"service_id", "service_name", "assigned_member_id", "assigned_name", "source", "created_at", "updated_at"}

type requestExportInput struct {
	ServiceRequestQuery
}

type analyticsInput struct {
	From string `query:"from" format:"date" doc:"First day counted, in the organization's time zone. Defaults to the first day of the month eleven months before to."`
	To   string `query:"to" format:"date" doc:"Last day counted, in the organization's time zone. Defaults to today."`
}

type statusCountView struct {
	Status string `json:"status"`
	Count  int64  `json:"count"`
}

type serviceCountView struct {
	ServiceID   string `json:"service_id,omitempty" format:"uuid" doc:"Absent for requests without a service."`
	ServiceName string `json:"service_name,omitempty"`
	Count       int64  `json:"count"`
}

type monthCountView struct {
	Month string `json:"month" doc:"YYYY-MM, in the organization's time zone."`
	Count int64  `json:"count"`
}

type analyticsOutput struct {
	Body struct {
		TimeZone  string             `json:"time_zone"`
		From      string             `json:"from" format:"date"`
		To        string             `json:"to" format:"date"`
		Total     int64              `json:"total"`
		ByStatus  []statusCountView  `json:"by_status" doc:"Every status, in workflow order."`
		ByService []serviceCountView `json:"by_service" doc:"Most requested first."`
		ByMonth   []monthCountView   `json:"by_month" doc:"Every month of the range, in order."`
	}
}

func (s *API) handleExportRequests(ctx context.Context, in *requestExportInput) (*huma.StreamResponse, error) {
	f := in.filter()
	return route.CSV(s.t, ctx, "service-requests.csv", requestColumns, func(p requests.Page) ([]requests.Request, *requests.Key, error) {
		f.Page = p
		return s.requests.FindRequests(ctx, f)
	}, func(r requests.Request) []string {
		return []string{
			r.ID.String(), route.Cell(r.Title), route.Cell(r.Details), string(r.Status), string(r.Priority), dateString(r.DueOn),
			r.ClientMemberID.String(), route.Cell(r.ClientName), idString(r.ServiceID), route.Cell(r.ServiceName),
			idString(r.AssignedMemberID), route.Cell(r.AssignedName), string(r.Source), route.Time(&r.CreatedAt), route.Time(&r.UpdatedAt),
		}
	}), nil
}

func (s *API) handleRequestAnalytics(ctx context.Context, in *analyticsInput) (*analyticsOutput, error) {
	a, err := s.requests.RequestAnalytics(ctx, optionalDate(in.From), optionalDate(in.To))
	if err != nil {
		return nil, err
	}
	out := &analyticsOutput{}
	b := &out.Body
	b.TimeZone, b.From, b.To, b.Total = a.TimeZone, a.From.Format(time.DateOnly), a.To.Format(time.DateOnly), a.Total
	b.ByStatus = listOf(a.ByStatus, func(c requests.StatusCount) statusCountView {
		return statusCountView{Status: string(c.Status), Count: c.Count}
	}).Items
	b.ByService = listOf(a.ByService, func(c requests.ServiceCount) serviceCountView {
		return serviceCountView{ServiceID: idString(c.ServiceID), ServiceName: c.ServiceName, Count: c.Count}
	}).Items
	b.ByMonth = listOf(a.ByMonth, func(c requests.MonthCount) monthCountView { return monthCountView{Month: c.Month, Count: c.Count} }).Items
	return out, nil
}
