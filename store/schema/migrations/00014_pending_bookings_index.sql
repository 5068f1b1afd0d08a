-- The staff dashboard counts a tenant's upcoming pending bookings on every
-- load. Pending bookings are few next to all of them: a partial index
-- keeps the count to those rows instead of a scan of the tenant's
-- bookings. Conventions: see 00001.

-- +goose Up
CREATE INDEX bookings_tenant_id_pending_starts_idx ON bookings (tenant_id, starts_at) WHERE status = 'pending';

-- +goose Down
DROP INDEX bookings_tenant_id_pending_starts_idx;
