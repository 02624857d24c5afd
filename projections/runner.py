"""Runs projections: batched catch-up, LISTEN/NOTIFY when live, tracking in the same transaction.

Each batch is one transaction that locks the projection's tracking row, applies the events after
its position and moves the position. A worker killed mid-batch leaves nothing behind: the next
one starts from the last committed position, so every event is applied exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from projections.base import BatchProjection
from projections.buffered import BufferedConnection
from projections.collection import collection_paused

if TYPE_CHECKING:
    from projections.base import Decoder, EventLog, Projection

__all__ = ["TRACKING_CHANNEL", "ProjectionRunner"]

# NOTIFY channel of tracking positions: the payload is "<projection>:<position>"
TRACKING_CHANNEL = "onewindow_tracking"
_MOVE = (
    "WITH moved AS (UPDATE projection_tracking SET position = $2, updated_at = now()"
    " WHERE name = $1 RETURNING name, position)"
    " SELECT pg_notify('onewindow_tracking', name || ':' || position) FROM moved"
)

# A batch's transaction commits without waiting for its WAL to reach the disk: a crash may
# lose the last batches, but each one whole, rows and tracking together, and the events they
# applied are in the log (committed durably by their writers), so the next leader applies
# them again from the position that survived. What depends on a batch durably, a later
# synchronous commit, flushes the WAL before it, and so the batch too. A rebuild's batches
# each write megabytes of rows: waiting for each flush left the projection idle.
_ENTER = (
    "INSERT INTO projection_tracking (name)"
    " SELECT $1 FROM (SELECT set_config('synchronous_commit', 'off', true)) AS s"
    " ON CONFLICT DO NOTHING"
)

Connection = asyncpg.Connection | PoolConnectionProxy

_log = logging.getLogger(__name__)
_LOCK_PREFIX = "onewindow-projection:"
# how long a backlog's batches keep the cyclic collector paused (see ``catch_up``)
_LONGEST_PAUSE_SECONDS = 2.0
# The database is away (or on its way down or up): wait and lead or follow again. Besides lost
# sockets and connections, a server that stops or starts answers with error codes of its own:
# 57P01 terminating connection (a fast shutdown), 57P02 crash shutdown, 57P03 "the database
# system is starting up / shutting down" on connecting. A runner ended by one of these would
# leave its worker alive but following nothing: no takeover when the leader dies.
_DATABASE_AWAY = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.CannotConnectNowError,
    # "cannot switch to state ...": a statement on its way when the server ended the connection
    asyncpg.InternalClientError,
)


@dataclass(frozen=True)
class _Batch:
    """Events read after ``after``, with their decoded domain events."""

    after: int
    notifications: list[Any]
    events: list[Any]


class ProjectionRunner:
    """Keeps a set of projections up to date with the event log."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        recorder: EventLog,
        decode: Decoder,
        projections: Sequence[Projection],
        *,
        # a rebuild writes a row once per batch that touches it: larger batches, fewer rewrites.
        # 20,000 events: in the catch-up benchmark, 57 MB more at the peak than 10,000 (229
        # against 171 MB) and a quarter fewer rows written; more when every event is another
        # case's (docs/performance.md)
        batch_size: int = 20_000,
        idle_poll_seconds: float = 1.0,
    ) -> None:
        self.pool = pool
        self.recorder = recorder
        self.decode = decode
        self.projections = list(projections)
        self.batch_size = batch_size
        self.idle_poll_seconds = idle_poll_seconds
        self._wake = asyncio.Event()
        self.leading: set[str] = set()  # projections this process leads now
        self.failures: dict[str, str] = {}  # projection -> the error that stops it, for /ready
        self.batch_sizes: dict[str, int] = {}  # last batch size per projection, for /metrics
        self.events_applied: dict[str, int] = {}  # since start, for /metrics

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

    async def _read(self, conn: Connection, after: int) -> _Batch:
        notifications = await self.recorder.select_notifications(
            conn, after=after, limit=self.batch_size
        )
        # one query loads the citizens' keys the batch needs (personal data)
        events = await self.decode([n.stored_event() for n in notifications], conn)
        return _Batch(after, list(notifications), list(events))

    async def _read_ahead(self, after: int) -> _Batch:
        with collection_paused():
            async with self.pool.acquire() as conn:
                return await self._read(conn, after)

    async def run_batch(
        self, projection: Projection, ahead: _Batch | None = None
    ) -> tuple[int, asyncio.Task[_Batch] | None]:
        """Apply the next batch of events in one transaction; return how many were read, and
        (after a full batch) the next batch being read and decoded meanwhile on another
        connection. ``ahead``, such a batch, is used only if it starts where the locked
        position stands (else another process moved it: the batch is read again)."""
        with collection_paused():
            return await self._run_batch(projection, ahead)

    async def _run_batch(
        self, projection: Projection, ahead: _Batch | None
    ) -> tuple[int, asyncio.Task[_Batch] | None]:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(_ENTER, projection.name)
            position = await conn.fetchval(
                "SELECT position FROM projection_tracking WHERE name = $1 FOR UPDATE",
                projection.name,
            )
            if ahead is not None and ahead.after == position and ahead.notifications:
                batch = ahead
            else:
                batch = await self._read(conn, position)
            notifications = batch.notifications
            if not notifications:
                return 0, None
            following = None
            if len(notifications) == self.batch_size:
                # a rebuild or a backlog: decode the next batch while this one is written
                following = asyncio.create_task(self._read_ahead(notifications[-1].id))
            try:
                await self._apply(conn, projection, batch)
            except BaseException:
                if following is not None:
                    following.cancel()
                    with contextlib.suppress(BaseException):
                        await following
                raise
        self.batch_sizes[projection.name] = len(notifications)
        self.events_applied[projection.name] = self.events_applied.get(projection.name, 0) + len(
            notifications
        )
        return len(notifications), following

    async def _apply(self, conn: Connection, projection: Projection, batch: _Batch) -> None:
        if isinstance(projection, BatchProjection):
            # the rows the batch touches are read once and written once
            await projection.process_batch(conn, batch.events)
        else:
            buffered = BufferedConnection(conn)
            for notification, event in zip(batch.notifications, batch.events, strict=True):
                await projection.process(
                    cast("asyncpg.Connection", buffered), event, notification.id
                )
            await buffered.flush()
        # the new position, and (at commit) a word to every process waiting to read it
        await conn.execute(_MOVE, projection.name, batch.notifications[-1].id)

    async def catch_up(
        self, projection: Projection, progress: Callable[[int], Any] | None = None
    ) -> int:
        """Run batches until the projection is at the head; return how many events it read."""
        total = 0
        ahead: _Batch | None = None
        while True:
            # held from one batch through the hand-over of the next one, read meanwhile: a
            # collection at each hand-over would walk that whole decoded batch and free none
            # of it. The runner shares the API's process, whose garbage cycles wait meanwhile:
            # the collector runs again between batches once the pause has lasted a while.
            paused_at = time.monotonic()
            with collection_paused():
                while time.monotonic() - paused_at < _LONGEST_PAUSE_SECONDS:
                    count, following = await self.run_batch(projection, ahead)
                    if not count:
                        return total
                    total += count
                    if progress is not None:
                        progress(count)
                    ahead = await following if following is not None else None
                    if ahead is None:
                        break

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
        """Follow the log until ``stop`` is set, leading the projections no other process leads.

        Each projection runs in one process at a time: its leader holds a PostgreSQL advisory
        lock on a connection kept for that purpose. When the leader dies its connection closes,
        the lock is released, and a follower takes over at its next poll. Tracking in the same
        transaction as the rows keeps every event applied exactly once through a takeover.
        """
        while not stop.is_set():
            try:
                await self._lead_and_follow(stop)
            except _DATABASE_AWAY:
                _log.warning("projection worker lost its database connection", exc_info=True)
                self.leading.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), self.idle_poll_seconds)

    async def _catch_up_or_report(self, projection: Projection) -> None:
        """Catch up; an event the projection cannot apply stops that projection only (its
        batch rolled back, nothing skipped), is logged, shows in /ready, and is tried again at
        the next poll, while the other read models go on."""
        try:
            await self.catch_up(projection)
        except _DATABASE_AWAY:
            raise
        except Exception as exc:  # noqa: BLE001 - reported, not hidden: see failures
            if self.failures.get(projection.name) != repr(exc):
                _log.exception("projection %s cannot apply the next event", projection.name)
            self.failures[projection.name] = repr(exc)
        else:
            self.failures.pop(projection.name, None)

    async def _lead_and_follow(self, stop: asyncio.Event) -> None:
        async with self.pool.acquire() as leader:
            await leader.add_listener(self.recorder.channel, self._on_notify)
            try:
                while not stop.is_set():
                    self._wake.clear()
                    for projection in self.projections:
                        if projection.name not in self.leading and await leader.fetchval(
                            "SELECT pg_try_advisory_lock(hashtextextended($1, 0))",
                            _LOCK_PREFIX + projection.name,
                        ):
                            _log.info("leading projection %s", projection.name)
                            self.leading.add(projection.name)
                    for projection in self.projections:
                        if projection.name in self.leading:
                            await self._catch_up_or_report(projection)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._wake.wait(), self.idle_poll_seconds)
            finally:
                self.leading.clear()
                with contextlib.suppress(Exception):
                    await leader.remove_listener(self.recorder.channel, self._on_notify)
                    await leader.execute("SELECT pg_advisory_unlock_all()")

    def _on_notify(self, *_: Any) -> None:
        self._wake.set()
