"""Stored events in PostgreSQL through asyncpg.

The write rule is eventsourcing's: in one transaction take ``LOCK TABLE ... IN EXCLUSIVE MODE``,
insert the events, ``NOTIFY``, commit. Holding the lock until commit makes notification-id
order equal commit order, so a reader that follows "last id seen" never skips an event.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import UUID

import asyncpg
import msgspec
from eventsourcing.persistence import StoredEvent

from domain.errors import ConflictError

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

__all__ = ["EVENTS_TABLE", "Notification", "Recorder"]

EVENTS_TABLE = "onewindow_events"


class Notification(msgspec.Struct, frozen=True):
    """A stored event with its position in the whole log."""

    id: int
    originator_id: UUID
    originator_version: int
    topic: str
    state: bytes

    def stored_event(self) -> StoredEvent:
        return StoredEvent(
            originator_id=self.originator_id,
            originator_version=self.originator_version,
            topic=self.topic,
            state=self.state,
        )


class Recorder:
    """Reads and writes rows of the events table."""

    def __init__(self, table: str = EVENTS_TABLE, lock_timeout_seconds: int = 5) -> None:
        self.table = table
        self.snapshots = table.removesuffix("_events") + "_snapshots"
        self.channel = table
        self._lock_sql = (
            f"SET LOCAL lock_timeout = '{int(lock_timeout_seconds)}s';"
            f" LOCK TABLE {table} IN EXCLUSIVE MODE"
        )
        # a transaction opened with its lock in one round trip (see ``locked``)
        self.begin_locked_sql = f"BEGIN; {self._lock_sql}"
        self._insert = (
            f"INSERT INTO {table} (originator_id, originator_version, topic, state) "
            "SELECT * FROM unnest($1::uuid[], $2::bigint[], $3::text[], $4::bytea[]) "
            "RETURNING originator_id, originator_version, notification_id"
        )
        # the same, with the NOTIFY in the same statement (one round trip less); the notify
        # subquery runs once, and PostgreSQL delivers it at commit like a NOTIFY statement
        self._insert_notify = (
            f"WITH inserted AS ({self._insert}) SELECT originator_id, originator_version,"
            f" notification_id FROM inserted, (SELECT pg_notify('{self.channel}', '')) AS n"
        )

    async def insert(
        self, conn: asyncpg.Connection | PoolConnectionProxy, events: Sequence[StoredEvent]
    ) -> list[int]:
        """Insert within the caller's open transaction; return the notification ids.

        A taken (originator_id, originator_version) raises ``ConflictError``: another writer
        saved that aggregate first.
        """
        if not events:
            return []
        await self.lock(conn)
        return await self.insert_locked(conn, events, notify=True)

    async def lock(self, conn: asyncpg.Connection | PoolConnectionProxy) -> None:
        """Take the table lock that orders notification ids by commit (held until commit)."""
        try:
            # one round trip for both statements
            await conn.execute(self._lock_sql)
        except asyncpg.LockNotAvailableError as exc:
            raise ConflictError("系统繁忙，请重试") from exc

    async def insert_locked(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        events: Sequence[StoredEvent],
        *,
        notify: bool = False,
    ) -> list[int]:
        """Insert under a lock the caller holds; with ``notify``, the readers are woken at
        commit too (otherwise that is the caller's job)."""
        if not events:
            return []
        try:
            rows = await conn.fetch(
                self._insert_notify if notify else self._insert,
                [e.originator_id for e in events],
                [e.originator_version for e in events],
                [e.topic for e in events],
                [e.state for e in events],
            )
        except asyncpg.UniqueViolationError as exc:
            raise ConflictError("记录已被他人修改，请重试") from exc
        # ids in the order of ``events`` (a group splits them per command by position)
        assigned = {(r[0], r[1]): r[2] for r in rows}
        return [assigned[(e.originator_id, e.originator_version)] for e in events]

    async def select_events(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        originator_id: UUID,
        *,
        after_version: int = 0,
    ) -> list[StoredEvent]:
        """One aggregate's events in version order."""
        rows = await conn.fetch(
            f"SELECT originator_version, topic, state FROM {self.table} "
            "WHERE originator_id = $1 AND originator_version > $2 ORDER BY originator_version",
            originator_id,
            after_version,
        )
        return [
            StoredEvent(
                originator_id=originator_id,
                originator_version=r[0],
                topic=r[1],
                state=bytes(r[2]),
            )
            for r in rows
        ]

    async def select_latest(
        self, conn: asyncpg.Connection | PoolConnectionProxy, originator_id: UUID
    ) -> tuple[StoredEvent | None, list[StoredEvent]]:
        """The newest snapshot (if any) and the events after it, in one round trip."""
        rows = await conn.fetch(
            f"WITH s AS (SELECT originator_version, topic, state FROM {self.snapshots}"
            " WHERE originator_id = $1 ORDER BY originator_version DESC LIMIT 1)"
            " SELECT true AS snap, originator_version, topic, state FROM s"
            f" UNION ALL SELECT false, originator_version, topic, state FROM {self.table}"
            " WHERE originator_id = $1"
            " AND originator_version > coalesce((SELECT originator_version FROM s), 0)"
            " ORDER BY snap DESC, originator_version",
            originator_id,
        )
        snapshot: StoredEvent | None = None
        events: list[StoredEvent] = []
        for r in rows:
            stored = StoredEvent(
                originator_id=originator_id,
                originator_version=r[1],
                topic=r[2],
                state=bytes(r[3]),
            )
            if r[0]:
                snapshot = stored
            else:
                events.append(stored)
        return snapshot, events

    async def insert_snapshot(
        self, conn: asyncpg.Connection | PoolConnectionProxy, snapshot: StoredEvent
    ) -> None:
        """Keep a snapshot (a cache of state at a version: losing one costs only speed)."""
        await conn.execute(
            f"INSERT INTO {self.snapshots} (originator_id, originator_version, topic, state)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            snapshot.originator_id,
            snapshot.originator_version,
            snapshot.topic,
            snapshot.state,
        )

    async def select_notifications(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        *,
        after: int,
        limit: int,
        up_to: int | None = None,
    ) -> list[Notification]:
        """Events of the whole log with notification id above ``after``, in order."""
        rows = await conn.fetch(
            f"SELECT notification_id, originator_id, originator_version, topic, state "
            f"FROM {self.table} WHERE notification_id > $1 AND notification_id <= $2 "
            "ORDER BY notification_id LIMIT $3",
            after,
            up_to if up_to is not None else 2**63 - 1,
            limit,
        )
        return [Notification(r[0], r[1], r[2], r[3], bytes(r[4])) for r in rows]

    async def max_notification_id(
        self, conn: asyncpg.Connection | PoolConnectionProxy | asyncpg.Pool
    ) -> int:
        """The head of the log (0 when empty)."""
        value = await conn.fetchval(f"SELECT max(notification_id) FROM {self.table}")
        return int(value or 0)
