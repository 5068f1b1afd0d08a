package route

// What every CSV export shares: cells that cannot turn into spreadsheet
// formulas, one time format, and pages written as they are read.

import (
	"context"
	"encoding/csv"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/danielgtaylor/huma/v2"

	"github.com/tenantkit/tenantkit/internal/keyset"
)

// Cell defuses spreadsheet formula injection: text starting with =, +, -,
// @, a tab or a carriage return gets a leading apostrophe.
func Cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// Time formats t as RFC 3339 in UTC, and a nil or zero time as "".
func Time(t *time.Time) string {
	if t == nil || t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

// CSV streams a CSV export named filename: header, then the rows of every
// page of a list, each page written (and flushed) as it is read, so an
// export is never held whole in memory. rows turns the items of a page
// into cells (see [Cell] and [Time]). An error once streaming has begun can
// only end the response early; it is logged.
func CSV[K, T any](t *Table, ctx context.Context, filename string, header []string,
	find func(keyset.Page[K]) ([]T, *K, error), row func(T) []string) *huma.StreamResponse {
	return &huma.StreamResponse{Body: func(hctx huma.Context) {
		hctx.SetHeader("Content-Type", "text/csv; charset=utf-8")
		hctx.SetHeader("Content-Disposition", `attachment; filename="`+filename+`"`)
		hctx.SetStatus(http.StatusOK)
		if err := writeCSV(hctx.BodyWriter(), header, find, row); err != nil {
			t.logger.ErrorContext(ctx, "export failed while streaming", slog.String("file", filename), slog.Any("error", err))
		}
	}}
}

func writeCSV[K, T any](w io.Writer, header []string, find func(keyset.Page[K]) ([]T, *K, error), row func(T) []string) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	p := keyset.Page[K]{Limit: keyset.MaxLimit}
	for {
		items, next, err := find(p)
		if err != nil {
			return err
		}
		for _, it := range items {
			if err := cw.Write(row(it)); err != nil {
				return err
			}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		if next == nil {
			return nil
		}
		p.After = next
	}
}
