-- Which secret key wraps each citizen's data key (backend/secret_keys.py: a key id, never the key),
-- so a rotation can re-wrap them in batches and say when the old key may be retired. NULL: wrapped
-- before rows named their key (read with whichever configured key opens it; `keys rotate` names it).
ALTER TABLE citizen_keys ADD COLUMN kek_id text;
