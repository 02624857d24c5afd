-- The day-before reminder is recorded once per booking; the job looks only at the unreminded.
ALTER TABLE appointment_view ADD COLUMN reminded boolean NOT NULL DEFAULT false;
CREATE INDEX appointment_view_remind_idx ON appointment_view (starts_at)
    WHERE status = 'booked' AND NOT reminded;
