-- Task templates and tasks, expenses, and posts. Conventions: see 00001.

-- +goose Up
CREATE TABLE task_templates (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    name             text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    description      text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    -- A list of checklist item strings.
    checklist        jsonb NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(checklist) = 'array'),
    default_due_days integer CHECK (default_due_days BETWEEN 0 AND 3650),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, name)
);
ALTER TABLE task_templates ENABLE ROW LEVEL SECURITY;
ALTER TABLE task_templates FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON task_templates AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON task_templates FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON task_templates TO tenantkit_app;
GRANT UPDATE (name, description, checklist, default_due_days, updated_at) ON task_templates TO tenantkit_app;

CREATE TABLE tasks (
    tenant_id            uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    template_id          uuid,
    service_request_id   uuid,
    title                text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    description          text NOT NULL DEFAULT '' CHECK (length(description) <= 10000),
    status               text NOT NULL DEFAULT 'todo' CHECK (status IN ('todo', 'in_progress', 'done', 'cancelled')),
    priority             text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_member_id   uuid,
    due_at               timestamptz,
    completed_at         timestamptz,
    created_by_member_id uuid,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, template_id) REFERENCES task_templates (tenant_id, id) ON DELETE SET NULL (template_id),
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, assignee_member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, created_by_member_id) REFERENCES members (tenant_id, id),
    CHECK ((status = 'done') = (completed_at IS NOT NULL))
);
CREATE INDEX tasks_tenant_id_status_due_idx ON tasks (tenant_id, status, due_at);
CREATE INDEX tasks_tenant_id_assignee_idx ON tasks (tenant_id, assignee_member_id, status);
CREATE INDEX tasks_tenant_id_template_idx ON tasks (tenant_id, template_id);
CREATE INDEX tasks_tenant_id_request_idx ON tasks (tenant_id, service_request_id);
CREATE INDEX tasks_tenant_id_created_by_idx ON tasks (tenant_id, created_by_member_id);
ALTER TABLE tasks ENABLE ROW LEVEL SECURITY;
ALTER TABLE tasks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tasks AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON tasks FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON tasks TO tenantkit_app;
GRANT UPDATE (template_id, service_request_id, title, description, status, priority, assignee_member_id, due_at,
              completed_at, updated_at) ON tasks TO tenantkit_app;

CREATE TABLE expenses (
    tenant_id          uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    -- The member who incurred the expense.
    member_id          uuid NOT NULL,
    service_request_id uuid,
    category           text NOT NULL CHECK (length(category) BETWEEN 1 AND 100),
    description        text NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    amount_minor       bigint NOT NULL CHECK (amount_minor BETWEEN 1 AND 100000000000),
    currency           char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    incurred_on        date NOT NULL,
    status             text NOT NULL DEFAULT 'submitted'
                       CHECK (status IN ('submitted', 'approved', 'rejected', 'reimbursed')),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, member_id) REFERENCES members (tenant_id, id),
    FOREIGN KEY (tenant_id, service_request_id) REFERENCES service_requests (tenant_id, id)
);
CREATE INDEX expenses_tenant_id_incurred_idx ON expenses (tenant_id, incurred_on DESC, id);
CREATE INDEX expenses_tenant_id_member_idx ON expenses (tenant_id, member_id);
CREATE INDEX expenses_tenant_id_request_idx ON expenses (tenant_id, service_request_id);
ALTER TABLE expenses ENABLE ROW LEVEL SECURITY;
ALTER TABLE expenses FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON expenses AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON expenses FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON expenses TO tenantkit_app;
GRANT UPDATE (service_request_id, category, description, amount_minor, currency, incurred_on, status, updated_at)
    ON expenses TO tenantkit_app;

CREATE TABLE posts (
    tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    slug             text NOT NULL CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 120),
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    excerpt          text NOT NULL DEFAULT '' CHECK (length(excerpt) <= 1000),
    body             text NOT NULL DEFAULT '' CHECK (length(body) <= 100000),
    status           text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'published', 'archived')),
    published_at     timestamptz,
    author_member_id uuid,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, slug),
    FOREIGN KEY (tenant_id, author_member_id) REFERENCES members (tenant_id, id),
    CHECK (status <> 'published' OR published_at IS NOT NULL)
);
CREATE INDEX posts_tenant_id_published_idx ON posts (tenant_id, published_at DESC) WHERE status = 'published';
CREATE INDEX posts_tenant_id_author_idx ON posts (tenant_id, author_member_id);
ALTER TABLE posts ENABLE ROW LEVEL SECURITY;
ALTER TABLE posts FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON posts AS RESTRICTIVE FOR ALL TO tenantkit_app
    USING (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid))
    WITH CHECK (tenant_id = (SELECT nullif(current_setting('app.current_tenant_id', true), '')::uuid));
CREATE POLICY app_all ON posts FOR ALL TO tenantkit_app USING (true) WITH CHECK (true);
GRANT SELECT, INSERT, DELETE ON posts TO tenantkit_app;
GRANT UPDATE (slug, title, excerpt, body, status, published_at, updated_at) ON posts TO tenantkit_app;

-- +goose Down
DROP TABLE posts;
DROP TABLE expenses;
DROP TABLE tasks;
DROP TABLE task_templates;
