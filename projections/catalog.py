"""The published catalogue: newest version of each service item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from domain.catalog import ServiceItem

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["CatalogProjection"]


class CatalogProjection:
    """Keeps ``catalog_view``: one row per service code."""

    name: str = "catalog"
    tables: tuple[str, ...] = ("catalog_view",)

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        if not isinstance(event, ServiceItem.Published | ServiceItem.Revised):
            return
        definition: dict[str, Any] = event.definition
        await conn.execute(
            "INSERT INTO catalog_view (code, version, name, department, definition, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (code) DO UPDATE SET"
            " version = excluded.version, name = excluded.name,"
            " department = excluded.department, definition = excluded.definition,"
            " updated_at = excluded.updated_at",
            definition["code"],
            event.originator_version,
            definition["name"],
            definition["department"],
            definition,
            event.timestamp,
        )
