-- expect: TK502 role :app
ALTER ROLE :"app" BYPASSRLS;
