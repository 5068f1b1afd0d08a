-- The request's session check as a plain statement instead of a PL/pgSQL
-- function. Measured with make bench -statements (pg_stat_statements by
-- role, 1,000 tenants): a call of session_guard cost about four times its
-- query under row security, the rest being the function's own call (its
-- search_path setting, its executor) — more than the query itself. The
-- store now queues the same check inline (store/sessioncheck.go):
--
--     SELECT CASE WHEN EXISTS (<the same conditions>) THEN true
--            ELSE session_ended() END
--
-- a statement the pool prepares once per connection, which calls
-- session_ended — and raises SQLSTATE TKS01, so PostgreSQL skips the rest
-- of the request's batch — only when the session is no longer live. It is
-- VOLATILE, so the planner never calls it ahead of the CASE.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION session_ended() RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY INVOKER SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION 'session ended' USING ERRCODE = 'TKS01';
END
$$;
-- +goose StatementEnd
REVOKE EXECUTE ON FUNCTION session_ended() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION session_ended() TO tenantkit_app;
DROP FUNCTION session_guard(uuid, uuid, uuid, uuid, text, bigint, timestamptz);

-- +goose Down
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
DROP FUNCTION session_ended();
