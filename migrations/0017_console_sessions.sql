-- The operator console (backend/console): staff sessions behind an HttpOnly cookie, and the
-- audit of every view of a citizen's decrypted personal data.

-- One row per signed-in browser. Only the SHA-256 of the cookie's random token is kept, so a
-- copy of this table opens no session. The row says who, nothing else: role, department and
-- whether the account is active are read from staff on every request.
CREATE TABLE console_sessions (
    token_hash text PRIMARY KEY,
    staff_id uuid NOT NULL REFERENCES staff (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX console_sessions_staff_idx ON console_sessions (staff_id);
CREATE INDEX console_sessions_expires_idx ON console_sessions (expires_at);

-- 个人信息查看留痕: who saw which personal fields of which application, when and why.
CREATE TABLE personal_data_reveals (
    id bigserial PRIMARY KEY,
    application_id uuid NOT NULL,
    staff_id uuid NOT NULL,
    staff_name text NOT NULL,
    role text NOT NULL,
    department text,
    fields text[] NOT NULL,
    reason text NOT NULL,
    at timestamptz NOT NULL
);
CREATE INDEX personal_data_reveals_application_idx ON personal_data_reveals (application_id, at);
CREATE INDEX personal_data_reveals_staff_idx ON personal_data_reveals (staff_id, at);
