-- Back office: the clock, stuck cases, statistics and rectifications read from these columns.
ALTER TABLE application_view
    ADD COLUMN lead_department text,
    ADD COLUMN accepted_at timestamptz,
    ADD COLUMN finished_at timestamptz,
    ADD COLUMN last_action_at timestamptz,
    ADD COLUMN legal_deadline date,
    ADD COLUMN supplement_rounds integer NOT NULL DEFAULT 0,
    ADD COLUMN deferred_due date,
    ADD COLUMN deferred_overdue boolean NOT NULL DEFAULT false,
    ADD COLUMN warnings text[] NOT NULL DEFAULT '{}',
    ADD COLUMN escalations integer NOT NULL DEFAULT 0,
    ADD COLUMN rating integer,
    ADD COLUMN zero_visit boolean NOT NULL DEFAULT false;
UPDATE application_view SET lead_department = department, last_action_at = updated_at;
CREATE INDEX application_view_deadline_idx ON application_view (deadline) WHERE queue IS NOT NULL;
CREATE INDEX application_view_service_idx ON application_view (service_code, submitted_at);

-- 整改 items opened by ratings of 1-2.
CREATE TABLE rectification_view (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL UNIQUE,
    number text NOT NULL,
    rating integer NOT NULL,
    comment text NOT NULL,
    departments text[] NOT NULL,
    steps jsonb NOT NULL DEFAULT '[]',
    status text NOT NULL,
    opened_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Days the holiday package lacks or gets wrong (e.g. next year's 调休 before the package has
-- it), edited by admins. 'holiday' takes a weekday off; 'workday' makes a weekend day a workday.
CREATE TABLE calendar_overrides (
    day date PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('holiday', 'workday')),
    note text NOT NULL DEFAULT '',
    updated_by text NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
