"""Group commit: the saves of concurrent commands share one transaction, one lock, one fsync.

Every command still gets exactly what a transaction of its own would give it: its events are
inserted under a savepoint, so a version conflict (or any error in its ``after_insert`` rows)
rolls back that command alone while the others commit. The table lock is taken once per group
and held to the single commit, so notification ids still follow commit order and a reader that
tracks "last id seen" never skips one. When the writer is idle a save goes out at once (a group
of one); while a group is being committed, new saves queue up and form the next group.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import asyncpg
from eventsourcing.persistence import StoredEvent

from backend.eventstore.types import CommitFailed, Saved
from domain.errors import ConflictError

if TYPE_CHECKING:
    from backend.eventstore.recorder import Recorder
    from backend.eventstore.types import AfterInsert

__all__ = ["GroupCommitWriter"]

_log = logging.getLogger(__name__)


@dataclass
class _Pending:
    events: Sequence[StoredEvent]
    after_insert: AfterInsert | None
    done: asyncio.Future[Saved] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class GroupCommitWriter:
    """One per process: gathers concurrent saves and commits them together."""

    def __init__(self, pool: asyncpg.Pool, recorder: Recorder, *, max_commands: int = 200) -> None:
        self.pool = pool
        self.recorder = recorder
        self.max_commands = max_commands
        self._queue: list[_Pending] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()  # set when nothing is queued or being committed
        self.groups = 0  # for /metrics and tests
        self.commands = 0

    async def save(self, events: Sequence[StoredEvent], after_insert: AfterInsert | None) -> Saved:
        """Queue one command's events; return its positions once its group has committed."""
        pending = _Pending(events, after_insert)
        self._queue.append(pending)
        self._idle.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="group-commit")
        return await pending.done

    async def close(self) -> None:
        """Stop the writer once the queued saves are committed."""
        if self._task is not None and not self._task.done():
            async with asyncio.timeout(30):
                await self._idle.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            if not self._queue:
                self._wake.clear()
                self._idle.set()
                await self._wake.wait()
                continue
            self._idle.clear()
            group = self._queue[: self.max_commands]
            del self._queue[: len(group)]
            await self._commit(group)

    async def _commit(self, group: list[_Pending]) -> None:

        if len(group) == 1:
            await self._commit_alone(group[0])
            return
        results: list[Saved | BaseException] | None = None
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await self.recorder.lock(conn)
                results = await self._all_at_once(conn, group)
                if results is None:  # someone's conflict: one savepoint per command instead
                    results = [await self._one(conn, pending) for pending in group]
                if any(not isinstance(r, BaseException) and r.notification_ids for r in results):
                    await conn.execute(f"NOTIFY {self.recorder.channel}")
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            _log.warning("group commit of %d commands failed: %s", len(group), exc)
            failure = CommitFailed(f"the commit failed, nothing was written: {exc}")
            for pending in group:
                if not pending.done.done():
                    pending.done.set_exception(failure)
            return
        self.groups += 1
        self.commands += len(group)
        for pending, result in zip(group, results, strict=True):
            if pending.done.done():  # the caller was cancelled
                continue
            if isinstance(result, BaseException):
                pending.done.set_exception(result)
            else:
                pending.done.set_result(result)

    async def _commit_alone(self, pending: _Pending) -> None:
        """A group of one (the writer was idle): a plain transaction, no savepoint."""
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                await self.recorder.lock(conn)
                ids = await self.recorder.insert_locked(conn, pending.events, notify=True)
                saved = Saved(tuple(ids))
                if pending.after_insert is not None:
                    await pending.after_insert(conn, saved)
        except (ConflictError, asyncpg.PostgresError) as exc:
            if not pending.done.done():
                failure: BaseException = exc
                if isinstance(exc, asyncpg.PostgresConnectionError):
                    failure = CommitFailed(f"the commit failed, nothing was written: {exc}")
                pending.done.set_exception(failure)
            return
        except (OSError, asyncpg.InterfaceError) as exc:
            if not pending.done.done():
                pending.done.set_exception(CommitFailed(f"the commit failed: {exc}"))
            return
        self.groups += 1
        self.commands += 1
        if not pending.done.done():
            pending.done.set_result(saved)

    async def _all_at_once(
        self, conn: asyncpg.pool.PoolConnectionProxy, group: list[_Pending]
    ) -> list[Saved | BaseException] | None:
        """The common case, no conflict: every command's events in one INSERT, their rows
        after it, under one savepoint. None when anything failed (all of it rolled back)."""
        events = [event for pending in group for event in pending.events]
        try:
            async with conn.transaction():
                ids = await self.recorder.insert_locked(conn, events)
                saved: list[Saved | BaseException] = []
                start = 0
                for pending in group:
                    mine = Saved(tuple(ids[start : start + len(pending.events)]))
                    start += len(pending.events)
                    if pending.after_insert is not None:
                        await pending.after_insert(conn, mine)
                    saved.append(mine)
        except (ConflictError, asyncpg.PostgresError) as exc:
            if isinstance(exc, asyncpg.PostgresConnectionError):
                raise
            return None
        return saved

    async def _one(
        self, conn: asyncpg.pool.PoolConnectionProxy, pending: _Pending
    ) -> Saved | BaseException:
        """Insert one command under its own savepoint; its failure is its own."""
        try:
            async with conn.transaction():  # a savepoint inside the group's transaction
                ids = await self.recorder.insert_locked(conn, pending.events)
                saved = Saved(tuple(ids))
                if pending.after_insert is not None:
                    await pending.after_insert(conn, saved)
        except (ConflictError, asyncpg.PostgresError) as exc:
            # the savepoint rolled this command back; a dead connection fails the whole group
            # when the rollback or the commit is attempted
            if isinstance(exc, asyncpg.PostgresConnectionError):
                raise
            return exc
        return saved
