-- The app role is a superuser: row security does not apply, and every
-- other privilege check is moot until this is fixed.
-- expect: TK501 role :app
ALTER ROLE :"app" SUPERUSER;
