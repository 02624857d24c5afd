"""Group commit: the saves of concurrent commands share one transaction, one lock, one fsync.

Every command still gets exactly what a transaction of its own would give it. The group's
events go in with one INSERT (which also notifies the readers at commit), then the commands'
``GroupRows`` in one statement per kind, then each command's ``after_insert`` rows. If any of
it fails (a version conflict, an error in someone's rows), that transaction is rolled back and
the group is written again with each command under its own savepoint, so the failure is that
command's alone while the others commit. The table lock is taken once per group (in the same
round trip as ``BEGIN``, see ``locked``) and held to the single commit, so notification ids
still follow commit order and a reader that tracks "last id seen" never skips one. When the
writer is idle a save goes out at once (a group of one); while a group is being committed, new
saves queue up and form the next group.
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

from backend.eventstore.locked import begin_locked, commit, rollback, savepoint
from backend.eventstore.types import CommitFailed, Saved
from domain.errors import ConflictError

if TYPE_CHECKING:
    from backend.eventstore.recorder import Recorder
    from backend.eventstore.types import AfterInsert, GroupRows

__all__ = ["GroupCommitWriter"]

_log = logging.getLogger(__name__)

# errors after which the connection (and its transaction) is gone
_LOST = (
    OSError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.AdminShutdownError,
    asyncpg.exceptions.CrashShutdownError,
    # the server's FATAL arrived while the connection was idle: its protocol is out of step
    asyncpg.exceptions.InternalClientError,
)


@dataclass
class _Pending:
    events: Sequence[StoredEvent]
    after_insert: AfterInsert | None
    rows: GroupRows | None
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

    async def save(
        self,
        events: Sequence[StoredEvent],
        after_insert: AfterInsert | None,
        rows: GroupRows | None = None,
    ) -> Saved:
        """Queue one command's events; return its positions once its group has committed."""
        pending = _Pending(events, after_insert, rows)
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
            try:
                await self._commit(group)
            except Exception as exc:  # noqa: BLE001 - a dead writer would leave every caller waiting
                _log.exception("group commit of %d commands failed", len(group))
                self._fail(group, CommitFailed(f"the commit failed: {exc}"))

    async def _commit(self, group: list[_Pending]) -> None:
        try:
            async with self.pool.acquire() as conn:
                if len(group) == 1:
                    results = [await self._alone(conn, group[0])]
                else:
                    found = await self._all_at_once(conn, group)
                    # someone's failure: each command under its own savepoint instead
                    results = found if found is not None else await self._each(conn, group)
        except ConflictError as exc:  # the table lock was not granted in time: try again
            self._fail(group, exc)
            return
        except (*_LOST, asyncpg.PostgresError, CommitFailed) as exc:
            _log.warning("group commit of %d commands failed: %s", len(group), exc)
            self._fail(group, CommitFailed(f"the commit failed, nothing was written: {exc}"))
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

    @staticmethod
    def _fail(group: list[_Pending], failure: BaseException) -> None:
        for pending in group:
            if not pending.done.done():
                pending.done.set_exception(failure)

    async def _alone(
        self, conn: asyncpg.pool.PoolConnectionProxy, pending: _Pending
    ) -> Saved | BaseException:
        """A group of one (the writer was idle): a plain transaction, no savepoint. A conflict,
        or any error of its ``after_insert`` rows, is this command's answer."""
        await begin_locked(conn, self.recorder)
        try:
            saved = await self._insert(conn, pending)
        except Exception as exc:
            if _connection_lost(exc):
                raise
            await rollback(conn)
            return exc
        await commit(conn)
        return saved

    async def _all_at_once(
        self, conn: asyncpg.pool.PoolConnectionProxy, group: list[_Pending]
    ) -> list[Saved | BaseException] | None:
        """The common case, no conflict: every command's events in one INSERT (which also
        notifies), their rows after it, one transaction. None when anything failed: all of it
        was rolled back."""
        await begin_locked(conn, self.recorder)
        try:
            ids = await self.recorder.insert_locked(
                conn, [event for pending in group for event in pending.events], notify=True
            )
            kinds: dict[type[GroupRows], list[GroupRows]] = {}
            for pending in group:
                if pending.rows is not None:
                    kinds.setdefault(type(pending.rows), []).append(pending.rows)
            for kind, rows in kinds.items():
                await kind.write_all(conn, rows)
            saved: list[Saved | BaseException] = []
            start = 0
            for pending in group:
                mine = Saved(tuple(ids[start : start + len(pending.events)]))
                start += len(pending.events)
                if pending.after_insert is not None:
                    await pending.after_insert(conn, mine)
                saved.append(mine)
        except Exception as exc:
            if _connection_lost(exc):
                raise
            await rollback(conn)
            return None
        await commit(conn)
        return saved

    async def _each(
        self, conn: asyncpg.pool.PoolConnectionProxy, group: list[_Pending]
    ) -> list[Saved | BaseException]:
        """One transaction again, each command under its own savepoint: its failure (a
        version conflict, an error of its rows) is its own; the others commit."""
        await begin_locked(conn, self.recorder)
        try:
            results: list[Saved | BaseException] = []
            for pending in group:
                try:
                    async with savepoint(conn):
                        results.append(await self._insert(conn, pending))
                except Exception as exc:
                    if _connection_lost(exc):
                        raise
                    results.append(exc)
        except BaseException:
            with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                await rollback(conn)
            raise
        await commit(conn)
        return results

    async def _insert(self, conn: asyncpg.pool.PoolConnectionProxy, pending: _Pending) -> Saved:
        """One command's events (readers notified at commit) and its rows, in the open
        transaction under the lock."""
        saved = Saved(tuple(await self.recorder.insert_locked(conn, pending.events, notify=True)))
        if pending.rows is not None:
            await pending.rows.write_all(conn, [pending.rows])
        if pending.after_insert is not None:
            await pending.after_insert(conn, saved)
        return saved


def _connection_lost(exc: BaseException) -> bool:
    """Whether ``exc`` means the group's connection is gone (every command fails: nothing can
    have been committed), rather than one command's own failure."""
    return isinstance(exc, _LOST)
