"""The database one query of a read model runs on: a replica chosen for the request, or the
primary; a replica that fails mid-request is left out and the primary answers instead."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from backend.db.replicas import LOST

if TYPE_CHECKING:
    from backend.db.fair import FairQueries
    from backend.db.replicas import Replica

__all__ = ["Queries", "Reader"]


class Queries(Protocol):
    """What a query of a read model needs of a database (an asyncpg pool has it too)."""

    async def fetch(self, query: str, *args: Any) -> list[Any]: ...

    async def fetchrow(self, query: str, *args: Any) -> Any: ...

    async def fetchval(self, query: str, *args: Any) -> Any: ...


class Reader:
    """``fetch``/``fetchrow``/``fetchval`` on ``replica`` (None: the primary), falling back
    to the primary when the replica cannot answer (``on_lost`` is told why); each in its
    turn at its pool (``backend.db.fair``)."""

    def __init__(
        self,
        primary: FairQueries,
        replica: Replica | None = None,
        on_lost: Callable[[Replica, BaseException], None] | None = None,
    ) -> None:
        self.primary = primary
        self.replica = replica
        self._on_lost = on_lost

    @property
    def source(self) -> str:
        """Who answers now: ``primary`` or the replica's name."""
        return self.replica.name if self.replica is not None else "primary"

    async def _run(self, method: str, query: str, args: tuple[Any, ...]) -> Any:
        replica = self.replica
        if replica is not None:
            try:
                return await getattr(replica.reads, method)(query, *args)
            except LOST as exc:
                self.replica = None  # the rest of the request reads the primary too
                if self._on_lost is not None:
                    self._on_lost(replica, exc)
        return await getattr(self.primary, method)(query, *args)

    async def fetch(self, query: str, *args: Any) -> list[Any]:
        """Rows, as ``asyncpg.Pool.fetch``."""
        rows: list[Any] = await self._run("fetch", query, args)
        return rows

    async def fetchrow(self, query: str, *args: Any) -> Any:
        """One row or None, as ``asyncpg.Pool.fetchrow``."""
        return await self._run("fetchrow", query, args)

    async def fetchval(self, query: str, *args: Any) -> Any:
        """One value, as ``asyncpg.Pool.fetchval``."""
        return await self._run("fetchval", query, args)
