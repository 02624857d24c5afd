-- Per-citizen data keys for personal data in events (crypto-shredding, backend/eventstore/keyring.py).
-- The key is stored wrapped (AES-GCM) under a key derived from the server's secret key: a dump of
-- the database alone reveals nothing. Forgetting a citizen sets wrapped_key to NULL and keeps the
-- row as a tombstone, so a later key gets the next version and old envelopes stay unreadable.
CREATE TABLE citizen_keys (
    citizen_id uuid PRIMARY KEY,
    version integer NOT NULL CHECK (version > 0),
    wrapped_key bytea,                  -- 12-byte nonce || AES-GCM(key) ; NULL once erased
    created_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    erased_by text                      -- who forgot the citizen (staff id, or "cli")
);
