-- When each platform certificate was last confirmed at the e-certificate platform (any answer
-- it gave: valid, revoked, expired, unknown). The watcher checks again, at most every
-- ONEWINDOW_CERT_PLATFORM_RECHECK_HOURS, the ones open cases stand on, so a revocation there
-- makes the case stuck (certificate_invalid) without anyone opening it. Not a read model: a
-- note of the adapter's calls, written beside them; losing it only means checking again.
CREATE TABLE certificate_checks (
    certificate_id uuid PRIMARY KEY,
    checked_at timestamptz NOT NULL,
    result text NOT NULL
);
CREATE INDEX certificate_checks_due_idx ON certificate_checks (checked_at);
