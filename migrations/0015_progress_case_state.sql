-- The progress read model keeps the domain's case state (work->'case') instead of its own copy
-- of the workflow, and two more columns the stuck-case query filters on. Its rows are rebuilt
-- from the event log: emptied here, replayed by the projection worker from position 0.
ALTER TABLE application_view
    ADD COLUMN payment_problem text,
    ADD COLUMN delivery_failed boolean NOT NULL DEFAULT false;
TRUNCATE application_view;
UPDATE projection_tracking SET position = 0, updated_at = now() WHERE name = 'progress';
