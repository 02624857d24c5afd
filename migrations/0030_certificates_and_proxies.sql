-- E-certificates (电子证照) and proxy applications (代办).

-- Certificates, the read model of projections/certificates.py: one row per Certificate. The
-- holder's name and ID number are personal data: they stay sealed in the event stream.
CREATE TABLE certificate_view (
    id uuid PRIMARY KEY,
    holder_id uuid NOT NULL,
    type_code text NOT NULL,
    type_name text NOT NULL,
    number text NOT NULL,
    issuer text NOT NULL,
    issuer_code text NOT NULL,
    issued_on date NOT NULL,
    valid_from date NOT NULL,
    valid_until date,                   -- NULL: indefinitely
    status text NOT NULL,               -- valid | expired | revoked, as recorded
    status_reason text,
    source text NOT NULL,               -- onewindow | platform
    file_id uuid,
    sha256 text,
    application_id uuid,                -- onewindow: the application it is the result of
    updated_at timestamptz NOT NULL,
    version integer NOT NULL
);
CREATE INDEX certificate_view_holder_idx ON certificate_view (holder_id, type_code);
CREATE INDEX certificate_view_due_idx ON certificate_view (valid_until) WHERE status = 'valid';

-- Every use of a certificate (用证留痕), shown to its holder only.
CREATE TABLE certificate_use_view (
    certificate_id uuid NOT NULL,
    version integer NOT NULL,           -- of the certificate's Used event
    holder_id uuid NOT NULL,
    application_id uuid NOT NULL,
    application_number text NOT NULL,
    department text NOT NULL,
    purpose text NOT NULL,
    by_agent boolean NOT NULL,
    at timestamptz NOT NULL,
    PRIMARY KEY (certificate_id, version)
);
CREATE INDEX certificate_use_view_application_idx ON certificate_use_view (application_id);

-- Authorisations (代办), written in the transaction of their events: who may find which one
-- (the principal, the agent, the holder of the invitation code: its keyed digest, never the
-- code) and when the watcher has to look at it.
CREATE TABLE authorisation_index (
    id uuid PRIMARY KEY,
    principal_id uuid NOT NULL,
    agent_id uuid,
    invite_digest text NOT NULL UNIQUE,
    invite_expires_at timestamptz NOT NULL,
    valid_until timestamptz NOT NULL,
    ended_at timestamptz,               -- revoked or expired, as recorded
    granted_at timestamptz NOT NULL
);
CREATE INDEX authorisation_index_principal_idx ON authorisation_index (principal_id, granted_at);
CREATE INDEX authorisation_index_agent_idx ON authorisation_index (agent_id) WHERE agent_id IS NOT NULL;

-- A declared ID number binds one citizen: a keyed digest of it (never the number), written
-- with the declaration; deleted when the citizen is forgotten.
CREATE TABLE citizen_identities (
    citizen_id uuid PRIMARY KEY,
    id_digest text NOT NULL UNIQUE,
    declared_at timestamptz NOT NULL DEFAULT now()
);

-- The progress read model learns who submitted for the applicant (an agent, under which
-- authorisation) and how many materials e-certificates satisfied (免提交率). Its rows are
-- rebuilt from the event log: emptied here, replayed by the projection worker from 0.
ALTER TABLE application_view
    ADD COLUMN agent_id uuid,
    ADD COLUMN authorisation_id uuid,
    ADD COLUMN materials_given integer NOT NULL DEFAULT 0,
    ADD COLUMN materials_by_certificate integer NOT NULL DEFAULT 0;
CREATE INDEX application_view_agent_idx ON application_view (agent_id, submitted_at DESC)
    WHERE agent_id IS NOT NULL;
TRUNCATE application_view;
UPDATE projection_tracking SET position = 0, updated_at = now() WHERE name = 'progress';
