-- A user function marked LEAKPROOF runs before the policies.
-- expect: TK406 public.current_tenant()
ALTER FUNCTION current_tenant() LEAKPROOF;
