"""The published catalogue, from its read model."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from backend.catalog.dto import ServiceGuide, ServiceSummary
from domain.errors import NotFound

if TYPE_CHECKING:
    import asyncpg

__all__ = ["get_service", "list_services"]


async def list_services(
    pool: asyncpg.Pool, q: str | None = None, department: str | None = None
) -> list[ServiceSummary]:
    """Items matching a name/code search and a department, by code."""
    rows = await pool.fetch(
        "SELECT definition FROM catalog_view"
        " WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR code ILIKE $1 || '%')"
        " AND ($2::text IS NULL OR department = $2) ORDER BY code",
        q or None,
        department or None,
    )
    return [msgspec.convert(r[0], ServiceSummary) for r in rows]


async def get_service(pool: asyncpg.Pool, code: str) -> ServiceGuide:
    """The guide of one item."""
    definition = await pool.fetchval("SELECT definition FROM catalog_view WHERE code = $1", code)
    if definition is None:
        raise NotFound(f"no service item {code}")
    return msgspec.convert(definition, ServiceGuide)
