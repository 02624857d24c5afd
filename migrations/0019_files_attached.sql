-- Uploads are held to a quota until they are used: attached_at is set in the transaction of the
-- command that names the file (a submission, a supplement, a courier's proof). Files never
-- attached are deleted after a day (backend/files/cleanup.py). Files uploaded before this
-- migration count as attached: nothing that may be in use is deleted.
ALTER TABLE files ADD COLUMN attached_at timestamptz;
UPDATE files SET attached_at = created_at;
CREATE INDEX files_unattached_idx ON files (owner_id, created_at) WHERE attached_at IS NULL;
