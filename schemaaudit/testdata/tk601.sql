-- citus
-- A policy that reads a column besides the tenant column.
-- expect: TK601 public.tasks policy titled
CREATE POLICY titled ON tasks FOR UPDATE TO :"app" USING (title <> '');
