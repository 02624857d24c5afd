"""Fewer round trips for projections written one statement per event.

The runner gives such a projection this stand-in for its connection: ``execute`` calls are
queued, consecutive calls of the same statement become one ``executemany``, and the queue is
sent, in order, before any read (``fetch``, ``fetchrow``, ``fetchval``) and at the end of the
batch. Everything still runs in the batch's transaction, in the order the projection wrote it,
so the read model is the same; only the waiting for each statement's answer is gone.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

__all__ = ["BufferedConnection"]


class BufferedConnection:
    """Queues writes; reads see every write queued before them."""

    def __init__(self, conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        self._conn = conn
        self._queue: list[tuple[str, list[tuple[Any, ...]]]] = []

    async def execute(self, query: str, *args: Any) -> str:
        """Queue a write (its status is not known yet: projections do not read it)."""
        if self._queue and self._queue[-1][0] == query:
            self._queue[-1][1].append(args)
        else:
            self._queue.append((query, [args]))
        return ""

    async def flush(self) -> None:
        """Send the queued writes, in order."""
        queue, self._queue = self._queue, []
        for query, rows in queue:
            if len(rows) == 1:
                await self._conn.execute(query, *rows[0])
            else:
                await self._conn.executemany(query, rows)

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        await self.flush()
        return await self._conn.fetch(query, *args)

    async def fetchrow(self, query: str, *args: Any) -> Any:
        await self.flush()
        return await self._conn.fetchrow(query, *args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        await self.flush()
        return await self._conn.fetchval(query, *args)
