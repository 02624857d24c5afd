"""The ``payment_orders`` index, and the one way to change an order: under the order's lock, in
one transaction with its index row (and with the application, when that follows)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from backend.eventstore import Saved
from backend.eventstore.retry import retry_on_conflict
from domain.payment import Payment, payment_id

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
    from eventsourcing.domain import Aggregate

    from backend.eventstore import Session
    from backend.services import Services

__all__ = ["change_order", "find_order", "latest_order", "order_lock", "save_order"]

T = TypeVar("T")


def order_lock(out_trade_no: str) -> str:
    """The advisory lock that serialises every writer of one order."""
    return f"payment:{out_trade_no}"


async def change_order(
    services: Services,
    out_trade_no: str,
    change: Callable[[Session, Payment], Awaitable[T]],
) -> T:
    """Lock the order, load it, let ``change`` decide and save; a lost race tries again.

    ``NotFound`` when there is no such order.
    """

    async def attempt() -> T:
        async with services.repository.session() as session:
            await session.lock(order_lock(out_trade_no))
            payment = await session.get(Payment, payment_id(out_trade_no))
            return await change(session, payment)

    return await retry_on_conflict(attempt, services.settings.command_retries)


async def save_order(session: Session, payment: Payment, *others: Aggregate) -> Saved:
    """Save what changed (the order, the application) and keep the order's index row."""
    changed = [a for a in (payment, *others) if a.pending_events]
    if not changed:
        return Saved(())
    saved = await session.save(*changed)
    await session.conn.execute(
        "INSERT INTO payment_orders (out_trade_no, payment_id, application_id, citizen_id,"
        " attempt, amount, state, created_at, expires_at, updated_at)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        " ON CONFLICT (out_trade_no) DO UPDATE SET state = EXCLUDED.state,"
        " updated_at = EXCLUDED.updated_at",
        payment.out_trade_no,
        payment.id,
        payment.application_id,
        payment.citizen_id,
        payment.attempt,
        payment.amount,
        payment.state,
        payment.created_on,
        payment.expires_at,
        payment.modified_on,
    )
    return saved


async def latest_order(
    conn: asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy, application_id: UUID
) -> asyncpg.Record | None:
    """The application's latest order row (or None)."""
    return await conn.fetchrow(
        "SELECT out_trade_no, attempt, state FROM payment_orders WHERE application_id = $1"
        " ORDER BY attempt DESC LIMIT 1",
        application_id,
    )


async def find_order(
    conn: asyncpg.Pool | asyncpg.Connection | PoolConnectionProxy,
    application_id: UUID,
    states: tuple[str, ...],
) -> asyncpg.Record | None:
    """The application's latest order in one of ``states`` (or None)."""
    return await conn.fetchrow(
        "SELECT out_trade_no, attempt, state FROM payment_orders WHERE application_id = $1"
        " AND state = ANY($2::text[]) ORDER BY attempt DESC LIMIT 1",
        application_id,
        list(states),
    )
