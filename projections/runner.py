"""Runs projections: batched catch-up, LISTEN/NOTIFY when live, tracking in the same transaction.

Each batch is one transaction that locks the projection's tracking row, applies the events after
its position and moves the position. A worker killed mid-batch leaves nothing behind: the next
one starts from the last committed position, so every event is applied exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from backend.eventstore.mapper import decode

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
    from eventsourcing.persistence import Mapper

    from backend.eventstore.recorder import Recorder
    from projections.base import Projection

__all__ = ["ProjectionRunner"]

_log = logging.getLogger(__name__)


class ProjectionRunner:
    """Keeps a set of projections up to date with the event log."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        recorder: Recorder,
        mapper: Mapper[UUID],
        projections: Sequence[Projection],
        *,
        batch_size: int = 500,
        idle_poll_seconds: float = 1.0,
    ) -> None:
        self.pool = pool
        self.recorder = recorder
        self.mapper = mapper
        self.projections = list(projections)
        self.batch_size = batch_size
        self.idle_poll_seconds = idle_poll_seconds
        self._wake = asyncio.Event()

    def projection(self, name: str) -> Projection:
        """The projection called ``name``; KeyError if there is none."""
        for projection in self.projections:
            if projection.name == name:
                return projection
        raise KeyError(name)

    async def position(self, name: str) -> int:
        """How far the projection has got."""
        async with self.pool.acquire() as conn:
            value = await conn.fetchval(
                "SELECT position FROM projection_tracking WHERE name = $1", name
            )
        return int(value or 0)

    async def run_batch(self, projection: Projection) -> int:
        """Apply the next batch of events in one transaction; return how many were read."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO projection_tracking (name) VALUES ($1) ON CONFLICT DO NOTHING",
                projection.name,
            )
            position = await conn.fetchval(
                "SELECT position FROM projection_tracking WHERE name = $1 FOR UPDATE",
                projection.name,
            )
            notifications = await self.recorder.select_notifications(
                conn, after=position, limit=self.batch_size
            )
            if not notifications:
                return 0
            for notification in notifications:
                event = decode(self.mapper, notification.stored_event())
                await projection.process(conn, event, notification.id)
            await conn.execute(
                "UPDATE projection_tracking SET position = $2, updated_at = now() WHERE name = $1",
                projection.name,
                notifications[-1].id,
            )
            return len(notifications)

    async def catch_up(
        self, projection: Projection, progress: Callable[[int], Any] | None = None
    ) -> int:
        """Run batches until the projection is at the head; return how many events it read."""
        total = 0
        while count := await self.run_batch(projection):
            total += count
            if progress is not None:
                progress(count)
        return total

    async def rebuild(
        self, projection: Projection, progress: Callable[[int], Any] | None = None
    ) -> int:
        """Empty the read model and replay the whole log into it."""
        async with self.pool.acquire() as conn, conn.transaction():
            # the tracking row lock keeps a running worker out while the tables are emptied
            await conn.execute(
                "INSERT INTO projection_tracking (name) VALUES ($1) ON CONFLICT DO NOTHING",
                projection.name,
            )
            await conn.execute(
                "SELECT 1 FROM projection_tracking WHERE name = $1 FOR UPDATE", projection.name
            )
            for table in projection.tables:
                await conn.execute(f"TRUNCATE {table}")
            await conn.execute(
                "UPDATE projection_tracking SET position = 0 WHERE name = $1", projection.name
            )
        return await self.catch_up(projection, progress)

    def wake(self) -> None:
        """Something was written: look for new events now."""
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        """Follow the log until ``stop`` is set: catch up, then wait for NOTIFY (or a poll)."""
        listener: PoolConnectionProxy | None = None
        try:
            listener = await self.pool.acquire()
            await listener.add_listener(self.recorder.channel, self._on_notify)
        except Exception:  # noqa: BLE001 - polling still works without LISTEN
            _log.warning("LISTEN failed; projections fall back to polling", exc_info=True)
        try:
            while not stop.is_set():
                self._wake.clear()
                for projection in self.projections:
                    await self.catch_up(projection)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), self.idle_poll_seconds)
        finally:
            if listener is not None:
                with contextlib.suppress(Exception):
                    await listener.remove_listener(self.recorder.channel, self._on_notify)
                await self.pool.release(listener)

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()
