-- The citizen's progress document is written whole and read whole (``SELECT detail::text``), never
-- searched inside by a query of the API: kept as `json` (its text, checked on the way in) instead of
-- `jsonb`, PostgreSQL no longer builds its binary tree on every write of a row nor prints it back
-- to text on every progress read. `work` stays jsonb (the certificate checks look inside it).
ALTER TABLE application_view ALTER COLUMN detail TYPE json USING detail::json;
