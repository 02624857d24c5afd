"""The published catalogue, from its read model."""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import TYPE_CHECKING
from uuid import UUID

import msgspec

from backend.catalog.dto import ServiceGuide, ServiceSummary
from backend.certificates.holdings import holdings_of
from backend.http import pages
from backend.http.pages import Page
from backend.proxies.access import acting_for
from domain.catalog import ServiceDefinition, service_item_id
from domain.certificates.rules import satisfying
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.db.reader import Queries
    from backend.services import Services

__all__ = [
    "ServiceFilter",
    "ServiceVersion",
    "definition_of",
    "departments",
    "find_services",
    "get_service",
    "guide_for",
    "list_services",
    "service_versions",
]


async def list_services(
    db: Queries, q: str | None = None, department: str | None = None
) -> list[ServiceSummary]:
    """Items matching a name/code search and a department, by code."""
    rows = await db.fetch(
        "SELECT definition FROM catalog_view"
        " WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR code ILIKE $1 || '%')"
        " AND ($2::text IS NULL OR department = $2) ORDER BY code",
        q or None,
        department or None,
    )
    return [msgspec.convert(r[0], ServiceSummary) for r in rows]


class ServiceFilter(msgspec.Struct, frozen=True):
    """Which items of the catalogue, and which page of them (by code)."""

    q: str | None = None
    department: str | None = None
    kind: str | None = None
    online: bool | None = None
    limit: int = pages.DEFAULT_LIMIT
    cursor: str | None = None


async def find_services(db: Queries, which: ServiceFilter) -> Page[ServiceSummary]:
    """A page of the items matching a name/code search, a department, a kind (许可, 给付 ...)
    and whether they can be done wholly online, by code (keyset on the code)."""
    start = pages.decode(which.cursor, tuple[str])
    rows = await db.fetch(
        "SELECT code, definition FROM catalog_view"
        " WHERE ($1::text IS NULL OR name ILIKE '%' || $1 || '%' OR code ILIKE $1 || '%')"
        " AND ($2::text IS NULL OR department = $2)"
        " AND ($3::text IS NULL OR definition->>'kind' = $3)"
        " AND ($4::boolean IS NULL OR (definition->>'online')::boolean = $4)"
        " AND ($5::text IS NULL OR code > $5) ORDER BY code LIMIT $6",
        which.q or None,
        which.department or None,
        which.kind or None,
        which.online,
        start[0] if start else None,
        which.limit + 1,
    )
    shown, next_key = pages.page_of(rows, which.limit, lambda r: (r["code"],))
    return Page([msgspec.convert(r["definition"], ServiceSummary) for r in shown], next_key)


async def definition_of(db: Queries, code: str) -> ServiceDefinition:
    """The published definition of one item (404 when there is none)."""
    definition = await db.fetchval("SELECT definition FROM catalog_view WHERE code = $1", code)
    if definition is None:
        raise NotFound(f"事项{code}不存在")
    return msgspec.convert(definition, ServiceDefinition)


async def get_service(db: Queries, code: str) -> ServiceGuide:
    """The guide of one item."""
    return ServiceGuide.of(await definition_of(db, code))


async def guide_for(
    services: Services,
    db: Queries,
    code: str,
    citizen_id: UUID,
    principal_id: UUID | None = None,
) -> ServiceGuide:
    """The guide as a logged-in citizen sees it: each material they need not hand in because
    they hold a valid certificate of a type it accepts says which one (免提交). An agent for
    ``principal_id`` sees the principal's, when an authorisation lets them use those for
    this item now; otherwise their own (nothing says whether the principal exists)."""
    definition = await definition_of(db, code)
    now = services.clock()
    holder = citizen_id
    if principal_id is not None and principal_id != citizen_id:
        with contextlib.suppress(NotFound):
            authorisation = await acting_for(
                services, citizen_id, principal_id, code, now, with_certificates=True
            )
            if authorisation.use_certificates:
                holder = principal_id
    held = await holdings_of(services, holder)
    today = now.date()
    satisfied = {
        (situation.id, material.id): found
        for situation in definition.situations
        for material in situation.materials
        if (found := satisfying(material, held, today)) is not None
    }
    return ServiceGuide.of(definition, satisfied)


async def departments(db: Queries) -> list[str]:
    """Every department the catalogue names (lead or in a review stage), sorted."""
    rows = await db.fetch("SELECT definition FROM catalog_view")
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
