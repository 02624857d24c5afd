-- Citizens are found or created by their WeChat openid.
CREATE TABLE citizens (
    id uuid PRIMARY KEY,
    openid text NOT NULL UNIQUE,
    unionid text,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_login_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff (
    id uuid PRIMARY KEY,
    username text NOT NULL UNIQUE,
    password_hash text NOT NULL,
    role text NOT NULL CHECK (role IN ('clerk', 'reviewer', 'supervisor', 'admin', 'courier')),
    department text,
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Uploaded files: content lives on disk by sha256; a row per upload ties it to its owner.
CREATE TABLE files (
    id uuid PRIMARY KEY,
    owner_id uuid NOT NULL,
    sha256 text NOT NULL,
    size bigint NOT NULL,
    content_type text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_owner_idx ON files (owner_id);

-- Idempotency-Key records, written in the same transaction as the command's events.
CREATE TABLE idempotency_keys (
    principal_id uuid NOT NULL,
    key text NOT NULL,
    request_hash text NOT NULL,
    status_code integer NOT NULL,
    response jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal_id, key)
);

-- Daily counters behind human-friendly application numbers (20261124-XK00123-000042).
CREATE TABLE application_numbers (
    day date NOT NULL,
    service_code text NOT NULL,
    last integer NOT NULL,
    PRIMARY KEY (day, service_code)
);
