-- The job that sent a logged mail. Conventions: see 00001.
--
-- mail_deliveries now records the mail a tenant's requests cause too (an
-- invitation, a public form's confirmation), written by the mailer's queue
-- in the tenant's transaction, as the app role; job_id stays NULL there.
-- A job that mails several people (the staff mail) records its River job
-- id with each message, so that a retry after a partial failure reads in
-- the log whom the earlier attempts reached and mails only the others.
-- The column is a plain number, not a reference: River's jobs live in
-- their own schema and are deleted long before the log's 90 days.

-- +goose Up
ALTER TABLE mail_deliveries ADD COLUMN job_id bigint;
CREATE INDEX mail_deliveries_tenant_id_job_idx ON mail_deliveries (tenant_id, job_id) WHERE job_id IS NOT NULL;

-- +goose Down
DROP INDEX mail_deliveries_tenant_id_job_idx;
ALTER TABLE mail_deliveries DROP COLUMN job_id;
