package store

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
)

// registerUUID teaches a connection's type map to send and read
// github.com/google/uuid values as PostgreSQL's binary uuid directly.
// Without it pgx treats uuid.UUID as a driver.Valuer: each value became a
// 36-character string that was then parsed back, and each scan went
// through sql.Scanner — a tenth of the server's CPU under the bench's
// load (make bench -profile). Every query passes at least the tenant id.
func registerUUID(_ context.Context, conn *pgx.Conn) error {
	m := conn.TypeMap()
	t := &pgtype.Type{Name: "uuid", OID: pgtype.UUIDOID, Codec: uuidCodec{}}
	m.RegisterType(t)
	m.RegisterType(&pgtype.Type{Name: "_uuid", OID: pgtype.UUIDArrayOID, Codec: &pgtype.ArrayCodec{ElementType: t}})
	m.RegisterDefaultPgType(uuid.UUID{}, "uuid")
	return nil
}

// uuidCodec is pgx's uuid codec that also takes uuid.UUID and *uuid.UUID
// values and scans into *uuid.UUID, through pgtype.UUID.
type uuidCodec struct{ pgtype.UUIDCodec }

func (c uuidCodec) PlanEncode(m *pgtype.Map, oid uint32, format int16, value any) pgtype.EncodePlan {
	switch value.(type) {
	case uuid.UUID:
		return &uuidEncodePlan{next: c.UUIDCodec.PlanEncode(m, oid, format, pgtype.UUID{})}
	case *uuid.UUID:
		return &uuidEncodePlan{next: c.UUIDCodec.PlanEncode(m, oid, format, pgtype.UUID{}), pointer: true}
	}
	return c.UUIDCodec.PlanEncode(m, oid, format, value)
}

func (c uuidCodec) PlanScan(m *pgtype.Map, oid uint32, format int16, target any) pgtype.ScanPlan {
	if _, ok := target.(*uuid.UUID); ok {
		if next := c.UUIDCodec.PlanScan(m, oid, format, &pgtype.UUID{}); next != nil {
			return &uuidScanPlan{next: next}
		}
	}
	return c.UUIDCodec.PlanScan(m, oid, format, target)
}

type uuidEncodePlan struct {
	next    pgtype.EncodePlan
	pointer bool
}

func (p *uuidEncodePlan) Encode(value any, buf []byte) ([]byte, error) {
	if p.pointer {
		u := value.(*uuid.UUID)
		if u == nil {
			return nil, nil // NULL
		}
		return p.next.Encode(pgtype.UUID{Bytes: *u, Valid: true}, buf)
	}
	return p.next.Encode(pgtype.UUID{Bytes: value.(uuid.UUID), Valid: true}, buf)
}

type uuidScanPlan struct{ next pgtype.ScanPlan }

var errNullUUID = errors.New("cannot scan NULL into *uuid.UUID")

func (p *uuidScanPlan) Scan(src []byte, target any) error {
	var v pgtype.UUID
	if err := p.next.Scan(src, &v); err != nil {
		return err
	}
	if !v.Valid {
		return errNullUUID
	}
	*target.(*uuid.UUID) = v.Bytes
	return nil
}
