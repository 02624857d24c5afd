-- Where each projection has got to in the event log; written with its rows, in one transaction.
CREATE TABLE projection_tracking (
    name text PRIMARY KEY,
    position bigint NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- The published catalogue, newest version of each item.
CREATE TABLE catalog_view (
    code text PRIMARY KEY,
    version integer NOT NULL,
    name text NOT NULL,
    department text NOT NULL,
    definition jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Citizen progress, "my applications" and the operators' work queues.
CREATE TABLE application_view (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    citizen_id uuid NOT NULL,
    service_code text NOT NULL,
    service_name text NOT NULL,
    department text NOT NULL,
    departments text[] NOT NULL,
    status text NOT NULL,
    status_text text NOT NULL,
    queue text,
    pending_departments text[] NOT NULL DEFAULT '{}',
    submitted_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    deadline date,
    version integer NOT NULL,
    detail jsonb NOT NULL,      -- the citizen's progress view, as the API returns it
    work jsonb NOT NULL         -- what the queues need: stages, current stage, decisions
);
CREATE INDEX application_view_citizen_idx ON application_view (citizen_id, submitted_at DESC);
CREATE INDEX application_view_queue_idx ON application_view (queue, submitted_at) WHERE queue IS NOT NULL;
CREATE INDEX application_view_pending_idx ON application_view USING gin (pending_departments);
