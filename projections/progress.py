"""Application progress: the citizen's timeline, "my applications", queues, stuck cases, stats.

One row per application. ``detail`` is the citizen's view exactly as the API returns it;
``work`` keeps the domain's case state and the facts the texts need; the narrow columns the
queries filter on are derived from the case state on every write. The changes themselves are
pure (``progress_view``): this module only loads rows, hands them the events and writes them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

import msgspec

from domain.application import Application
from projections.progress_view import CANCEL_CUTOFF, ProgressView, apply_event, row_key, started
from projections.texts import status_text

if TYPE_CHECKING:
    import asyncpg
    from asyncpg.pool import PoolConnectionProxy

    from domain.events import Event

__all__ = ["ProgressProjection"]

# what changes as the case moves (rewritten with every change of the row)
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
    "id",
    "number",
    "citizen_id",
    "service_code",
    "service_name",
    "submitted_at",
    "agent_id",  # 代办: the agent who submitted for the applicant, and under which authorisation
    "authorisation_id",
)
_ALL = (*_CREATED, *_COLUMNS)
_NARROW = tuple(c for c in _ALL if c != "detail")
# One statement per batch: the changed rows go as one JSON array, PostgreSQL turns it into
# rows of the table's own types (text[] from arrays, dates and timestamps from ISO text) and
# inserts the new ones or updates the others, each row once. The citizen's documents go beside
# it as text, in the same order, into the ``json`` column: never parsed into a jsonb tree.
_UPSERT = (
    f"INSERT INTO application_view ({', '.join(_NARROW)}, detail)"  # noqa: S608 - constants
    f" SELECT {', '.join('r.' + c for c in _NARROW)}, d.detail::json"
    " FROM jsonb_populate_recordset(NULL::application_view, $1::jsonb) WITH ORDINALITY AS r"
    " JOIN unnest($2::text[]) WITH ORDINALITY AS d (detail, n) ON d.n = r.ordinality"
    " ON CONFLICT (id) DO UPDATE SET " + ", ".join(f"{name} = EXCLUDED.{name}" for name in _COLUMNS)
)
_encode = msgspec.json.Encoder().encode


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _row(key: UUID, view: ProgressView, submitted: Application.Submitted | None) -> dict[str, Any]:
    """The row of ``view``, as JSON the table's columns read (``submitted``: the event of a
    new row; the columns written only at creation come from it)."""
    case, info, detail = view.case, view.info, view.detail
    agent = submitted.submitted_by if submitted is not None else None
    accepted = case.accepted_on
    return {
        "id": str(key),
        "number": detail["number"],
        "citizen_id": info["citizenId"],
        "service_code": detail["serviceCode"],
        "service_name": detail["serviceName"],
        "submitted_at": detail["submittedAt"],
        "agent_id": str(agent["id"]) if agent else None,
        "authorisation_id": submitted.authorisation_id if submitted is not None else None,
        "status": case.status,
        "status_text": status_text(case),
        "queue": case.queue,
        "pending_departments": list(case.pending_departments),
        "departments": list(case.reached_departments),  # who may see the row (queries use it)
        "lead_department": case.lead,
        "department": case.lead,
        "updated_at": view.updated_at.isoformat(),
        "deadline": case.deadline,
        "legal_deadline": case.legal_deadline,
        # the day of acceptance is China's day, whatever the session's time zone
        "accepted_at": f"{accepted}T00:00:00+08:00" if accepted else None,
        "finished_at": _iso(case.finished_at),
        "last_action_at": info["lastActionAt"],
        "supplement_rounds": case.supplement_rounds,
        "deferred_due": case.deferred_due,
        "deferred_overdue": case.has_overdue_deferred,
        "warnings": list(case.warnings),
        "escalations": case.escalations,
        "rating": case.rating,
        "zero_visit": bool(info["zeroVisit"]),
        "payment_problem": case.payment_problem,
        "delivery_failed": case.delivery_failed,
        "materials_given": len(case.materials),
        "materials_by_certificate": sum(1 for m in case.materials if m.get("certificateId")),
        "version": view.version,
        "work": view.work(),
    }


class ProgressProjection:
    """Keeps ``application_view``."""

    name: str = "progress"
    tables: tuple[str, ...] = ("application_view",)

    def __init__(self, cancel_cutoff: timedelta = CANCEL_CUTOFF) -> None:
        # when a booking can no longer be cancelled (the citizen's actions say so); a change
        # of the setting reaches stored rows with a rebuild
        self.cancel_cutoff = cancel_cutoff

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
        created: dict[UUID, Application.Submitted] = {}  # new rows, in the order submitted
        changed: set[UUID] = set()
        for event in events:
            key = row_key(event)
            if key is None:
                continue
            if isinstance(event, Application.Submitted):
                if key not in views:  # a replayed submission changes nothing
                    views[key] = started(event, cancel_cutoff=self.cancel_cutoff)
                    created[key] = event
                continue
            view = views.get(key)
            if view is not None and apply_event(view, event, refresh=False):
                changed.add(key)
        for key in changed:
            views[key].refresh()  # once per row, after its last event of the batch
        written = [*created.keys() | changed]
        if written:
            await conn.execute(
                _UPSERT,
                [_row(key, views[key], created.get(key)) for key in written],
                [_encode(views[key].detail).decode() for key in written],
            )

    async def _load(
        self, conn: asyncpg.Connection | PoolConnectionProxy, keys: set[UUID]
    ) -> dict[UUID, ProgressView]:
        rows = await conn.fetch(
            # locked: an erasure scrubbing these rows waits for the batch, and the batch for it
            "SELECT id, version, updated_at, detail, work FROM application_view"
            " WHERE id = ANY($1::uuid[]) ORDER BY id FOR UPDATE",
            list(keys),
        )
        return {
            row["id"]: ProgressView.restore(
                row["detail"],
                row["work"],
                version=row["version"],
                updated_at=row["updated_at"],
                cancel_cutoff=self.cancel_cutoff,
            )
            for row in rows
        }
