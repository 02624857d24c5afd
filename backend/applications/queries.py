"""Progress, "my applications", the work queues and the history."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.application import Application
from domain.errors import NotFound
from domain.personal import ERASED_TEXT, Personal

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["get_progress", "history", "list_mine", "wait_for_position", "worklist"]

_PROGRESS = "progress"


async def wait_for_position(services: Services, position: int, projection: str = _PROGRESS) -> None:
    """Wait briefly until the read model has applied ``position`` (read your own writes)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + services.settings.projection_wait_seconds
    delay = 0.005
    while await services.runner.position(projection) < position:
        if loop.time() >= deadline:
            return  # answer with what we have; the client can ask again
        services.runner.wake()
        await asyncio.sleep(delay)
        delay = min(delay * 2, 0.05)


def _visible_clause(principal: Principal) -> tuple[str, list[Any]]:
    if principal.role == "citizen":
        return "citizen_id = $2", [UUID(principal.id)]
    if principal.role in ("supervisor", "admin"):
        return "TRUE", []
    return "$2 = ANY(departments)", [principal.department]


async def get_progress(
    services: Services, principal: Principal, application_id: UUID, after: int | None = None
) -> dict[str, Any]:
    """The citizen's view of one application; 404 for anyone who may not see it."""
    if after:
        await wait_for_position(services, after)
    clause, args = _visible_clause(principal)
    detail = await services.pool.fetchval(
        f"SELECT detail FROM application_view WHERE id = $1 AND {clause}",  # noqa: S608
        application_id,
        *args,
    )
    if detail is None:
        raise NotFound("application not found")
    result: dict[str, Any] = detail
    return result


async def list_mine(
    services: Services, citizen: Principal, after: int | None = None
) -> list[dict[str, Any]]:
    """My applications, newest first."""
    if after:
        await wait_for_position(services, after)
    rows = await services.pool.fetch(
        "SELECT id, number, service_name, status, status_text, updated_at FROM application_view"
        " WHERE citizen_id = $1 ORDER BY submitted_at DESC LIMIT 200",
        UUID(citizen.id),
    )
    return [
        {
            "id": str(r["id"]),
            "number": r["number"],
            "serviceName": r["service_name"],
            "status": r["status"],
            "statusText": r["status_text"],
            "updatedAt": r["updated_at"],
        }
        for r in rows
    ]


# Which queues each role works: clerks at the window accept and hand out, reviewers review.
_ROLE_QUEUES = {"clerk": ("acceptance", "issue"), "reviewer": ("review",)}


async def worklist(
    services: Services, staff: Principal, queue: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Applications waiting for my department, earliest deadline first."""
    everyone = staff.role in ("supervisor", "admin")
    queues = _ROLE_QUEUES.get(staff.role, ("acceptance", "review", "issue"))
    if queue is not None:
        queues = tuple(q for q in queues if q == queue)
    rows = await services.pool.fetch(
        "SELECT id, number, service_code, service_name, status, status_text, queue,"
        " pending_departments, submitted_at, deadline, legal_deadline, escalations"
        " FROM application_view"
        " WHERE queue = ANY($1::text[]) AND ($2 OR $3 = ANY(pending_departments))"
        " ORDER BY deadline NULLS LAST, submitted_at LIMIT $4 OFFSET $5",
        list(queues),
        everyone,
        staff.department,
        limit,
        offset,
    )
    return [
        {
            "id": str(r["id"]),
            "number": r["number"],
            "serviceCode": r["service_code"],
            "serviceName": r["service_name"],
            "status": r["status"],
            "statusText": r["status_text"],
            "queue": r["queue"],
            "departments": list(r["pending_departments"]),
            "submittedAt": r["submitted_at"],
            "deadline": r["deadline"],
            "legalDeadline": r["legal_deadline"],
            "escalations": r["escalations"],
        }
        for r in rows
    ]


_SKIP = frozenset({"originator_id", "originator_version", "timestamp", "originator_topic"})


def _revealed(value: Any) -> Any:
    """Event data as staff see it: personal data in clear, or "[已删除]" once erased."""
    if isinstance(value, Personal):
        return ERASED_TEXT if value.erased else _revealed(value.value)
    if isinstance(value, dict):
        return {k: _revealed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revealed(v) for v in value]
    return value


async def history(
    services: Services, staff: Principal, application_id: UUID
) -> list[dict[str, Any]]:
    """Every event of the application, in order, with actor and time (from the event store)."""
    events = await services.repository.events(application_id)
    aggregate: Any = None
    for event in events:
        aggregate = event.mutate(aggregate)
    if not isinstance(aggregate, Application):
        raise NotFound("application not found")
    aggregate.ensure_visible_to(staff.actor())
    entries = []
    for event in events:
        data = {k: _revealed(v) for k, v in vars(event).items() if k not in _SKIP}
        actor = data.pop("actor", None)
        if isinstance(event, Application.Submitted):
            actor = {"id": str(event.citizen_id), "role": "citizen"}
        elif actor is None:  # decided by the rules, not by a person
            actor = {"id": "system", "role": "system"}
        entries.append(
            {
                "version": event.originator_version,
                "type": type(event).__name__,
                "at": event.timestamp,
                "actor": actor,
                "data": data,
            }
        )
    return entries
