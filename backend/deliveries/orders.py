"""``courier_orders``: the bookings still to make (an outbox) and the waybill -> delivery index.

Rows are written in the transactions that write the Delivery's events. Scheduling (leases,
backoff) uses the database's clock, not the app's: it is plumbing, not a fact of the case.
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.eventstore.repository import AfterInsert, Saved
    from domain.delivery import Delivery

    Conn = asyncpg.Connection | PoolConnectionProxy

__all__ = [
    "NOTIFY_CHANNEL",
    "Claimed",
    "claim",
    "find_by_waybill",
    "inserter",
    "mark_booked",
    "mark_cancelled",
    "next_due_in",
    "open_order_of",
    "record_retry",
]

NOTIFY_CHANNEL = "onewindow_courier_orders"


class Claimed(msgspec.Struct, frozen=True):
    """A booking this dispatcher holds the lease of."""

    delivery_id: UUID
    application_id: UUID
    company: str
    order_id: str
    attempts: int


def inserter(delivery: Delivery) -> AfterInsert:
    """Write the pending order of a new delivery with its events, and wake the dispatchers."""

    async def insert(conn: Conn, saved: Saved) -> None:
        await conn.execute(
            "INSERT INTO courier_orders (delivery_id, application_id, company, order_id, status)"
            " VALUES ($1, $2, $3, $4, 'pending')",
            delivery.id,
            delivery.application_id,
            delivery.company,
            delivery.order_id,
        )
        await conn.execute(f"NOTIFY {NOTIFY_CHANNEL}")  # delivered at commit

    return insert


async def claim(pool: asyncpg.Pool, *, limit: int, lease_seconds: float) -> list[Claimed]:
    """Take due pending orders for ``lease_seconds`` (other dispatchers skip them meanwhile)."""
    rows = await pool.fetch(
        "UPDATE courier_orders SET attempts = attempts + 1,"
        " next_attempt_at = clock_timestamp() + make_interval(secs => $2)"
        " WHERE delivery_id IN (SELECT delivery_id FROM courier_orders"
        "  WHERE status = 'pending' AND next_attempt_at <= clock_timestamp()"
        "  ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED)"
        " RETURNING delivery_id, application_id, company, order_id, attempts",
        limit,
        lease_seconds,
    )
    return [Claimed(r[0], r[1], r[2], r[3], r[4]) for r in rows]


async def record_retry(pool: asyncpg.Pool, item: Claimed, error: str, delay: float) -> None:
    """The booking failed: try again after ``delay`` seconds."""
    await pool.execute(
        "UPDATE courier_orders SET last_error = $2,"
        " next_attempt_at = clock_timestamp() + make_interval(secs => $3)"
        " WHERE delivery_id = $1 AND status = 'pending'",
        item.delivery_id,
        error[:1000],
        delay,
    )


async def next_due_in(pool: asyncpg.Pool) -> float | None:
    """Seconds until the next pending order is due (None: none pending)."""
    value = await pool.fetchval(
        "SELECT extract(epoch FROM min(next_attempt_at) - clock_timestamp())"
        " FROM courier_orders WHERE status = 'pending'"
    )
    return None if value is None else float(value)


async def mark_booked(conn: Conn, delivery_id: UUID, waybill_no: str) -> None:
    """The waybill is recorded (in the transaction of the Booked event)."""
    await conn.execute(
        "UPDATE courier_orders SET status = 'booked', waybill_no = $2, booked_at = now(),"
        " last_error = NULL WHERE delivery_id = $1",
        delivery_id,
        waybill_no,
    )


async def mark_cancelled(conn: Conn, delivery_id: UUID) -> None:
    """Nothing to book any more."""
    await conn.execute(
        "UPDATE courier_orders SET status = 'cancelled' WHERE delivery_id = $1 AND status ="
        " 'pending'",
        delivery_id,
    )


async def find_by_waybill(
    conn: Conn, company: str, waybills: list[str]
) -> dict[str, tuple[UUID, UUID]]:
    """Waybill number -> (delivery id, application id), for the waybills that are ours."""
    rows = await conn.fetch(
        "SELECT waybill_no, delivery_id, application_id FROM courier_orders"
        " WHERE company = $1 AND waybill_no = ANY($2::text[])",
        company,
        waybills,
    )
    return {r[0]: (r[1], r[2]) for r in rows}


async def open_order_of(conn: Conn, application_id: UUID) -> tuple[UUID, str] | None:
    """The application's newest order that is not cancelled: (delivery id, status)."""
    row = await conn.fetchrow(
        "SELECT delivery_id, status FROM courier_orders WHERE application_id = $1"
        " AND status <> 'cancelled' ORDER BY created_at DESC, delivery_id LIMIT 1",
        application_id,
    )
    return None if row is None else (row[0], row[1])
