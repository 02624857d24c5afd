"""The projections' tracking positions as this process last heard them: one LISTEN connection
per process, told by the runner in the transaction that moves a position (so the word arrives
exactly when the rows are visible). Waiting needs no query; when the listening connection is
lost, waits fall back to polling until it is back."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import asyncpg

from projections.runner import TRACKING_CHANNEL

__all__ = ["Positions"]

_log = logging.getLogger(__name__)


class Positions:
    """The projections' tracking positions as this process last heard them."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self._known: dict[str, int] = {}
        self._moved = asyncio.Event()  # replaced each time a position moves
        self._conn: Any = None
        self._starting: asyncio.Lock | None = None

    def _listening(self) -> bool:
        if self._conn is None:
            return False
        try:
            return not self._conn.is_closed()
        except asyncpg.InterfaceError:  # lost with the server (a restart): the pool took it back
            self._conn = None
            return False

    async def _listen(self) -> bool:
        """Start listening (once, and again after the connection was lost); False when that is
        not possible now."""
        if self._listening():
            return True
        self._starting = self._starting or asyncio.Lock()
        async with self._starting:
            if self._listening():
                return True
            if self._conn is not None:  # closed with the server: give its slot back
                conn, self._conn = self._conn, None
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await self.pool.release(conn)
            conn = None
            try:
                conn = await self.pool.acquire()
                await conn.add_listener(TRACKING_CHANNEL, self._heard)
                rows = await conn.fetch("SELECT name, position FROM projection_tracking")
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                _log.warning("cannot listen for projection positions; polling", exc_info=True)
                if conn is not None:  # (a stale connection of the pool: not kept out of it)
                    with contextlib.suppress(
                        OSError, asyncpg.PostgresError, asyncpg.InterfaceError
                    ):
                        await self.pool.release(conn)
                return False
            self._conn = conn
            for row in rows:
                self._update(row["name"], int(row["position"]))
            return True

    def _heard(self, *args: Any) -> None:
        payload: str = args[-1]
        name, _, position = payload.rpartition(":")
        if position.isdigit():
            self._update(name, int(position))

    def _update(self, name: str, position: int) -> None:
        self._known[name] = position  # a rebuild moves it back to 0: take it as it is
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    def known(self) -> list[int]:
        """The positions last heard, of every projection (empty before listening)."""
        return list(self._known.values())

    async def wait(self, name: str, position: int, within: float) -> bool:
        """Until ``name`` has applied ``position``; False when ``within`` seconds passed first."""
        if not await self._listen():
            return await self._poll(name, position, within)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while self._known.get(name, 0) < position:
            left = deadline - loop.time()
            if left <= 0:
                return False
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait(), left)
        return True

    async def _poll(self, name: str, position: int, within: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        delay = 0.005
        while True:
            current = await self.pool.fetchval(
                "SELECT position FROM projection_tracking WHERE name = $1", name
            )
            if int(current or 0) >= position:
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)

    async def close(self) -> None:
        """Stop listening and give the connection back."""
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                await conn.remove_listener(TRACKING_CHANNEL, self._heard)
            await self.pool.release(conn)
