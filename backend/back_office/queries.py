"""The departments' reads: the work queues and a case's full history."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from uuid import UUID

from backend.audit.reveals import record_reveal
from backend.back_office.dto import HistoryEntry, WorkItem
from backend.read_side import PROGRESS, read_model
from domain.application import Application, Queue, queues_for
from domain.application.access import may_see_personal_data
from domain.errors import NotFound
from domain.personal import ERASED_TEXT, Personal

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["PERSONAL_FIELDS", "WITHHELD", "history", "worklist"]


async def worklist(
    services: Services,
    staff: Principal,
    queue: Queue | None,
    limit: int,
    offset: int,
    *,
    after: int | None = None,
) -> list[WorkItem]:
    """Applications waiting for my department, earliest deadline first."""
    queues = [q for q in queues_for(staff.role) if queue is None or q == queue]
    db = await read_model(services, PROGRESS, after)
    rows = await db.fetch(
        "SELECT id, number, service_code, service_name, status, status_text, queue,"
        " pending_departments, submitted_at, deadline, legal_deadline, escalations"
        " FROM application_view"
        " WHERE queue = ANY($1::text[]) AND ($2 OR pending_departments @> ARRAY[$3::text])"
        " ORDER BY deadline NULLS LAST, submitted_at LIMIT $4 OFFSET $5",
        queues,
        staff.actor().oversees_all,
        staff.department,
        limit,
        offset,
    )
    return [
        WorkItem(
            id=str(r["id"]),
            number=r["number"],
            service_code=r["service_code"],
            service_name=r["service_name"],
            status=r["status"],
            status_text=r["status_text"],
            queue=r["queue"],
            departments=tuple(r["pending_departments"]),
            submitted_at=r["submitted_at"],
            deadline=r["deadline"],
            legal_deadline=r["legal_deadline"],
            escalations=r["escalations"],
        )
        for r in rows
    ]


PERSONAL_FIELDS = ("form", "delivery.address")
WITHHELD = "[说明理由后查看]"


def _withheld(data: dict[str, Any]) -> dict[str, Any]:
    """A submission's data without the applicant's personal data."""
    delivery = dict(data.get("delivery") or {})
    if delivery.get("address") is not None:
        delivery["address"] = WITHHELD
    return {**data, "form": WITHHELD, "delivery": delivery}


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


def _submitter(event: Application.Submitted) -> dict[str, Any]:
    """Who submitted: the applicant, or their agent for them (代办: the agent's name)."""
    if event.submitted_by is None:
        return {"id": str(event.citizen_id), "role": "citizen"}
    name = _revealed(event.submitted_by.get("name")) or "代办人"
    return {
        "id": str(event.submitted_by["id"]),
        "role": "citizen",
        "name": name,
        "agent": f"代办: {name}",
        "onBehalfOf": str(event.citizen_id),
    }


async def history(
    services: Services, staff: Principal, application_id: UUID, reason: str | None = None
) -> list[HistoryEntry]:
    """Every event of the application, in order, with actor and time (from the event store).

    The applicant's personal data (the form, the courier address) is shown only to who may see
    it for their step, and only with a ``reason``: the view is recorded first (who, when, which
    fields, why). Without it the history reads "[说明理由后查看]" there."""
    events = await services.repository.events(application_id)
    aggregate: Any = None
    for event in events:
        aggregate = event.mutate(aggregate)
    if not isinstance(aggregate, Application):
        raise NotFound("办件不存在")
    viewer = staff.actor()
    aggregate.ensure_visible_to(viewer)
    reveal = reason is not None and may_see_personal_data(viewer, aggregate)
    if reveal:
        assert reason is not None
        await record_reveal(services, staff, application_id, PERSONAL_FIELDS, reason)
    entries = []
    for event in events:
        data = {k: _revealed(v) for k, v in vars(event).items() if k not in _SKIP}
        if isinstance(event, Application.Submitted) and not reveal:
            data = _withheld(data)
        actor = data.pop("actor", None)
        if isinstance(event, Application.Submitted):
            actor = _submitter(event)
        elif actor is None:  # decided by the rules, not by a person
            actor = {"id": "system", "role": "system"}
        entries.append(
            HistoryEntry(
                version=event.originator_version,
                type=type(event).__name__,
                at=event.timestamp,
                actor=actor,
                data=data,
            )
        )
    return entries
