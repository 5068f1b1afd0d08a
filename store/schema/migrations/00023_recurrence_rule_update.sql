-- A recurring rule's schedule can be changed: its frequency, interval,
-- first date and end. The rest of the row (tenant, id, the request it
-- repeats, who made it and when) stays as it was made, so the app role is
-- granted UPDATE on the schedule's columns only. The occurrences a rule
-- made stay keyed by (tenant, rule, date): a changed rule never makes a
-- date again.

-- +goose Up
GRANT UPDATE (frequency, every, starts_on, until_on, max_count) ON recurrence_rules TO tenantkit_app;

-- +goose Down
REVOKE UPDATE (frequency, every, starts_on, until_on, max_count) ON recurrence_rules FROM tenantkit_app;
