-- Appointments at service halls (预约取号). Read models of projections/appointments.py, and the
-- daily queue-number counters that check-in takes in its own transaction.

-- Halls as published (the slot template is in the definition).
CREATE TABLE hall_view (
    id text PRIMARY KEY,
    version integer NOT NULL,
    name text NOT NULL,
    address text NOT NULL,
    departments text[] NOT NULL,
    definition jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);

-- Slots that have had a booking: capacity and active bookings. A slot without a row has no
-- booking yet; its capacity comes from the hall's template.
CREATE TABLE appointment_slot_view (
    id uuid PRIMARY KEY,            -- the Slot aggregate
    slot_id text NOT NULL UNIQUE,   -- its public id, hallId:YYYY-MM-DD:HHMM
    hall_id text NOT NULL,
    day date NOT NULL,
    starts_at timestamptz NOT NULL,
    capacity integer NOT NULL,
    booked integer NOT NULL DEFAULT 0
);
CREATE INDEX appointment_slot_view_hall_day_idx ON appointment_slot_view (hall_id, day);

-- Every booking: "my appointments", the hall's day list, links to applications.
CREATE TABLE appointment_view (
    id uuid PRIMARY KEY,
    citizen_id uuid NOT NULL,
    slot_id text NOT NULL,
    hall_id text NOT NULL,
    hall_name text NOT NULL,
    hall_address text NOT NULL,
    day date NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    service_code text NOT NULL,
    service_name text NOT NULL,
    application_id uuid,
    status text NOT NULL,
    queue_number text,
    booked_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX appointment_view_citizen_idx ON appointment_view (citizen_id, starts_at DESC);
CREATE INDEX appointment_view_hall_day_idx ON appointment_view (hall_id, day, starts_at);
CREATE INDEX appointment_view_application_idx ON appointment_view (application_id)
    WHERE application_id IS NOT NULL;
CREATE INDEX appointment_view_booked_idx ON appointment_view (ends_at) WHERE status = 'booked';

-- Queue numbers (A017) per hall and day, taken in the check-in's transaction: a rolled-back
-- check-in gives its number back, so numbers are sequential and unique.
CREATE TABLE appointment_queue_numbers (
    hall_id text NOT NULL,
    day date NOT NULL,
    last integer NOT NULL,
    PRIMARY KEY (hall_id, day)
);
