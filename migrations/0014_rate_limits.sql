-- Rate limits shared by every API process (backend/ratelimit.py): one fixed-window counter per
-- bucket ("login-ip:<address>", "create:<caller>", ...) and window; expired rows are swept.
-- Unlogged: no WAL per request; a crash only resets the counters.
CREATE UNLOGGED TABLE rate_limit_counters (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limit_counters_expires_idx ON rate_limit_counters (expires_at);
