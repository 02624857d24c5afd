-- WeChat Pay orders: the write side's index of the Payment streams, kept in the transaction that
-- saves their events (like application_numbers). It finds an application's latest order, the
-- owner of an out_trade_no, and the orders the reconciler watches. Derivable from the events.
CREATE TABLE payment_orders (
    out_trade_no text PRIMARY KEY,
    payment_id uuid NOT NULL UNIQUE,
    application_id uuid NOT NULL,
    citizen_id uuid NOT NULL,
    attempt integer NOT NULL,
    amount integer NOT NULL CHECK (amount > 0),
    state text NOT NULL
        CHECK (state IN ('created', 'paid', 'closed', 'refunding', 'refunded')),
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    UNIQUE (application_id, attempt)
);
-- what the reconciler looks at: open orders and refunds under way
CREATE INDEX payment_orders_pending_idx ON payment_orders (created_at)
    WHERE state IN ('created', 'refunding');
