-- Bearer tokens logged out before they expire (POST /api/v1/auth/logout): their id (the JWT's
-- jti) until the token would have expired anyway; the guard refuses them.
CREATE TABLE revoked_tokens (
    token_id text PRIMARY KEY,
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX revoked_tokens_expires_idx ON revoked_tokens (expires_at);
