"""Reads of the consultation threads: mine, one thread, a department's queue, statistics."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import msgspec

from backend.consultations.clock import REPLY_CLOCK
from backend.consultations.commands import due_at
from backend.consultations.dto import (
    ConsultationMessage,
    ConsultationStats,
    ConsultationSummary,
    ConsultationThread,
    Forwarding,
    QueueItem,
    StaffThread,
)
from backend.read_side import read_model
from domain.calendar import CST
from domain.deadlines import deadline_state, working_days_left
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["CONSULTATIONS", "ConsultationQueue", "list_mine", "queue", "statistics", "thread"]

CONSULTATIONS = "consultations"  # the read model these queries read
ConsultationQueue = Literal["open", "due_soon", "overdue"]
_COLUMNS = (
    "id, number, citizen_id, service_code, service_name, department, departments, status,"
    " reply_due, forwarded, asked_at, updated_at, rating, question, messages, forwards, replies"
)


def _scope(principal: Principal, first: int = 2) -> tuple[str, list[object]]:
    """The rows the caller may see: the asker their own, a department what it holds now,
    supervisors and admins every one."""
    if principal.role == "citizen":
        return f"citizen_id = ${first}", [UUID(principal.id)]
    if principal.actor().oversees_all:
        return "TRUE", []
    return f"department = ${first}", [principal.department]


async def list_mine(
    services: Services, citizen: Principal, after: int | None = None
) -> list[ConsultationSummary]:
    """My consultations, newest first."""
    db = await read_model(services, CONSULTATIONS, after)
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM consultation_view WHERE citizen_id = $1"  # noqa: S608
        " ORDER BY asked_at DESC LIMIT 200",
        UUID(citizen.id),
    )
    return [
        ConsultationSummary(
            id=str(r["id"]),
            number=r["number"],
            service_code=r["service_code"],
            service_name=r["service_name"],
            department=r["department"],
            status=r["status"],
            reply_due_at=due_at(r["reply_due"]),
            asked_at=r["asked_at"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


def _thread_fields(r: Any) -> dict[str, Any]:
    return {
        "id": str(r["id"]),
        "number": r["number"],
        "service_code": r["service_code"],
        "service_name": r["service_name"],
        "department": r["department"],
        "status": r["status"],
        "reply_due_at": due_at(r["reply_due"]),
        "reply_due_on": r["reply_due"],
        "asked_at": r["asked_at"],
        "rating": r["rating"],
        "messages": msgspec.convert(r["messages"], tuple[ConsultationMessage, ...]),
    }


async def _row(
    services: Services, principal: Principal, consultation_id: UUID, after: int | None
) -> Any:
    db = await read_model(services, CONSULTATIONS, after)
    clause, args = _scope(principal)
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM consultation_view WHERE id = $1 AND {clause}",  # noqa: S608
        consultation_id,
        *args,
    )
    if row is None:
        raise NotFound("咨询不存在")
    return row


async def thread(
    services: Services, principal: Principal, consultation_id: UUID, after: int | None = None
) -> ConsultationThread:
    """One thread, to its asker (404 for anyone else)."""
    row = await _row(services, principal, consultation_id, after)
    return ConsultationThread(**_thread_fields(row))


async def staff_thread(
    services: Services, staff: Principal, consultation_id: UUID, after: int | None = None
) -> StaffThread:
    """One thread, to the department holding it, with its clock and forwards."""
    row = await _row(services, staff, consultation_id, after)
    today = services.clock().date()
    due: date | None = row["reply_due"]
    open_ = row["status"] == "open" and due is not None
    return StaffThread(
        **_thread_fields(row),
        deadline_state=deadline_state(due, today, services.calendar) if open_ and due else None,
        days_left=working_days_left(due, today, services.calendar) if open_ and due else None,
        forwards=msgspec.convert(row["forwards"], tuple[Forwarding, ...]),
    )


async def queue(
    services: Services,
    staff: Principal,
    which: ConsultationQueue = "open",
    department: str | None = None,
    after: int | None = None,
) -> list[QueueItem]:
    """Open consultations of my department (every department for supervisors and admins, or
    the one they ask for), the earliest reply due first; ``due_soon``: at most one working
    day left; ``overdue``: late. With ``after``: once the read model has that write."""
    db = await read_model(services, CONSULTATIONS, after)
    if not staff.actor().oversees_all:
        department = staff.department
    rows = await REPLY_CLOCK.waiting_rows(db, _COLUMNS, department=department)
    return [
        QueueItem(
            id=str(c.row["id"]),
            number=c.row["number"],
            service_code=c.row["service_code"],
            service_name=c.row["service_name"],
            department=c.row["department"],
            status=c.row["status"],
            question=c.row["question"],
            asked_at=c.row["asked_at"],
            reply_due_on=c.due,
            deadline_state=c.state,
            days_left=c.days_left,
            forwarded=c.row["forwarded"],
            replies=c.row["replies"],
        )
        for c in REPLY_CLOCK.clocked(rows, which, services.clock().date(), services.calendar)
    ]


def _ratio(part: float, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def _day(moment: datetime) -> date:
    return moment.astimezone(CST).date()


def bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
    """China's days [start, end] as moments [since, until)."""
    since = datetime.combine(start, time.min, CST) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, CST) if end else None
    return since, until


async def statistics(
    services: Services,
    staff: Principal,
    *,
    start: date | None = None,
    end: date | None = None,
) -> list[ConsultationStats]:
    """Per department holding them, over consultations asked in [start, end]."""
    department = None if staff.actor().oversees_all else staff.department
    since, until = bounds(start, end)
    rows = await services.pool.fetch(
        "SELECT department, status, reply_due, jsonb_array_length(forwards) > 0 AS forwarded,"
        " asked_at, first_reply_at, replies, late_replies, rating FROM consultation_view"
        " WHERE ($1::timestamptz IS NULL OR asked_at >= $1)"
        " AND ($2::timestamptz IS NULL OR asked_at < $2)"
        " AND ($3::text IS NULL OR department = $3)",
        since,
        until,
        department,
    )
    groups: dict[str, list[Any]] = {}
    for row in rows:
        groups.setdefault(row["department"], []).append(row)
    today, calendar = services.clock().date(), services.calendar
    result = []
    for dept, items in sorted(groups.items()):
        answered = [r for r in items if r["first_reply_at"] is not None]
        replies = sum(r["replies"] for r in items)
        late = sum(r["late_replies"] for r in items)
        waits = [
            calendar.working_days_between(_day(r["asked_at"]), _day(r["first_reply_at"]))
            for r in answered
        ]
        ratings = [r["rating"] for r in items if r["rating"] is not None]
        overdue = [
            r
            for r in items
            if r["status"] == "open"
            and r["reply_due"] is not None
            and deadline_state(r["reply_due"], today, calendar) == "overdue"
        ]
        result.append(
            ConsultationStats(
                department=dept,
                asked=len(items),
                answered=len(answered),
                answered_on_time_share=_ratio(replies - late, replies),
                average_reply_working_days=_ratio(sum(waits), len(waits), 2),
                forwarded=sum(1 for r in items if r["forwarded"]),
                overdue_now=len(overdue),
                ratings=len(ratings),
                average_rating=_ratio(sum(ratings), len(ratings), 2),
            )
        )
    return result
