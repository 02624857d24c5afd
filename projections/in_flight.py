"""One write in flight while the next is computed: the server works while Python does.

A batch's rows are written in chunks on the batch's connection (so in its transaction). A
chunk's statement is sent and left running while the projection computes the next chunk; it
is waited for only when the next one is ready to go, or at the end. Without it, the server and
the client take turns: each waits for the other for the whole of its part of a batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

__all__ = ["InFlight"]


class InFlight:
    """Statements sent one at a time on ``conn``, each left to run until the next is sent."""

    def __init__(self, conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        self._conn = conn
        self._running: asyncio.Future[str] | None = None

    async def send(self, query: str, *args: Any) -> None:
        """Wait for the statement before (its error is raised here), then send this one."""
        await self.done()
        self._running = asyncio.ensure_future(self._conn.execute(query, *args))
        await asyncio.sleep(0)  # the task runs up to its first wait: the statement is on its way

    async def done(self) -> None:
        """Wait for the statement still running, if any."""
        running, self._running = self._running, None
        if running is not None:
            await running

    async def abandon(self) -> None:
        """After a failure: let the running statement end (its own error is not the one to
        report), so that the connection is free to roll the transaction back."""
        with contextlib.suppress(Exception):
            await self.done()
