-- A SECURITY DEFINER function anyone may execute.
-- expect: TK402 public.count_tasks()
CREATE FUNCTION count_tasks() RETURNS bigint LANGUAGE sql SECURITY DEFINER
    AS $$ SELECT count(*) FROM tasks $$;
