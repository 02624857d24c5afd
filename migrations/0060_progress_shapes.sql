-- The progress detail now carries the situation, the lead department, the materials handed in
-- (files or certificate), the names of missing materials, the pickup place, the booked slot
-- and hall, and what the citizen may do now (actions); a paid case says so in its status
-- text. Rows written before lack these: they are rebuilt from the event log.
TRUNCATE application_view;
UPDATE projection_tracking SET position = 0, updated_at = now() WHERE name = 'progress';
