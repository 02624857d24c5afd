"""Life events and a citizen's bundles, from their read models; each item's status, department
and timeline from its application's progress view."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from backend.bundles.dto import (
    BundleEntry,
    BundleItemView,
    BundleView,
    LifeEventGuide,
    LifeEventSummary,
)
from backend.catalog.queries import definition_of
from backend.read_side import read_model
from domain.errors import NotFound
from domain.life_events import BundleItem, LifeEventDefinition, bundle_state

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.db.reader import Queries
    from backend.services import Services

__all__ = [
    "BUNDLES",
    "bundle_of_application",
    "get_bundle",
    "get_life_event",
    "list_bundles",
    "list_life_events",
]

BUNDLES = "bundles"  # the projection's name (backend.bootstrap.projections)
_PROGRESS = "progress"


async def list_life_events(db: Queries) -> list[LifeEventSummary]:
    """Every published life event, by code."""
    rows = await db.fetch("SELECT definition FROM life_event_view ORDER BY code")
    return [
        LifeEventSummary(
            code=r[0]["code"],
            name=r[0]["name"],
            items=tuple(i["serviceCode"] for i in r[0]["items"]),
        )
        for r in rows
    ]


async def get_life_event(db: Queries, catalog: Queries, code: str) -> LifeEventGuide:
    """The guide of one life event (404 when there is none)."""
    raw = await db.fetchval("SELECT definition FROM life_event_view WHERE code = $1", code)
    if raw is None:
        raise NotFound(f"没有这件“一件事”：{code}")
    event = msgspec.convert(raw, LifeEventDefinition)
    definitions = {c: await definition_of(catalog, c) for c in event.service_codes}
    return LifeEventGuide.of(event, definitions)


_BUNDLE = (
    "SELECT id, number, life_event_code, life_event_name, submitted_at, items, failed, timeline"
    " FROM bundle_view"
)


async def _view(db: Queries, row: Any) -> BundleView:
    items = [msgspec.convert(i, BundleItem) for i in row["items"]]
    apps = await db.fetch(
        "SELECT id, status, department, detail -> 'timeline' AS timeline FROM application_view"
        " WHERE id = ANY($1::uuid[])",
        [UUID(i.application_id) for i in items],
    )
    by_id = {str(a["id"]): a for a in apps}
    state = bundle_state(
        items, {k: a["status"] for k, a in by_id.items()}, dict(row["failed"] or {})
    )
    departments = {k: a["department"] for k, a in by_id.items()}
    timeline = [
        BundleEntry(at=datetime.fromisoformat(e["at"]), type=e["type"], text=e["text"])
        for e in row["timeline"]
    ]
    for item in items:
        found = by_id.get(item.application_id)
        for entry in (found["timeline"] if found is not None else None) or ():
            timeline.append(
                BundleEntry(
                    at=datetime.fromisoformat(entry["at"]),
                    type=entry["type"],
                    text=f"【{item.service_name}】{entry['text']}",
                    service_code=item.service_code,
                )
            )
    timeline.sort(key=lambda e: e.at)
    return BundleView(
        id=str(row["id"]),
        number=row["number"],
        life_event_code=row["life_event_code"],
        life_event_name=row["life_event_name"],
        status=state.status,
        status_text=state.status_text,
        submitted_at=row["submitted_at"],
        items=tuple(
            BundleItemView(
                service_code=s.service_code,
                service_name=s.service_name,
                application_id=s.application_id,
                number=s.number,
                status=s.status,
                status_text=s.status_text,
                department=departments.get(s.application_id, s.department),
                goes_on=s.goes_on,
            )
            for s in state.items
        ),
        timeline=tuple(timeline),
        fee=sum(i.fee for i in items),
        notice=state.notice,
    )


async def _reader(services: Services, after: int | None) -> Queries:
    """A database whose bundles and progress read models both have ``after``."""
    if after:
        await read_model(services, BUNDLES, after)
        return await read_model(services, _PROGRESS, after)
    return await read_model(services, BUNDLES)


async def list_bundles(
    services: Services, citizen: Principal, after: int | None = None
) -> list[BundleView]:
    """The caller's bundles, newest first."""
    db = await _reader(services, after)
    rows = await db.fetch(
        f"{_BUNDLE} WHERE citizen_id = $1 ORDER BY submitted_at DESC LIMIT 100",
        UUID(citizen.id),
    )
    return [await _view(db, r) for r in rows]


async def get_bundle(
    services: Services, citizen: Principal, bundle_id: UUID, after: int | None = None
) -> BundleView:
    """One of the caller's bundles (404 for anyone else's)."""
    db = await _reader(services, after)
    row = await db.fetchrow(
        f"{_BUNDLE} WHERE id = $1 AND citizen_id = $2",
        bundle_id,
        UUID(citizen.id),
    )
    if row is None:
        raise NotFound("没有这件“一件事”")
    return await _view(db, row)


async def bundle_of_application(services: Services, application_id: UUID) -> BundleView | None:
    """The bundle an application is an item of (for staff: the case page), if any."""
    db = await read_model(services, BUNDLES)
    row = await db.fetchrow(
        f"{_BUNDLE} WHERE id = (SELECT bundle_id FROM bundle_members"  # noqa: S608
        " WHERE application_id = $1)",
        application_id,
    )
    return None if row is None else await _view(db, row)
