-- The staff dashboard, in one statement: counts, the bookings of a day and
-- of a week (at most 100 each, starting first), the open requests by
-- status, and the open requests waiting for the firm's reply (the newest
-- client-visible comment is the client's, or a submitted request has none).

-- name: GetDashboard :one
WITH last_client_visible AS (
    -- The newest client-visible comment of each request: the tenant's
    -- comments are few next to its requests, so one pass over them beats
    -- a lookup per request.
    SELECT DISTINCT ON (c.service_request_id) c.service_request_id, c.author_member_id, c.created_at
    FROM service_request_comments c
    WHERE c.tenant_id = @tenant_id AND c.visibility = 'client'
    ORDER BY c.service_request_id, c.created_at DESC, c.id DESC
), waiting AS (
    SELECT r.id, r.title, r.status, r.client_member_id, coalesce(lc.created_at, r.created_at) AS since
    FROM service_requests r
    LEFT JOIN last_client_visible lc ON lc.service_request_id = r.id
    WHERE r.tenant_id = @tenant_id AND r.status NOT IN ('completed', 'cancelled')
      AND (lc.author_member_id = r.client_member_id OR (lc.author_member_id IS NULL AND r.status = 'submitted'))
), shown AS (
    SELECT b.id, b.starts_at, b.ends_at, b.status, sv.name AS service, st.display_name AS staff, cl.display_name AS client
    FROM bookings b
    JOIN services sv ON sv.tenant_id = b.tenant_id AND sv.id = b.service_id
    JOIN members st ON st.tenant_id = b.tenant_id AND st.id = b.staff_member_id
    JOIN members cl ON cl.tenant_id = b.tenant_id AND cl.id = b.client_member_id
    WHERE b.tenant_id = @tenant_id AND b.starts_at >= @week_start AND b.starts_at < @week_end AND b.status <> 'cancelled'
)
SELECT (SELECT count(*) FROM services s
        WHERE s.tenant_id = @tenant_id AND s.active AND s.archived_at IS NULL)::bigint           AS active_services,
       (SELECT count(*) FROM bookings b
        WHERE b.tenant_id = @tenant_id AND b.status = 'pending' AND b.starts_at >= @now)::bigint AS pending_bookings,
       (SELECT count(*) FROM shown)::bigint                                                       AS week_total,
       (SELECT count(*) FROM shown d WHERE d.starts_at >= sqlc.arg(day_start)::timestamptz AND d.starts_at < sqlc.arg(day_end)::timestamptz)::bigint AS day_total,
       (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.starts_at, x.id), '[]')
        FROM (SELECT w.* FROM shown w ORDER BY w.starts_at, w.id LIMIT 100) x)::jsonb              AS week,
       (SELECT coalesce(jsonb_agg(to_jsonb(x) ORDER BY x.starts_at, x.id), '[]')
        FROM (SELECT d.* FROM shown d WHERE d.starts_at >= sqlc.arg(day_start)::timestamptz AND d.starts_at < sqlc.arg(day_end)::timestamptz
              ORDER BY d.starts_at, d.id LIMIT 100) x)::jsonb                                     AS day,
       (SELECT coalesce(jsonb_object_agg(status, n), '{}')
        FROM (SELECT r.status, count(*) AS n FROM service_requests r
              WHERE r.tenant_id = @tenant_id AND r.status NOT IN ('completed', 'cancelled')
              GROUP BY r.status) x)::jsonb                                                       AS open_by_status,
       (SELECT count(*) FROM waiting)::bigint                                                     AS waiting_total,
       (SELECT coalesce(jsonb_agg(jsonb_build_object('id', w.id, 'title', w.title, 'status', w.status,
                                                     'client', m.display_name, 'since', w.since)
                                  ORDER BY w.since, w.id), '[]')
        FROM (SELECT q.* FROM waiting q ORDER BY q.since, q.id LIMIT 20) w
        JOIN members m ON m.tenant_id = @tenant_id AND m.id = w.client_member_id)::jsonb          AS waiting;
