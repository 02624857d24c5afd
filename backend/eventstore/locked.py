"""A write transaction whose ``BEGIN`` and table lock go to the server in one round trip.

asyncpg's ``conn.transaction()`` sends ``BEGIN`` on its own, then the lock is a second round
trip; every command's save paid both (and the event loop's CPU for each). Here ``BEGIN``,
``SET LOCAL lock_timeout`` and ``LOCK TABLE`` are one simple query, and the transaction is
ended by ``COMMIT`` or ``ROLLBACK`` statements of ours. Inside it, asyncpg's
``conn.transaction()`` cannot be used (it refuses a manually started transaction): savepoints
are ``savepoint`` below, and ``after_insert`` hooks must not open transactions of their own.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import asyncpg

from backend.eventstore.types import CommitFailed
from domain.errors import ConflictError

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

    from backend.eventstore.recorder import Recorder

__all__ = ["begin_locked", "commit", "locked_transaction", "rollback", "savepoint"]


async def begin_locked(conn: asyncpg.Connection | PoolConnectionProxy, recorder: Recorder) -> None:
    """Open a transaction holding the events table's lock; ``ConflictError`` (rolled back)
    when the lock is not granted within the recorder's lock timeout."""
    try:
        await conn.execute(recorder.begin_locked_sql)
    except asyncpg.LockNotAvailableError as exc:
        await rollback(conn)
        raise ConflictError("系统繁忙，请重试") from exc
    except asyncpg.PostgresError:
        await rollback(conn)
        raise


async def commit(conn: asyncpg.Connection | PoolConnectionProxy) -> None:
    """``COMMIT``; ``CommitFailed`` when the server rolled back instead (a statement of the
    transaction failed and nobody rolled back: never silently lose a command)."""
    status = await conn.execute("COMMIT")
    if status != "COMMIT":
        msg = f"the transaction was rolled back ({status}), nothing was written"
        raise CommitFailed(msg)


async def rollback(conn: asyncpg.Connection | PoolConnectionProxy) -> None:
    """``ROLLBACK`` if the connection is still open (the pool rolls back anyway on release)."""
    if not conn.is_closed():
        await conn.execute("ROLLBACK")


@contextlib.asynccontextmanager
async def locked_transaction(
    conn: asyncpg.Connection | PoolConnectionProxy, recorder: Recorder
) -> AsyncIterator[None]:
    """``begin_locked``, then ``COMMIT`` when the block succeeds, ``ROLLBACK`` when it raises
    (a rollback that fails too leaves the original error; the pool discards the connection)."""
    await begin_locked(conn, recorder)
    try:
        yield
    except BaseException:
        with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            await rollback(conn)
        raise
    await commit(conn)


@contextlib.asynccontextmanager
async def savepoint(conn: asyncpg.Connection | PoolConnectionProxy) -> AsyncIterator[None]:
    """A savepoint in the open transaction: released when the block succeeds, rolled back to
    when it raises (the error goes on; a failed rollback, a dead connection, replaces it)."""
    await conn.execute("SAVEPOINT command")
    try:
        yield
    except BaseException:
        await conn.execute("ROLLBACK TO SAVEPOINT command")
        raise
    await conn.execute("RELEASE SAVEPOINT command")
