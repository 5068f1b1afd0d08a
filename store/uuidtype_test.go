package store

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/tenantkit/tenantkit/internal/pgtest"
)

// uuid.UUID values travel as binary uuid, both ways, NULLs included —
// not as strings through driver.Valuer and sql.Scanner.
func TestUUIDsTravelAsBinary(t *testing.T) {
	ctx := context.Background()
	db := pgtest.New(t)
	cfg, err := pgx.ParseConfig(db.AppURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if err := registerUUID(ctx, conn); err != nil {
		t.Fatal(err)
	}

	for _, v := range []any{uuid.UUID{}, &uuid.UUID{}} {
		plan := conn.TypeMap().PlanEncode(pgtype.UUIDOID, pgtype.BinaryFormatCode, v)
		if got := fmt.Sprintf("%T", plan); got != "*store.uuidEncodePlan" {
			t.Errorf("encode plan for %T: %s, want *store.uuidEncodePlan", v, got)
		}
	}
	var u uuid.UUID
	if plan := conn.TypeMap().PlanScan(pgtype.UUIDOID, pgtype.BinaryFormatCode, &u); fmt.Sprintf("%T", plan) != "*store.uuidScanPlan" {
		t.Errorf("scan plan for *uuid.UUID: %T, want *store.uuidScanPlan", plan)
	}

	a, b := uuid.New(), uuid.New()
	var gotA, gotText uuid.UUID
	var gotB, gotNull *uuid.UUID
	var list []uuid.UUID
	err = conn.QueryRow(ctx, "SELECT $1::uuid, $2::uuid, $3::uuid, $2::uuid::text, ARRAY[$1, $2]::uuid[]", a, &b, (*uuid.UUID)(nil)).
		Scan(&gotA, &gotB, &gotNull, &gotText, &list)
	if err != nil {
		t.Fatal(err)
	}
	if gotA != a || gotB == nil || *gotB != b || gotNull != nil || gotText != b || !slices.Equal(list, []uuid.UUID{a, b}) {
		t.Errorf("read back %v %v %v %v %v, want %v %v <nil> %v [%v %v]", gotA, gotB, gotNull, gotText, list, a, b, b, a, b)
	}
	if err := conn.QueryRow(ctx, "SELECT NULL::uuid").Scan(&gotA); err == nil {
		t.Error("NULL scanned into a uuid.UUID without an error")
	}
	// A uuid.Nil is a value, not NULL.
	var isNull bool
	if err := conn.QueryRow(ctx, "SELECT $1::uuid IS NULL", uuid.Nil).Scan(&isNull); err != nil || isNull {
		t.Errorf("uuid.Nil sent as NULL (%v)", err)
	}
}
