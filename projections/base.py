"""What a projection is: a read model kept from the event log, exactly once per event."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from backend.eventstore.mapper import Event

__all__ = ["Projection"]


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
