"""One transaction per command: the plain writer, when group commit is off."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import asyncpg

from backend.eventstore.locked import locked_transaction
from backend.eventstore.types import CommitFailed, Saved

if TYPE_CHECKING:
    from eventsourcing.persistence import StoredEvent

    from backend.eventstore.recorder import Recorder
    from backend.eventstore.types import AfterInsert, GroupRows

__all__ = ["TransactionWriter"]


class TransactionWriter:
    """One transaction per command (group commit off)."""

    def __init__(self, pool: asyncpg.Pool, recorder: Recorder) -> None:
        self.pool = pool
        self.recorder = recorder

    async def save(
        self,
        events: Sequence[StoredEvent],
        after_insert: AfterInsert | None,
        rows: GroupRows | None = None,
    ) -> Saved:
        """Lock, insert, run ``after_insert``, notify and commit (``BEGIN`` and the lock in one
        round trip)."""
        try:
            async with self.pool.acquire() as conn, locked_transaction(conn, self.recorder):
                saved = Saved(tuple(await self.recorder.insert_locked(conn, events, notify=True)))
                if rows is not None:
                    await rows.write_all(conn, [rows])
                if after_insert is not None:
                    await after_insert(conn, saved)
        except (OSError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError) as exc:
            raise CommitFailed(f"the commit failed, nothing was written: {exc}") from exc
        return saved

    async def close(self) -> None:
        """Nothing is queued."""
