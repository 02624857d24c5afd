-- Pre-review (预审) of draft applications (issue 19, point 5).

-- The drafts and their answers, as the citizen and the lead department read them (projection
-- "pre_reviews"). The draft's form and address are not here: they stay sealed in the events.
CREATE TABLE pre_review_view (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    citizen_id uuid NOT NULL,
    service_code text NOT NULL,
    service_name text NOT NULL,
    department text NOT NULL,            -- the item's lead department: it answers
    situation_id text NOT NULL,
    status text NOT NULL CHECK (status IN ('pending', 'ready', 'needs_changes')),
    round integer NOT NULL,
    due date,                            -- while pending
    checklist jsonb NOT NULL,            -- the situation's materials: [{id, name, required, ...}]
    materials jsonb NOT NULL,            -- the current draft's material refs (file ids)
    delivery_method text NOT NULL,
    findings jsonb,                      -- the last answer: {missing, note}; the note is the
                                         -- citizen's data: scrubbed when they are forgotten
    rounds jsonb NOT NULL DEFAULT '[]',  -- every round: sent, answered, ready, missing, note
    late_answers integer NOT NULL DEFAULT 0,
    requested_at timestamptz NOT NULL,
    sent_at timestamptz NOT NULL,        -- the current round's draft
    answered_at timestamptz,             -- the current round's answer
    updated_at timestamptz NOT NULL,
    application_id uuid UNIQUE,          -- the formal submission it stands behind
    application_number text,
    unchanged boolean,                   -- that submission's body was the ready draft
    version integer NOT NULL
);
CREATE INDEX pre_review_view_citizen_idx ON pre_review_view (citizen_id, requested_at DESC);
CREATE INDEX pre_review_view_pending_idx ON pre_review_view (department, due)
    WHERE status = 'pending';

-- The day's pre-review numbers (YS20261201-000042).
CREATE TABLE pre_review_numbers (
    day date PRIMARY KEY,
    last integer NOT NULL
);
