-- Courier delivery of results (审批结果快递送达).

-- Courier orders: written in the same transaction as the Delivery's events. A pending row is
-- the booking still to be made (an outbox: the dispatcher claims it with a lease, calls the
-- company with no transaction open, and records the waybill with the events); a booked row
-- finds the delivery of a waybill number when the company pushes a route.
CREATE TABLE courier_orders (
    delivery_id uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    company text NOT NULL,
    order_id text NOT NULL UNIQUE,      -- ours, the company's idempotency key (SF orderId)
    waybill_no text,
    status text NOT NULL CHECK (status IN ('pending', 'booked', 'cancelled')),
    attempts integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    booked_at timestamptz
);
CREATE UNIQUE INDEX courier_orders_waybill_idx ON courier_orders (company, waybill_no)
    WHERE waybill_no IS NOT NULL;
CREATE INDEX courier_orders_due_idx ON courier_orders (next_attempt_at) WHERE status = 'pending';
CREATE INDEX courier_orders_application_idx ON courier_orders (application_id);

-- Route ids a company pushed and we applied (or knowingly ignored), written in the same
-- transaction as the events they caused: a replayed push records nothing twice.
CREATE TABLE courier_routes_seen (
    company text NOT NULL,
    route_id text NOT NULL,
    delivery_id uuid NOT NULL,
    op_code text NOT NULL,
    outcome text NOT NULL,              -- applied | ignored (no meaning for us, or impossible)
    received_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (company, route_id)
);

-- Courier tasks (read model of projections/deliveries.py): one row per Delivery. No address
-- or signer here: they are personal data and stay in the event streams; the courier API reads
-- the address from the application.
CREATE TABLE delivery_view (
    id uuid PRIMARY KEY,
    application_id uuid NOT NULL,
    company text NOT NULL,
    order_id text NOT NULL,
    waybill_no text,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL,
    redispatch boolean NOT NULL DEFAULT false,
    proof_file_id text,
    events jsonb NOT NULL DEFAULT '[]',
    requested_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    version integer NOT NULL
);
CREATE INDEX delivery_view_open_idx ON delivery_view (company, requested_at)
    WHERE status IN ('booked', 'picked_up', 'in_transit', 'out_for_delivery', 'attempt_failed');
CREATE INDEX delivery_view_application_idx ON delivery_view (application_id);
