"""Load aggregates from their events; save the pending events of a command in one transaction."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, Snapshot

from backend.eventstore.mapper import Event, EventMapper, decode_all, encode_all
from domain.errors import ConflictError, NotFound

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
    from eventsourcing.domain import DomainEventProtocol
    from eventsourcing.persistence import Mapper, StoredEvent

    from backend.eventstore.group_commit import GroupCommitWriter
    from backend.eventstore.keyring import KeyRing
    from backend.eventstore.recorder import Recorder

__all__ = ["AfterInsert", "Repository", "Saved", "Session"]

A = TypeVar("A", bound=Aggregate)


class Saved(msgspec.Struct, frozen=True):
    """What a command wrote: the notification ids of its events; ``position`` is the last."""

    notification_ids: tuple[int, ...]

    @property
    def position(self) -> int:
        return self.notification_ids[-1] if self.notification_ids else 0


AfterInsert = Callable[["asyncpg.Connection | PoolConnectionProxy", Saved], Awaitable[None]]


class Repository:
    """Aggregates in and out of the event store."""

    def __init__(self, pool: asyncpg.Pool, recorder: Recorder, mapper: Mapper[UUID]) -> None:
        self.pool = pool
        self.recorder = recorder
        self.mapper = mapper
        # observers for /metrics: (seconds, events) after a commit; a lost race
        self.on_save: Callable[[float, int], None] | None = None
        self.on_conflict: Callable[[], None] | None = None
        # group commit (see group_commit.py); None: one transaction per command
        self.writer: GroupCommitWriter | None = None
        # a snapshot every N events of these aggregate types (None: never)
        self.snapshot_every: int | None = None
        self.snapshot_types: tuple[type[Aggregate], ...] = ()

    @property
    def keys(self) -> KeyRing:
        """The citizens' data keys the mapper seals personal data with."""
        if not isinstance(self.mapper, EventMapper):  # pragma: no cover - bootstrap builds one
            msg = "this repository's mapper has no key ring"
            raise TypeError(msg)
        return self.mapper.keys

    async def decode(
        self,
        stored: Sequence[StoredEvent],
        conn: asyncpg.Connection | PoolConnectionProxy | None = None,
    ) -> list[Event]:
        """Stored events as domain events, with the citizens' keys they need loaded first
        (the one way to decode outside this class: personal data needs its keys)."""
        return await decode_all(self.mapper, conn if conn is not None else self.pool, stored)

    async def encode(
        self,
        events: Sequence[DomainEventProtocol[UUID]],
        conn: asyncpg.Connection | PoolConnectionProxy | None = None,
    ) -> list[StoredEvent]:
        """Domain events (or snapshots) as stored events, personal data sealed. With ``conn``
        (a connection the caller holds) keys are read on it rather than on a second one."""
        return await encode_all(self.mapper, self.pool, events, conn)

    async def events(self, aggregate_id: UUID) -> list[Event]:
        """The aggregate's domain events in order (empty when unknown)."""
        async with self.pool.acquire() as conn:
            return await self._events(conn, aggregate_id)

    async def _events(
        self, conn: asyncpg.Connection | PoolConnectionProxy, aggregate_id: UUID
    ) -> list[Event]:
        stored = await self.recorder.select_events(conn, aggregate_id)
        return await self.decode(stored, conn)

    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        """Rebuild an aggregate of type ``cls``; ``NotFound`` when there is none."""
        async with self.pool.acquire() as conn:
            return await self._get(conn, cls, aggregate_id)

    async def _get(
        self, conn: asyncpg.Connection | PoolConnectionProxy, cls: type[A], aggregate_id: UUID
    ) -> A:
        snapshot, stored = await self.recorder.select_latest(conn, aggregate_id)
        aggregate: Any = None
        decoded = await self.decode([snapshot, *stored] if snapshot is not None else stored, conn)
        if snapshot is not None:
            aggregate = cast("Snapshot", decoded.pop(0)).mutate(None)
        for event in decoded:
            aggregate = event.mutate(aggregate)
        if not isinstance(aggregate, cls):
            raise NotFound(f"{cls.__name__.lower()} not found")
        return aggregate

    async def save(self, *aggregates: Aggregate, after_insert: AfterInsert | None = None) -> Saved:
        """Write every pending event in one transaction (lock, insert, notify, commit).

        ``after_insert`` runs in the same transaction with the new positions, for the rows a
        command implies (idempotency record, outbox). A version clash raises ``ConflictError``
        and nothing is written.
        """
        started = time.perf_counter()
        try:
            if self.writer is not None:
                pending = [e for aggregate in aggregates for e in aggregate.collect_events()]
                stored = await self.encode(pending)
                saved = await self.writer.save(stored, after_insert)
            else:
                # seal first: a missing key takes a connection of its own, never one more
                # while this command already holds one (a full pool would wait for ever)
                pending = [e for aggregate in aggregates for e in aggregate.collect_events()]
                stored = await self.encode(pending)
                async with self.pool.acquire() as conn, conn.transaction():
                    saved = await self._insert(conn, stored, after_insert)
        except ConflictError:
            if self.on_conflict is not None:
                self.on_conflict()
            raise
        if self.on_save is not None:
            self.on_save(time.perf_counter() - started, len(saved.notification_ids))
        await self._maybe_snapshot(aggregates, len(saved.notification_ids))
        return saved

    async def take_snapshot(self, aggregate: Aggregate) -> None:
        """Store the aggregate's state at its version, so loading it replays less."""
        (stored,) = await self.encode([Snapshot.take(aggregate)])
        async with self.pool.acquire() as conn:
            await self.recorder.insert_snapshot(conn, stored)

    async def _maybe_snapshot(self, aggregates: tuple[Aggregate, ...], written: int) -> None:
        every = self.snapshot_every
        if not every or not written:
            return
        for aggregate in aggregates:
            # crossed a multiple of ``every`` with this save
            if isinstance(aggregate, self.snapshot_types) and (
                aggregate.version // every > (aggregate.version - written) // every
            ):
                await self.take_snapshot(aggregate)

    async def _save(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        aggregates: tuple[Aggregate, ...],
        after_insert: AfterInsert | None,
    ) -> Saved:
        pending = [event for aggregate in aggregates for event in aggregate.collect_events()]
        # existing keys are read on this connection; a new one is created and committed apart
        stored = await self.encode(pending, conn)
        return await self._insert(conn, stored, after_insert)

    async def _insert(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        stored: list[StoredEvent],
        after_insert: AfterInsert | None,
    ) -> Saved:
        ids = await self.recorder.insert(conn, stored)
        saved = Saved(tuple(ids))
        if after_insert is not None:
            await after_insert(conn, saved)
        return saved

    @contextlib.asynccontextmanager
    async def session(self) -> AsyncIterator[Session]:
        """One transaction for load, decide and save, for rules that span aggregates.

        Take ``session.lock(key)`` first to serialise the writers of one consistency boundary
        (a slot, a citizen's day) across processes; the lock ends with the transaction.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            yield Session(self, conn)


class Session:
    """Loads and saves inside one open transaction (see ``Repository.session``)."""

    def __init__(
        self, repository: Repository, conn: asyncpg.Connection | PoolConnectionProxy
    ) -> None:
        self.repository = repository
        self.conn = conn

    async def lock(self, key: str) -> None:
        """A transaction-scoped advisory lock named ``key``, held until commit or rollback."""
        await self.conn.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", key)

    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        """Rebuild an aggregate inside this transaction; ``NotFound`` when there is none."""
        return await self.repository._get(self.conn, cls, aggregate_id)

    async def save(self, *aggregates: Aggregate, after_insert: AfterInsert | None = None) -> Saved:
        """Insert the pending events in this transaction; committed when the session ends."""
        return await self.repository._save(self.conn, aggregates, after_insert)
