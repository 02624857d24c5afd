"""What the parts of the event store hand each other: what a save wrote, and the hooks."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol, Self

import msgspec

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
    from eventsourcing.persistence import StoredEvent

__all__ = ["AfterInsert", "CommitFailed", "GroupRows", "Saved", "Writer", "chain"]


class Saved(msgspec.Struct, frozen=True):
    """What a command wrote: the notification ids of its events; ``position`` is the last."""

    notification_ids: tuple[int, ...]

    @property
    def position(self) -> int:
        return self.notification_ids[-1] if self.notification_ids else 0


# Rows a command implies (idempotency record, outbox), written in its transaction. A hook runs
# statements on the connection it is given and opens no transaction or savepoint of its own
# (the writers start theirs by hand, see ``locked``: asyncpg's ``conn.transaction()`` refuses).
AfterInsert = Callable[["asyncpg.Connection | PoolConnectionProxy", Saved], Awaitable[None]]


def chain(*hooks: AfterInsert | None) -> AfterInsert | None:
    """One ``after_insert`` that runs the given ones in order (None when there are none)."""
    present = [hook for hook in hooks if hook is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]

    async def run(conn: asyncpg.Connection | PoolConnectionProxy, saved: Saved) -> None:
        for hook in present:
            await hook(conn, saved)

    return run


class GroupRows(ABC):
    """Rows a command implies, of a kind that group commit writes for all the commands of a
    group in one statement: one round trip per group instead of one per command, inside the
    transaction that holds the table lock. Written alone when the command is alone."""

    @classmethod
    @abstractmethod
    async def write_all(
        cls, conn: asyncpg.Connection | PoolConnectionProxy, rows: Sequence[Self]
    ) -> None:
        """Write every one of ``rows`` (one per command, all of this class); raise when any
        cannot be written: the group is then written again command by command, so that the
        failure is only that command's."""


class CommitFailed(RuntimeError):
    """The transaction did not commit (connection lost, server restart): nothing of the
    command was written; the caller may retry with its Idempotency-Key (HTTP 503)."""


class Writer(Protocol):
    """Writes one command's stored events, its ``rows`` and its ``after_insert`` rows,
    atomically (``rows`` first)."""

    async def save(
        self,
        events: Sequence[StoredEvent],
        after_insert: AfterInsert | None,
        rows: GroupRows | None = None,
    ) -> Saved: ...

    async def close(self) -> None: ...
