-- Subscribe-message notifications: who a stream belongs to, the outbox, the citizens'
-- one-time quotas, and the WeChat access token every process shares.

-- Kept by the notifications projection (emptied and refilled by a rebuild): the citizen and
-- the texts' context (number, service name, pickup place, material names) of each stream.
CREATE TABLE notification_subjects (
    id uuid PRIMARY KEY,          -- the aggregate (application, appointment, ...)
    citizen_id uuid NOT NULL,
    application_id uuid,
    context jsonb NOT NULL DEFAULT '{}'
);

-- One row per notifying event, written by the projection and never emptied: the key
-- (originator_id, originator_version) makes a rebuild or a replay write nothing twice.
CREATE TABLE notification_outbox (
    id bigserial PRIMARY KEY,
    originator_id uuid NOT NULL,
    originator_version bigint NOT NULL,
    position bigint NOT NULL,             -- the event's notification id in the event log
    event_type text NOT NULL,
    event_at timestamptz NOT NULL,
    application_id uuid,
    citizen_id uuid NOT NULL,
    template_id text NOT NULL,
    long_term boolean NOT NULL,
    data jsonb NOT NULL,                  -- {"thing1": "..."}: already fitted to WeChat's rules
    page text,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'sending', 'sent', 'skipped', 'failed')),
    attempts integer NOT NULL DEFAULT 0,  -- calls to WeChat so far
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    claimed_until timestamptz,            -- lease of the dispatcher sending it ('sending')
    claim_token uuid,
    quota_reserved boolean NOT NULL DEFAULT false,
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz,
    UNIQUE (originator_id, originator_version)
);
CREATE INDEX notification_outbox_due_idx
    ON notification_outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX notification_outbox_lease_idx
    ON notification_outbox (claimed_until) WHERE status = 'sending';
CREATE INDEX notification_outbox_failed_idx
    ON notification_outbox (application_id, updated_at) WHERE status = 'failed';
CREATE INDEX notification_outbox_application_idx ON notification_outbox (application_id);

-- What wx.requestSubscribeMessage granted: each accept of a one-time template allows one
-- message. Long-term templates have no row.
CREATE TABLE notification_quota (
    citizen_id uuid NOT NULL,
    template_id text NOT NULL,
    remaining integer NOT NULL CHECK (remaining >= 0),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (citizen_id, template_id)
);

-- The access token of each app, shared by every process; the row lock serialises refreshes.
CREATE TABLE wechat_access_tokens (
    appid text PRIMARY KEY,
    access_token text,
    expires_at timestamptz,
    refreshed_at timestamptz,
    refreshes bigint NOT NULL DEFAULT 0
);
