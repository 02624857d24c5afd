"""Load aggregates from their events; save the pending events of a command in one transaction."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate, Snapshot

from backend.eventstore.mapper import Event, EventMapper, decode_all, encode_all
from backend.eventstore.types import AfterInsert, GroupRows, Saved
from backend.eventstore.writer import TransactionWriter
from domain.errors import ConflictError, NotFound

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
    from eventsourcing.domain import DomainEventProtocol
    from eventsourcing.persistence import Mapper, StoredEvent

    from backend.eventstore.keyring import KeyRing
    from backend.eventstore.recorder import Recorder
    from backend.eventstore.types import Writer

__all__ = ["AfterInsert", "Repository", "Saved", "Session", "SnapshotPolicy"]

# what a missing aggregate is called in the 404 a person reads
_NAMES = {
    "Application": "办件",
    "Appointment": "预约",
    "Delivery": "快递任务",
    "Payment": "支付订单",
    "ServiceItem": "事项",
    "Hall": "大厅",
    "Rectification": "整改",
}

A = TypeVar("A", bound=Aggregate)


class SnapshotPolicy(msgspec.Struct, frozen=True):
    """A snapshot every ``every`` events of aggregates of these types (long-lived streams)."""

    every: int
    types: tuple[type[Aggregate], ...]

    def due(self, aggregate: Aggregate, written: int) -> bool:
        """Whether this save crossed a multiple of ``every`` for ``aggregate``."""
        every = self.every
        return isinstance(aggregate, self.types) and (
            aggregate.version // every > (aggregate.version - written) // every
        )


class Repository:
    """Aggregates in and out of the event store."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        recorder: Recorder,
        mapper: Mapper[UUID],
        *,
        writer: Writer | None = None,
        snapshots: SnapshotPolicy | None = None,
        on_save: Callable[[float, int], None] | None = None,
        on_conflict: Callable[[], None] | None = None,
    ) -> None:
        self.pool = pool
        self.recorder = recorder
        self.mapper = mapper
        # how a command's events are committed: its own transaction, or group commit
        self.writer: Writer = writer or TransactionWriter(pool, recorder)
        self.snapshots = snapshots
        # observers for /metrics: (seconds, events) after a commit; a lost race
        self.on_save = on_save
        self.on_conflict = on_conflict

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
            raise NotFound(f"{_NAMES.get(cls.__name__, '记录')}不存在")
        return aggregate

    async def save(
        self,
        *aggregates: Aggregate,
        after_insert: AfterInsert | None = None,
        rows: GroupRows | None = None,
    ) -> Saved:
        """Write every pending event in one transaction (lock, insert, notify, commit).

        ``rows`` (written with the same rows of the other commands of a group commit) and
        ``after_insert`` run in the same transaction with the new positions, for the rows a
        command implies (idempotency record, outbox). A version clash raises ``ConflictError``
        and nothing is written; a commit that fails raises ``CommitFailed``.
        """
        started = time.perf_counter()
        try:
            # seal first: a missing key takes a connection of its own, never one more while
            # this command already holds one (a full pool would wait for ever)
            stored = await self._stored(aggregates)
            saved = await self.writer.save(stored, after_insert, rows)
        except ConflictError:
            if self.on_conflict is not None:
                self.on_conflict()
            raise
        if self.on_save is not None:
            self.on_save(time.perf_counter() - started, len(saved.notification_ids))
        await self._maybe_snapshot(aggregates, len(saved.notification_ids))
        return saved

    async def _stored(
        self,
        aggregates: tuple[Aggregate, ...],
        conn: asyncpg.Connection | PoolConnectionProxy | None = None,
    ) -> list[StoredEvent]:
        """The aggregates' pending events, encoded and sealed."""
        pending = [event for aggregate in aggregates for event in aggregate.collect_events()]
        return await self.encode(pending, conn)

    async def take_snapshot(self, aggregate: Aggregate) -> None:
        """Store the aggregate's state at its version, so loading it replays less."""
        (stored,) = await self.encode([Snapshot.take(aggregate)])
        async with self.pool.acquire() as conn:
            await self.recorder.insert_snapshot(conn, stored)

    async def _maybe_snapshot(self, aggregates: tuple[Aggregate, ...], written: int) -> None:
        if self.snapshots is None or not written:
            return
        for aggregate in aggregates:
            if self.snapshots.due(aggregate, written):
                await self.take_snapshot(aggregate)

    async def _save(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        aggregates: tuple[Aggregate, ...],
        after_insert: AfterInsert | None,
        rows: GroupRows | None = None,
    ) -> Saved:
        # existing keys are read on this connection; a new one is created and committed apart
        stored = await self._stored(aggregates, conn)
        saved = Saved(tuple(await self.recorder.insert(conn, stored)))
        if rows is not None:
            await rows.write_all(conn, [rows])
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

    async def save(
        self,
        *aggregates: Aggregate,
        after_insert: AfterInsert | None = None,
        rows: GroupRows | None = None,
    ) -> Saved:
        """Insert the pending events in this transaction; committed when the session ends."""
        return await self.repository._save(self.conn, aggregates, after_insert, rows)
