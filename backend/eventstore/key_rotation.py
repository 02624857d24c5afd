"""Re-wrapping citizens' data keys under the current secret key (``onewindow keys rotate``).

The data keys themselves do not change, so no event is rewritten and no process's cache goes
stale: only the wrapping does. Rows are taken in ``citizen_id`` order, a batch per transaction
(locked ``FOR UPDATE``, so an erasure or a new key of the same citizen waits for it, never
crosses it); a batch that committed is done for good, so a run that stops (Ctrl-C, kill -9)
simply starts again and finds only the rows still under another key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING
from uuid import UUID

if TYPE_CHECKING:
    import asyncpg

    from backend.eventstore.keyring import Executor, KeyRing

__all__ = ["data_keys_by_secret_key", "pending_rewraps", "rewrap_data_keys"]


async def data_keys_by_secret_key(db: Executor) -> dict[str | None, int]:
    """How many live (not erased) data keys each secret key wraps, by key id (None: wrapped
    before rows named their key)."""
    rows = await db.fetch(
        "SELECT kek_id, count(*) AS keys FROM citizen_keys WHERE wrapped_key IS NOT NULL"
        " GROUP BY kek_id"
    )
    return {r["kek_id"]: r["keys"] for r in rows}


async def pending_rewraps(db: Executor, current_kek_id: str) -> int:
    """How many live data keys are not yet wrapped under ``current_kek_id``."""
    count: int = await db.fetchval(
        "SELECT count(*) FROM citizen_keys"
        " WHERE wrapped_key IS NOT NULL AND kek_id IS DISTINCT FROM $1",
        current_kek_id,
    )
    return count


async def rewrap_data_keys(
    pool: asyncpg.Pool,
    ring: KeyRing,
    *,
    batch_size: int = 500,
    pause: float = 0.0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Wrap every live data key under the ring's current secret key, ``batch_size`` rows per
    transaction and ``pause`` seconds between transactions (to spare a busy database); how
    many were re-wrapped. ``KeyUnavailable`` names a row whose key is not
    configured (nothing after it is touched; what committed before stays done)."""
    current = ring.current_kek_id
    if current is None:
        msg = "no secret key is configured"
        raise ValueError(msg)
    after = UUID(int=0)
    done = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "SELECT citizen_id, version, wrapped_key, kek_id FROM citizen_keys"
                " WHERE citizen_id > $1 AND wrapped_key IS NOT NULL"
                " AND kek_id IS DISTINCT FROM $2"
                " ORDER BY citizen_id LIMIT $3 FOR UPDATE",
                after,
                current,
                batch_size,
            )
            if not rows:
                return done
            await conn.executemany(
                "UPDATE citizen_keys SET wrapped_key = $3, kek_id = $4"
                " WHERE citizen_id = $1 AND version = $2",
                [
                    (
                        r["citizen_id"],
                        r["version"],
                        ring.rewrapped(
                            r["citizen_id"], r["version"], bytes(r["wrapped_key"]), r["kek_id"]
                        ),
                        current,
                    )
                    for r in rows
                ],
            )
        after = rows[-1]["citizen_id"]
        done += len(rows)
        if progress is not None:
            progress(len(rows))
        if pause:
            await asyncio.sleep(pause)
