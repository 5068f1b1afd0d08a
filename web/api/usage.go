package api

import (
	"context"
	"net/http"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/tenant"
	"github.com/tenantkit/tenantkit/usage"
	"github.com/tenantkit/tenantkit/web/route"
)

// The per-tenant usage figures (package usage): an organization's owners
// read their own minutes on its host; operators read which organizations
// are loud or failing on the apex host, on the audited platform path.

type usageMinuteView struct {
	Minute       time.Time `json:"minute" doc:"The minute's start (UTC)."`
	Requests     int64     `json:"requests"`
	ClientErrors int64     `json:"client_errors" doc:"Requests answered 4xx."`
	ServerErrors int64     `json:"server_errors" doc:"Requests answered 5xx."`
	Refused      int64     `json:"refused" doc:"Requests whose credentials named another organization, account or session (also in client_errors)."`
	P50Ms        float64   `json:"p50_ms" doc:"Median latency: the upper bound of its latency bucket, in milliseconds."`
	P99Ms        float64   `json:"p99_ms" doc:"99th percentile latency, in milliseconds."`
}

func usageMinuteViewOf(m usage.Minute) usageMinuteView {
	return usageMinuteView{Minute: m.Minute, Requests: m.Requests, ClientErrors: m.ClientErrors, ServerErrors: m.ServerErrors,
		Refused: m.Refused, P50Ms: m.P50(), P99Ms: m.P99()}
}

type usageWindowInput struct {
	Since string `query:"since" format:"date-time" doc:"Start of the window (RFC 3339); defaults to an hour before until."`
	Until string `query:"until" format:"date-time" doc:"End of the window, excluded (RFC 3339); defaults to the end of the current minute. At most 24 hours after since."`
}

// window parses the input's bounds (zero when absent).
func (in usageWindowInput) window() (since, until time.Time, err error) {
	fields := map[string]string{}
	for _, f := range []struct {
		name, raw string
		dst       *time.Time
	}{{"query.since", in.Since, &since}, {"query.until", in.Until, &until}} {
		if f.raw == "" {
			continue
		}
		t, perr := time.Parse(time.RFC3339, f.raw)
		if perr != nil {
			fields[f.name] = "an RFC 3339 date-time"
			continue
		}
		*f.dst = t
	}
	if len(fields) > 0 {
		return since, until, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid usage window", Fields: fields}
	}
	return since, until, nil
}

type usageOutput struct {
	Body struct {
		Items []usageMinuteView `json:"items" doc:"The minutes that had requests, oldest first."`
	}
}

type platformUsageInput struct {
	Since string `query:"since" format:"date-time" doc:"Start of the window (RFC 3339); defaults to an hour before until."`
	Until string `query:"until" format:"date-time" doc:"End of the window, excluded (RFC 3339); defaults to the end of the current minute. At most 24 hours after since."`
	Limit int    `query:"limit" minimum:"1" maximum:"100" default:"10" doc:"How many organizations each list holds."`
}

type tenantTotalView struct {
	TenantID     string  `json:"tenant_id" format:"uuid"`
	Slug         string  `json:"slug"`
	Requests     int64   `json:"requests"`
	ClientErrors int64   `json:"client_errors"`
	ServerErrors int64   `json:"server_errors"`
	Refused      int64   `json:"refused"`
	WorstP99Ms   float64 `json:"worst_p99_ms" doc:"The highest p99 latency of any of its minutes, in milliseconds."`
}

func tenantTotalViewsOf(ts []usage.TenantTotal) []tenantTotalView {
	out := make([]tenantTotalView, 0, len(ts))
	for _, t := range ts {
		out = append(out, tenantTotalView{TenantID: t.TenantID.String(), Slug: t.Slug, Requests: t.Requests, ClientErrors: t.ClientErrors,
			ServerErrors: t.ServerErrors, Refused: t.Refused, WorstP99Ms: t.WorstP99Ms})
	}
	return out
}

type platformUsageOutput struct {
	Body struct {
		Since   time.Time         `json:"since"`
		Until   time.Time         `json:"until"`
		Loudest []tenantTotalView `json:"loudest" doc:"The organizations with the most requests."`
		Failing []tenantTotalView `json:"failing" doc:"The organizations with server errors or refused bindings, the most first."`
	}
}

func (s *API) registerUsage() {
	route.Operation(s.t, route.TenantHost, huma.Operation{
		OperationID: "get-usage", Method: http.MethodGet, Path: "/api/usage", Tags: []string{"usage"},
		Summary: "The organization's requests, errors and latency per minute",
		Description: "Measured by every instance and written about once a minute, so the current minute appears late. " +
			"The window is the last hour unless since and until say otherwise (at most 24 hours).",
		Errors: []int{422},
	}, route.Member(tenant.RoleOwner), s.handleUsage)
	route.Operation(s.t, route.ApexHost, huma.Operation{
		OperationID: "get-platform-usage", Method: http.MethodGet, Path: "/api/platform/usage", Tags: []string{"platform"},
		Summary:     "The loudest and the failing organizations (operators only)",
		Description: "Totals per organization over the window (the last hour unless since and until say otherwise, at most 24 hours).",
		Errors:      []int{401, 403, 422},
	}, route.Operator, s.handlePlatformUsage)
}

func (s *API) handleUsage(ctx context.Context, in *usageWindowInput) (*usageOutput, error) {
	since, until, err := in.window()
	if err != nil {
		return nil, err
	}
	minutes, err := s.usage.ForTenant(ctx, since, until)
	if err != nil {
		return nil, err
	}
	out := &usageOutput{}
	out.Body.Items = make([]usageMinuteView, 0, len(minutes))
	for _, m := range minutes {
		out.Body.Items = append(out.Body.Items, usageMinuteViewOf(m))
	}
	return out, nil
}

func (s *API) handlePlatformUsage(ctx context.Context, in *platformUsageInput) (*platformUsageOutput, error) {
	since, until, err := usageWindowInput{Since: in.Since, Until: in.Until}.window()
	if err != nil {
		return nil, err
	}
	op := operatorOf(ctx, "an operator reads the organizations' usage")
	top, err := s.usage.Top(ctx, usage.TopQuery{Actor: op.Actor, Operator: op.Account, Since: since, Until: until, Limit: in.Limit})
	if err != nil {
		return nil, err
	}
	out := &platformUsageOutput{}
	out.Body.Since, out.Body.Until = top.Since, top.Until
	out.Body.Loudest, out.Body.Failing = tenantTotalViewsOf(top.Loudest), tenantTotalViewsOf(top.Failing)
	return out, nil
}
