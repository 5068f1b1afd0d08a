package requests

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/tenantkit/tenantkit/internal/errs"
	"github.com/tenantkit/tenantkit/store"
	"github.com/tenantkit/tenantkit/tenant"
)

// Analytics are a tenant's request figures over a range of dates.
type Analytics struct {
	// TimeZone is the tenant's (organization settings): days and months
	// begin at its midnight.
	TimeZone string
	// From and To are the first and the last day counted (dates, midnight
	// UTC).
	From, To  time.Time
	Total     int64
	ByStatus  []StatusCount  // every status, in workflow order
	ByService []ServiceCount // most requested first; ServiceID nil for none
	ByMonth   []MonthCount   // every month of the range, in order
}

// StatusCount is the number of requests in one status.
type StatusCount struct {
	Status Status
	Count  int64
}

// ServiceCount is the number of requests for one service.
type ServiceCount struct {
	ServiceID   *uuid.UUID
	ServiceName string
	Count       int64
}

// MonthCount is the number of requests made in one month ("2006-01").
type MonthCount struct {
	Month string
	Count int64
}

// MaxAnalyticsDays bounds the range of [Service.RequestAnalytics].
const MaxAnalyticsDays = 5 * 366

// RequestAnalytics counts the requests created from the first moment of
// day from to the last moment of day to, both in the tenant's time zone, by
// status, by service and by month. Without from it starts on the first day
// of the month eleven months before to; without to it ends today.
func (s *Service) RequestAnalytics(ctx context.Context, from, to *time.Time) (_ Analytics, err error) {
	defer errs.Wrap(&err, "requests: request analytics")
	if _, err := tenant.Require(ctx, tenant.RoleStaff); err != nil {
		return Analytics{}, err
	}
	var out Analytics
	err = s.store.ReadTenant(ctx, func(tx *store.Tx) error {
		org, err := tx.GetOrganizationSettings(ctx, tx.TenantID())
		if err != nil {
			return err
		}
		loc, err := time.LoadLocation(org.TimeZone)
		if err != nil {
			return fmt.Errorf("load the time zone of the organization: %w", err)
		}
		first, last, err := dateRange(from, to, s.now().In(loc))
		if err != nil {
			return err
		}
		fromAt := time.Date(first.Year(), first.Month(), first.Day(), 0, 0, 0, 0, loc)
		toAt := time.Date(last.Year(), last.Month(), last.Day()+1, 0, 0, 0, 0, loc)
		rows, err := tx.ServiceRequestAnalytics(ctx, store.ServiceRequestAnalyticsParams{
			TenantID: tx.TenantID(), TimeZone: org.TimeZone, FromAt: fromAt, ToAt: toAt,
		})
		if err != nil {
			return err
		}
		out = tally(rows, first, last)
		out.TimeZone = org.TimeZone
		return nil
	})
	return out, err
}

// dateRange resolves the days of an analytics range, today being now's.
func dateRange(from, to *time.Time, now time.Time) (time.Time, time.Time, error) {
	civil := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC) }
	last := civil(now)
	if to != nil {
		last = civil(*to)
	}
	first := time.Date(last.Year(), last.Month()-11, 1, 0, 0, 0, 0, time.UTC)
	if from != nil {
		first = civil(*from)
	}
	switch {
	case last.Before(first):
		return first, last, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid range", Fields: map[string]string{"query.to": "on or after from"}}
	case last.Sub(first) > MaxAnalyticsDays*24*time.Hour:
		return first, last, &tenant.Error{Code: tenant.CodeInvalid, Message: "invalid range",
			Fields: map[string]string{"query.from": fmt.Sprintf("at most %d days before to", MaxAnalyticsDays)}}
	}
	return first, last, nil
}

// tally turns the rows of the analytics query into figures, with a zero
// for every status and every month of [first, last] that has no request.
func tally(rows []store.ServiceRequestAnalyticsRow, first, last time.Time) Analytics {
	out := Analytics{From: first, To: last}
	byStatus, byMonth := map[string]int64{}, map[string]int64{}
	for _, r := range rows {
		switch r.Dimension {
		case "status":
			byStatus[r.Key] = r.Count
			out.Total += r.Count
		case "month":
			byMonth[r.Key] = r.Count
		case "service":
			c := ServiceCount{ServiceName: r.Label, Count: r.Count}
			if id, err := uuid.Parse(r.Key); err == nil {
				c.ServiceID = &id
			}
			out.ByService = append(out.ByService, c)
		}
	}
	for _, st := range Statuses {
		out.ByStatus = append(out.ByStatus, StatusCount{Status: st, Count: byStatus[string(st)]})
	}
	for m := time.Date(first.Year(), first.Month(), 1, 0, 0, 0, 0, time.UTC); !m.After(last); m = m.AddDate(0, 1, 0) {
		key := m.Format("2006-01")
		out.ByMonth = append(out.ByMonth, MonthCount{Month: key, Count: byMonth[key]})
	}
	sortServices(out.ByService)
	return out
}

func sortServices(cs []ServiceCount) {
	slices.SortStableFunc(cs, func(a, b ServiceCount) int {
		return cmp.Or(cmp.Compare(b.Count, a.Count), cmp.Compare(a.ServiceName, b.ServiceName))
	})
}
