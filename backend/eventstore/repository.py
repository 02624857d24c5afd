"""Load aggregates from their events; save the pending events of a command in one transaction."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

import msgspec
from eventsourcing.domain import Aggregate

from backend.eventstore.mapper import Event, decode
from domain.errors import NotFound

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
    from eventsourcing.persistence import Mapper

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

    async def events(self, aggregate_id: UUID) -> list[Event]:
        """The aggregate's domain events in order (empty when unknown)."""
        async with self.pool.acquire() as conn:
            return await self._events(conn, aggregate_id)

    async def _events(
        self, conn: asyncpg.Connection | PoolConnectionProxy, aggregate_id: UUID
    ) -> list[Event]:
        stored = await self.recorder.select_events(conn, aggregate_id)
        return [decode(self.mapper, s) for s in stored]

    async def get(self, cls: type[A], aggregate_id: UUID) -> A:
        """Rebuild an aggregate of type ``cls``; ``NotFound`` when there is none."""
        async with self.pool.acquire() as conn:
            return await self._get(conn, cls, aggregate_id)

    async def _get(
        self, conn: asyncpg.Connection | PoolConnectionProxy, cls: type[A], aggregate_id: UUID
    ) -> A:
        aggregate: Any = None
        for event in await self._events(conn, aggregate_id):
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
        async with self.pool.acquire() as conn, conn.transaction():
            return await self._save(conn, aggregates, after_insert)

    async def _save(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        aggregates: tuple[Aggregate, ...],
        after_insert: AfterInsert | None,
    ) -> Saved:
        pending = [event for aggregate in aggregates for event in aggregate.collect_events()]
        stored = [self.mapper.to_stored_event(event) for event in pending]
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
