"""Failed notifications sent again: the public face of the outbox for supervisors."""

from __future__ import annotations

from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

__all__ = ["count_failed", "requeue_failed"]


async def count_failed(conn: asyncpg.Connection | PoolConnectionProxy, application_id: UUID) -> int:
    """How many of the application's notifications failed for good."""
    failed = await conn.fetchval(
        "SELECT count(*) FROM notification_outbox WHERE application_id = $1 AND status = 'failed'",
        application_id,
    )
    return int(failed)


async def requeue_failed(
    conn: asyncpg.Connection | PoolConnectionProxy, application_id: UUID
) -> None:
    """Put the application's failed notifications back in the outbox, due now (in the caller's
    transaction, with the event that records the resend)."""
    await conn.execute(
        "UPDATE notification_outbox SET status = 'pending', attempts = 0,"
        " next_attempt_at = now(), last_error = NULL, claimed_until = NULL,"
        " claim_token = NULL, updated_at = now()"
        " WHERE application_id = $1 AND status = 'failed'",
        application_id,
    )
