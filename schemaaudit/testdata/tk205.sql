-- A self-grantable bypass: any session can set app.is_superadmin.
-- expect: TK205 public.tasks policy superadmin
CREATE POLICY superadmin ON tasks FOR ALL TO :"app"
    USING (current_setting('app.is_superadmin', true) = 'on');
