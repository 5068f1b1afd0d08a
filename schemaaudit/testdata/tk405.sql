-- The tenant helper declared IMMUTABLE: plans cache the first tenant.
-- expect: TK405 public.current_tenant()
ALTER FUNCTION current_tenant() IMMUTABLE;
