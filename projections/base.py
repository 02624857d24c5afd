"""What a projection is: a read model kept from the event log, exactly once per event."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy
    from eventsourcing.persistence import StoredEvent

    from domain.events import Event

__all__ = ["BatchProjection", "Decoder", "EventLog", "Notification", "Projection"]

# Stored events as domain events, loading on ``conn`` the keys their personal data needs.
Decoder = Callable[["Sequence[StoredEvent]", Any], Awaitable["list[Event]"]]


class Notification(Protocol):
    """A stored event with its position in the whole log."""

    @property
    def id(self) -> int: ...

    def stored_event(self) -> StoredEvent: ...


class EventLog(Protocol):
    """The part of the event store the runner reads."""

    channel: str  # NOTIFY channel of new events

    async def select_notifications(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        *,
        after: int,
        limit: int,
        up_to: int | None = None,
    ) -> Sequence[Notification]: ...


class Projection(Protocol):
    """One read model. ``process`` runs inside the transaction that also moves the tracking."""

    name: str
    tables: tuple[str, ...]  # emptied by a rebuild

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        """Apply one event; ignore the event types this read model does not use."""
        ...


@runtime_checkable
class BatchProjection(Projection, Protocol):
    """A read model that takes a whole batch at once (each row it touches read and written
    once); the runner prefers this to calling ``process`` per event."""

    async def process_batch(
        self, conn: asyncpg.Connection | PoolConnectionProxy, events: Sequence[Event]
    ) -> None:
        """Apply ``events`` in order, in the runner's transaction."""
        ...
