-- An exclusion constraint across tenants: another tenant's row blocks an
-- insert, and so reveals itself.
-- expect: TK304 public.tasks index tasks_during_excl
ALTER TABLE tasks ADD COLUMN during tstzrange;
ALTER TABLE tasks ADD CONSTRAINT tasks_during_excl EXCLUDE USING gist (during WITH &&);
