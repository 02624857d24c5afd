"""The outbox rows' life: claimed under a lease in one short transaction, sent with no
transaction open, then the outcome recorded in another short one.

``pending`` -> (claim) ``sending`` -> ``sent`` | ``skipped`` | ``failed`` | ``pending`` again
(retry later). A claim sets ``claimed_until`` (the lease) and a fresh ``claim_token``; a row
whose lease ran out is due again, so a dispatcher that died mid-send loses nothing. Outcomes are
recorded only while the claim token still matches: a dispatcher that overran its lease learns
that another one has taken the row over.

Quota: a one-time template's message reserves one unit of the citizen's quota when first
claimed (none left: ``skipped`` at once, WeChat is not called); a permanent failure gives the
unit back, a 43101 sets the quota to zero (WeChat knows better than our count).
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

import msgspec

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

__all__ = [
    "Claimed",
    "claim",
    "next_due_in",
    "record_failed",
    "record_retry",
    "record_sent",
    "record_skipped",
    "retry_now",
]


class Claimed(msgspec.Struct, frozen=True, kw_only=True):
    """A row this dispatcher holds the lease of."""

    id: int
    claim_token: uuid.UUID
    citizen_id: uuid.UUID
    openid: str
    template_id: str
    data: dict[str, str]
    page: str | None
    attempts: int  # including the one about to be made
    quota_reserved: bool


async def claim(
    pool: asyncpg.Pool,
    *,
    limit: int,
    lease_seconds: float,
    stale_after_seconds: float,
    max_attempts: int,
) -> tuple[list[Claimed], int]:
    """Claim up to ``limit`` due rows (``FOR UPDATE SKIP LOCKED``: concurrent dispatchers
    take different rows). Rows that must not be sent are settled here (``skipped``, or
    ``failed`` when a lease ran out after the last attempt); returns the rows to send and how
    many were settled."""
    token = uuid.uuid4()
    claimed: list[Claimed] = []
    settled = 0
    async with pool.acquire() as conn, conn.transaction():
        rows = await conn.fetch(
            "SELECT o.id, o.citizen_id, o.template_id, o.long_term, o.quota_reserved, o.data,"
            " o.page, o.attempts, c.openid,"
            " o.event_at < now() - make_interval(secs => $2) AS stale"
            " FROM notification_outbox o LEFT JOIN citizens c ON c.id = o.citizen_id"
            # due: pending and its time has come, or sending and its lease has run out
            " WHERE (o.status = 'pending' AND o.next_attempt_at <= now())"
            " OR (o.status = 'sending' AND o.claimed_until <= now())"
            " ORDER BY o.id LIMIT $1 FOR UPDATE OF o SKIP LOCKED",
            limit,
            stale_after_seconds,
        )
        for row in rows:
            if row["attempts"] >= max_attempts:  # its last lease ran out: the outcome is unknown
                error = "attempts used up (the last one's outcome is unknown)"
                await _finish(conn, row["id"], "failed", error, refund=row["quota_reserved"])
                settled += 1
                continue
            reason = None
            if row["stale"]:
                reason = "stale: the event is too old to be worth a message"
            elif not row["openid"]:
                reason = "the citizen has no openid"
            elif not (row["long_term"] or row["quota_reserved"] or await _reserve(conn, row)):
                reason = "no subscription: the citizen has no quota left for this template"
            if reason is not None:
                await _finish(conn, row["id"], "skipped", reason, refund=row["quota_reserved"])
                settled += 1
                continue
            await conn.execute(
                "UPDATE notification_outbox SET status = 'sending', claim_token = $2,"
                " claimed_until = now() + make_interval(secs => $3), attempts = attempts + 1,"
                " quota_reserved = NOT long_term, updated_at = now() WHERE id = $1",
                row["id"],
                token,
                lease_seconds,
            )
            claimed.append(
                Claimed(
                    id=row["id"],
                    claim_token=token,
                    citizen_id=row["citizen_id"],
                    openid=row["openid"],
                    template_id=row["template_id"],
                    data=row["data"],
                    page=row["page"],
                    attempts=row["attempts"] + 1,
                    quota_reserved=not row["long_term"],
                )
            )
    return claimed, settled


async def _reserve(conn: asyncpg.Connection | PoolConnectionProxy, row: asyncpg.Record) -> bool:
    left = await conn.fetchval(
        "UPDATE notification_quota SET remaining = remaining - 1, updated_at = now()"
        " WHERE citizen_id = $1 AND template_id = $2 AND remaining > 0 RETURNING remaining",
        row["citizen_id"],
        row["template_id"],
    )
    return left is not None


async def _finish(
    conn: asyncpg.Connection | PoolConnectionProxy,
    row_id: int,
    status: str,
    error: str | None,
    *,
    refund: bool = False,
    token: uuid.UUID | None = None,
) -> bool:
    """Set a final status; with ``token``, only if that claim still holds the row."""
    row = await conn.fetchrow(
        "UPDATE notification_outbox SET status = $2, last_error = $3, claimed_until = NULL,"
        " quota_reserved = false, updated_at = now(),"
        " sent_at = CASE WHEN $2 = 'sent' THEN now() END"
        " WHERE id = $1 AND ($4::uuid IS NULL OR (claim_token = $4 AND status = 'sending'))"
        " RETURNING citizen_id, template_id",
        row_id,
        status,
        error,
        token,
    )
    if row is not None and refund:
        await conn.execute(
            "UPDATE notification_quota SET remaining = remaining + 1, updated_at = now()"
            " WHERE citizen_id = $1 AND template_id = $2",
            row["citizen_id"],
            row["template_id"],
        )
    return row is not None


async def record_sent(pool: asyncpg.Pool, item: Claimed) -> bool:
    """WeChat accepted the message; False if the claim was lost meanwhile."""
    async with pool.acquire() as conn:
        return await _finish(conn, item.id, "sent", None, token=item.claim_token)


async def record_skipped(pool: asyncpg.Pool, item: Claimed, error: str) -> bool:
    """WeChat said the user has no subscription (43101): our quota count is reset to zero."""
    async with pool.acquire() as conn, conn.transaction():
        done = await _finish(conn, item.id, "skipped", error, token=item.claim_token)
        if done and item.quota_reserved:
            await conn.execute(
                "UPDATE notification_quota SET remaining = 0, updated_at = now()"
                " WHERE citizen_id = $1 AND template_id = $2",
                item.citizen_id,
                item.template_id,
            )
        return done


async def record_failed(pool: asyncpg.Pool, item: Claimed, error: str) -> bool:
    """No use trying again (bad data, bad template, attempts used up); the quota unit is
    given back, since WeChat counts only what it delivered."""
    async with pool.acquire() as conn, conn.transaction():
        return await _finish(
            conn, item.id, "failed", error, refund=item.quota_reserved, token=item.claim_token
        )


async def record_retry(pool: asyncpg.Pool, item: Claimed, error: str, delay: float) -> bool:
    """Try again in ``delay`` seconds (the quota unit stays reserved)."""
    status = await pool.execute(
        "UPDATE notification_outbox SET status = 'pending', last_error = $3,"
        " next_attempt_at = now() + make_interval(secs => $4), claimed_until = NULL,"
        " updated_at = now() WHERE id = $1 AND claim_token = $2 AND status = 'sending'",
        item.id,
        item.claim_token,
        error,
        delay,
    )
    return status.endswith(" 1")


async def retry_now(pool: asyncpg.Pool, *, failed_within: float) -> int:
    """Make the rows waiting for a retry that failed in the last ``failed_within`` seconds due
    now (WeChat is back); return how many. Only ``pending`` rows: a claimed one is left to its
    dispatcher, so nothing is sent twice."""
    status = await pool.execute(
        "UPDATE notification_outbox SET next_attempt_at = now()"
        " WHERE status = 'pending' AND next_attempt_at > now() AND attempts > 0"
        " AND updated_at >= now() - make_interval(secs => $1)",
        failed_within,
    )
    return int(status.rpartition(" ")[2])


async def next_due_in(pool: asyncpg.Pool) -> float | None:
    """Seconds until the next row falls due (0 if one is due now), None if none waits.
    (Not ``greatest(0, ...)`` in SQL: it skips a NULL and made an empty outbox "due now", so
    the dispatcher polled 20 times a second with nothing to send.)"""
    value = await pool.fetchval(
        "SELECT extract(epoch FROM min(t) - now())::float8 FROM ("
        " SELECT min(next_attempt_at) AS t FROM notification_outbox WHERE status = 'pending'"
        " UNION ALL"
        " SELECT min(claimed_until) FROM notification_outbox WHERE status = 'sending') AS due"
    )
    return None if value is None else max(0.0, float(value))
