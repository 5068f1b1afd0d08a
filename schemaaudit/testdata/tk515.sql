-- The app role reaches pg_read_server_files through another role: it reads
-- the data files, every tenant's rows in them, with COPY … FROM.
-- The membership is found through any number of grants.
-- expect: TK515 role :app
GRANT pg_read_server_files TO :"other";
GRANT :"other" TO :"app";
