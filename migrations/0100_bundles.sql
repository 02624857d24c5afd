-- Life events and bundles (一件事一次办, issue 19 points 6-9).

-- The published life events (projection "bundles").
CREATE TABLE life_event_view (
    code text PRIMARY KEY,
    version integer NOT NULL,
    name text NOT NULL,
    definition jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Citizens' bundles (projection "bundles"); the items' own progress is application_view's.
CREATE TABLE bundle_view (
    id uuid PRIMARY KEY,
    number text NOT NULL UNIQUE,
    citizen_id uuid NOT NULL,
    life_event_code text NOT NULL,
    life_event_name text NOT NULL,
    submitted_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    items jsonb NOT NULL,                 -- BundleItem records, in the life event's order
    failed jsonb NOT NULL DEFAULT '{}',   -- service code -> why a waiting item was not submitted
    timeline jsonb NOT NULL DEFAULT '[]', -- the bundle's own entries (the items' are theirs)
    version integer NOT NULL
);
CREATE INDEX bundle_view_citizen_idx ON bundle_view (citizen_id, submitted_at DESC);

-- Which bundle an application belongs to: written with the bundle (not a read model), so the
-- command that issues a result finds the bundle to release at once.
CREATE TABLE bundle_members (
    application_id uuid PRIMARY KEY,
    bundle_id uuid NOT NULL,
    service_code text NOT NULL
);
CREATE INDEX bundle_members_bundle_idx ON bundle_members (bundle_id);

-- The day's bundle numbers (YJ20261201-000001).
CREATE TABLE bundle_numbers (
    day date PRIMARY KEY,
    last integer NOT NULL
);
