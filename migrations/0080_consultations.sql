-- Consultations (咨询) and self-service answers (issue 19, part 1).

-- The threads, as the asker and the departments read them (projection "consultations").
CREATE TABLE consultation_view (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    citizen_id uuid NOT NULL,
    service_code text NOT NULL,
    service_name text NOT NULL,
    department text NOT NULL,            -- holds the question now
    departments text[] NOT NULL,         -- every department that held it
    status text NOT NULL CHECK (status IN ('open', 'answered', 'closed')),
    reply_due date,                      -- while open
    forwarded boolean NOT NULL DEFAULT false,
    warnings text[] NOT NULL DEFAULT '{}',
    asked_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    first_reply_at timestamptz,
    replies integer NOT NULL DEFAULT 0,
    late_replies integer NOT NULL DEFAULT 0,
    rating integer,
    question text NOT NULL,              -- the citizen's words: scrubbed when they are forgotten
    messages jsonb NOT NULL DEFAULT '[]',
    forwards jsonb NOT NULL DEFAULT '[]',
    version integer NOT NULL
);
CREATE INDEX consultation_view_citizen_idx ON consultation_view (citizen_id, asked_at DESC);
CREATE INDEX consultation_view_open_idx ON consultation_view (department, reply_due)
    WHERE status = 'open';
CREATE INDEX consultation_view_asked_idx ON consultation_view (service_code, asked_at);

-- The day's consultation numbers (ZX20261124-000042).
CREATE TABLE consultation_numbers (
    day date PRIMARY KEY,
    last integer NOT NULL
);

-- Each item's FAQs and its guide, segmented into words for full-text search (projection
-- "answers"; see docs/consultations.md for why segmentation and not pg_trgm).
CREATE TABLE answer_index (
    service_code text NOT NULL,
    position integer NOT NULL,           -- the FAQ's place in the item; -1 is the guide
    kind text NOT NULL CHECK (kind IN ('faq', 'guide')),
    service_name text NOT NULL,
    department text NOT NULL,
    question text NOT NULL,
    answer text NOT NULL,
    legal_basis jsonb,
    terms tsvector NOT NULL,
    PRIMARY KEY (service_code, position)
);
CREATE INDEX answer_index_terms_idx ON answer_index USING gin (terms);

-- Every search for answers, without its text (a citizen's own words): enough to count how
-- often the answers did and the citizen did not go on to ask.
CREATE TABLE answer_searches (
    id bigserial PRIMARY KEY,
    citizen_id uuid,                     -- NULL: searched without logging in
    service_code text,
    results integer NOT NULL,
    searched_at timestamptz NOT NULL
);
CREATE INDEX answer_searches_at_idx ON answer_searches (searched_at);
CREATE INDEX answer_searches_citizen_idx ON answer_searches (citizen_id, searched_at);

-- Reply templates a department keeps for its staff (its items' FAQs are offered as well).
CREATE TABLE reply_templates (
    id uuid PRIMARY KEY,
    department text NOT NULL,
    title text NOT NULL,
    text text NOT NULL,
    legal_basis jsonb,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX reply_templates_department_idx ON reply_templates (department, created_at);
