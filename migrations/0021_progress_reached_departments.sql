-- application_view.departments now holds the departments that may see a case (the lead, and
-- each other one once its review stage is reached), not every department it will ever reach:
-- the rows are rebuilt from the event log.
TRUNCATE application_view;
UPDATE projection_tracking SET position = 0, updated_at = now() WHERE name = 'progress';
