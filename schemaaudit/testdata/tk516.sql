-- The app role is a member of pg_read_all_data: it reads every table it
-- was never granted, the tables outside row security among them.
-- expect: TK516 role :app
GRANT pg_read_all_data TO :"app";
