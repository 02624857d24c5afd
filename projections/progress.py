"""Application progress: the citizen's timeline, "my applications", queues, stuck cases, stats.

One row per application. ``detail`` is the citizen's view exactly as the API returns it;
``work`` keeps the domain's case state and the facts the texts need; the narrow columns the
queries filter on are derived from the case state on every write. The changes themselves are
pure (``progress_view``): this module only loads rows, hands them the events and writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any
from uuid import UUID

from domain.application import Application
from projections.progress_view import ProgressView, apply_event, row_key, started
from projections.texts import STATUS_TEXT

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["ProgressProjection"]

_COLUMNS = (
    "status",
    "status_text",
    "queue",
    "pending_departments",
    "departments",
    "lead_department",
    "department",
    "updated_at",
    "deadline",
    "legal_deadline",
    "accepted_at",
    "finished_at",
    "last_action_at",
    "supplement_rounds",
    "deferred_due",
    "deferred_overdue",
    "warnings",
    "escalations",
    "rating",
    "zero_visit",
    "payment_problem",
    "delivery_failed",
    "materials_given",
    "materials_by_certificate",
    "version",
    "detail",
    "work",
)
# what a row is created with besides (written once, at submission)
_CREATED = (
    "number",
    "citizen_id",
    "service_code",
    "service_name",
    "submitted_at",
    "agent_id",  # 代办: the agent who submitted for the applicant, and under which authorisation
    "authorisation_id",
)
# how a value given as ISO text becomes its column (the day of acceptance is China's day)
_CASTS = {
    "deadline": "{}::text::date",
    "legal_deadline": "{}::text::date",
    "accepted_at": "({}::text || ' 00:00+08')::timestamptz",
    "deferred_due": "{}::text::date",
    "last_action_at": "{}::text::timestamptz",
    "agent_id": "{}::text::uuid",
    "authorisation_id": "{}::text::uuid",
}


def _columns(view: ProgressView) -> tuple[Any, ...]:
    case, info = view.case, view.info
    return (
        case.status,
        STATUS_TEXT[case.status],
        case.queue,
        list(case.pending_departments),
        list(case.reached_departments),  # who may see the row (queries filter on it)
        case.lead,
        case.lead,
        view.updated_at,
        case.deadline,
        case.legal_deadline,
        case.accepted_on,
        case.finished_at,
        info["lastActionAt"],
        case.supplement_rounds,
        case.deferred_due,
        case.has_overdue_deferred,
        list(case.warnings),
        case.escalations,
        case.rating,
        bool(info["zeroVisit"]),
        case.payment_problem,
        case.delivery_failed,
        len(case.materials),
        sum(1 for m in case.materials if m.get("certificateId")),  # 免提交
        view.version,
        view.detail,
        view.work(),
    )


def _placeholders(names: Sequence[str], start: int = 1) -> list[str]:
    return [_CASTS.get(name, "{}").format(f"${i}") for i, name in enumerate(names, start)]


_ALL = ("id", *_COLUMNS, *_CREATED)
_INSERT = (
    f"INSERT INTO application_view ({', '.join(_ALL)})"  # noqa: S608 - constant column names
    f" VALUES ({', '.join(_placeholders(_ALL))}) ON CONFLICT (id) DO NOTHING"
)
_UPDATE = (
    "UPDATE application_view SET "  # noqa: S608 - constant column names
    + ", ".join(
        f"{name} = {value}"
        for name, value in zip(_COLUMNS, _placeholders(_COLUMNS, 2), strict=True)
    )
    + " WHERE id = $1"
)


class ProgressProjection:
    """Keeps ``application_view``."""

    name: str = "progress"
    tables: tuple[str, ...] = ("application_view",)

    async def process(
        self,
        conn: asyncpg.Connection | PoolConnectionProxy,
        event: Event,
        position: int,
    ) -> None:
        await self.process_batch(conn, [event])

    async def process_batch(
        self, conn: asyncpg.Connection | PoolConnectionProxy, events: Sequence[Event]
    ) -> None:
        """Apply ``events`` in order: each row they touch is read once and written once."""
        keys = {key for key in map(row_key, events) if key is not None}
        if not keys:
            return
        views = await self._load(conn, keys)
        created: dict[UUID, Application.Submitted] = {}
        changed: set[UUID] = set()
        for event in events:
            key = row_key(event)
            if key is None:
                continue
            if isinstance(event, Application.Submitted):
                if key not in views:  # a replayed submission changes nothing
                    views[key] = started(event)
                    created[key] = event
                continue
            view = views.get(key)
            if view is not None and apply_event(view, event):
                changed.add(key)
        if created:
            await conn.executemany(
                _INSERT,
                [
                    (
                        key,
                        *_columns(views[key]),
                        event.number,
                        event.citizen_id,
                        event.service["code"],
                        event.service["name"],
                        event.timestamp,
                        event.submitted_by["id"] if event.submitted_by else None,
                        event.authorisation_id,
                    )
                    for key, event in created.items()
                ],
            )
        updated = changed - created.keys()
        if updated:
            await conn.executemany(_UPDATE, [(key, *_columns(views[key])) for key in updated])

    @staticmethod
    async def _load(
        conn: asyncpg.Connection | PoolConnectionProxy, keys: set[UUID]
    ) -> dict[UUID, ProgressView]:
        rows = await conn.fetch(
            "SELECT id, version, updated_at, detail, work FROM application_view"
            " WHERE id = ANY($1::uuid[])",
            list(keys),
        )
        return {
            row["id"]: ProgressView.restore(
                row["detail"], row["work"], version=row["version"], updated_at=row["updated_at"]
            )
            for row in rows
        }
