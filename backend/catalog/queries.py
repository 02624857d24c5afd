"""The published catalogue, from its read model."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import msgspec

from backend.catalog.dto import ServiceGuide, ServiceSummary
from domain.catalog import service_item_id
from domain.errors import NotFound

if TYPE_CHECKING:
    import asyncpg

    from backend.services import Services

__all__ = ["ServiceVersion", "departments", "get_service", "list_services", "service_versions"]


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
        raise NotFound(f"事项{code}不存在")
    return msgspec.convert(definition, ServiceGuide)


async def departments(pool: asyncpg.Pool) -> list[str]:
    """Every department the catalogue names (lead or in a review stage), sorted."""
    rows = await pool.fetch("SELECT definition FROM catalog_view")
    found = {r[0]["department"] for r in rows}
    for row in rows:
        found.update(d for stage in row[0].get("stages", []) for d in stage)
    return sorted(found)


class ServiceVersion(msgspec.Struct, frozen=True):
    version: int
    at: datetime
    name: str
    promised_days: int
    fee: int


async def service_versions(services: Services, code: str) -> list[ServiceVersion]:
    """Every published version of an item, newest first (from its event stream)."""
    events = await services.repository.events(service_item_id(code))
    versions = []
    for event in events:
        definition = getattr(event, "definition", None)
        if isinstance(definition, dict):
            versions.append(
                ServiceVersion(
                    version=event.originator_version,
                    at=event.timestamp,
                    name=definition.get("name", ""),
                    promised_days=definition.get("promisedDays", 0),
                    fee=definition.get("fee", 0),
                )
            )
    if not versions:
        raise NotFound(f"事项{code}不存在")
    return versions[::-1]
