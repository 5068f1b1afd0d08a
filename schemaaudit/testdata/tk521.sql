-- A job queue's table, in a schema allowed to hold no tenant data, that
-- the app role may write with no row security: a statement injected in
-- one tenant's transaction could plant a job that runs in another's.
-- allow-schema: queue
-- expect: TK521 queue.jobs
CREATE SCHEMA queue;
CREATE TABLE queue.jobs (id bigserial PRIMARY KEY, args jsonb NOT NULL);
GRANT USAGE ON SCHEMA queue TO :"app";
GRANT INSERT ON queue.jobs TO :"app";
