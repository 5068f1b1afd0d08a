package store

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// heartbeatSQL records that an instance is alive, forgets the instances
// not seen within the time to live, and counts the live ones, this one
// included, in one statement. Liveness is judged by the database's clock,
// the one clock every instance of a deployment shares.
const heartbeatSQL = `
WITH seen AS (
    INSERT INTO instances (id) VALUES ($1)
    ON CONFLICT (id) DO UPDATE SET seen_at = now()
    RETURNING id
), gone AS (
    DELETE FROM instances WHERE seen_at < now() - $2 * interval '1 millisecond' AND id <> $1
)
SELECT 1 + count(*) FROM instances
WHERE id <> $1 AND seen_at >= now() - $2 * interval '1 millisecond'`

// Heartbeat records that the instance id is alive and returns how many
// instances, this one included, were seen within ttl. Rows of instances
// not seen within ttl are deleted. It reads no tenant data and needs no
// scope.
func (s *Store) Heartbeat(ctx context.Context, id uuid.UUID, ttl time.Duration) (n int, err error) {
	conn, err := s.acquire(ctx, s.app)
	if err != nil {
		return 0, translate(err)
	}
	defer conn.Release()
	if err := conn.QueryRow(ctx, heartbeatSQL, id, ttl.Milliseconds()).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: heartbeat: %w", translate(err))
	}
	return n, nil
}

// Leave deletes the instance id's row, so that the other instances count
// one fewer at their next heartbeat instead of after the time to live.
func (s *Store) Leave(ctx context.Context, id uuid.UUID) error {
	conn, err := s.acquire(ctx, s.app)
	if err != nil {
		return translate(err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, "DELETE FROM instances WHERE id = $1", id); err != nil {
		return fmt.Errorf("store: leave: %w", translate(err))
	}
	return nil
}
