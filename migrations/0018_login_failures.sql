-- Failed staff logins per (username, client): exponential back-off for that pair only, so an
-- attacker's guesses never lock the real user (on another client) out. Usernames are kept as
-- hashes. Unlogged: no WAL per attempt; a crash only forgets the back-offs.
CREATE UNLOGGED TABLE login_failures (
    username_key text NOT NULL,
    client text NOT NULL,
    failures integer NOT NULL,
    blocked_until timestamptz NOT NULL,
    last_failure_at timestamptz NOT NULL,
    PRIMARY KEY (username_key, client)
);
CREATE INDEX login_failures_recent_idx ON login_failures (username_key, last_failure_at);
