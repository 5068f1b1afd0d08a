-- The session check of a request, as a statement that can travel in the
-- request's first batch. The store queues it after the scope settings and
-- before the request's first statement: when the session is no longer
-- live it raises, and PostgreSQL skips the rest of the pipeline, so a
-- dead session reads no tenant row and costs no extra round trip.
--
-- It checks what CheckSession checks (session live, not revoked, not
-- expired, used within the tenant's idle timeout; membership live;
-- account enabled; the token's session version) and, besides, that the
-- member and role the server remembered for the session are still the
-- database's. It runs as the caller (the app role), under the tenant
-- policies of the scope the same batch set.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION session_guard(p_tenant uuid, p_session uuid, p_account uuid, p_member uuid, p_role text, p_version bigint, p_now timestamptz)
    RETURNS void
    LANGUAGE plpgsql STABLE SECURITY INVOKER SET search_path = pg_catalog, public AS $$
BEGIN
    PERFORM 1
    FROM sessions s
    JOIN members m ON m.tenant_id = s.tenant_id AND m.id = s.member_id
    JOIN accounts a ON a.id = s.account_id
    CROSS JOIN security_defaults d
    LEFT JOIN security_settings ss ON ss.tenant_id = s.tenant_id
    WHERE s.tenant_id = p_tenant AND s.id = p_session AND s.account_id = p_account
      AND s.revoked_at IS NULL AND s.expires_at > p_now
      AND s.last_used_at > p_now - make_interval(mins => coalesce(ss.idle_timeout_minutes, d.idle_timeout_minutes))
      AND m.id = p_member AND m.role = p_role AND m.removed_at IS NULL
      AND a.disabled_at IS NULL AND a.session_version = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'session ended' USING ERRCODE = 'TKS01';
    END IF;
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION session_guard(uuid, uuid, uuid, uuid, text, bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_guard(uuid, uuid, uuid, uuid, text, bigint, timestamptz) TO tenantkit_app;

-- +goose Down
DROP FUNCTION session_guard(uuid, uuid, uuid, uuid, text, bigint, timestamptz);
