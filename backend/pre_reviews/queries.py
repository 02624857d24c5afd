"""Reads of the pre-reviews (预审): mine, one, the lead department's queue, statistics."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

import msgspec

from backend.pre_reviews.clock import ANSWER_CLOCK
from backend.pre_reviews.commands import due_at
from backend.pre_reviews.dto import (
    STATUS_TEXT,
    ChecklistItem,
    DraftMaterial,
    Findings,
    PreReviewDetail,
    PreReviewMaterial,
    PreReviewQueueItem,
    PreReviewRound,
    PreReviewStats,
    PreReviewSummary,
    StaffPreReview,
)
from backend.read_side import read_model
from domain.application.values import material_files
from domain.calendar import CST
from domain.deadlines import deadline_state, working_days_left
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = [
    "PRE_REVIEWS",
    "PreReviewQueue",
    "detail",
    "list_mine",
    "queue",
    "staff_detail",
    "statistics",
]

PRE_REVIEWS = "pre_reviews"  # the read model these queries read
PreReviewQueue = Literal["pending", "due_soon", "overdue"]
_COLUMNS = (
    "id, number, citizen_id, service_code, service_name, department, situation_id, status,"
    " round, due, checklist, materials, delivery_method, findings, rounds, requested_at,"
    " sent_at, updated_at, application_id, application_number, unchanged"
)


def _scope(principal: Principal, first: int = 2) -> tuple[str, list[object]]:
    """The rows the caller may see: a citizen their own, a department what it leads,
    supervisors and admins every one."""
    if principal.role == "citizen":
        return f"citizen_id = ${first}", [UUID(principal.id)]
    if principal.actor().oversees_all:
        return "TRUE", []
    return f"department = ${first}", [principal.department]


def _summary(r: Any) -> PreReviewSummary:
    return PreReviewSummary(
        id=str(r["id"]),
        number=r["number"],
        service_code=r["service_code"],
        service_name=r["service_name"],
        status=r["status"],
        status_text=STATUS_TEXT[r["status"]],
        round=r["round"],
        due_at=due_at(r["due"]),
        requested_at=r["requested_at"],
        updated_at=r["updated_at"],
        application_id=str(r["application_id"]) if r["application_id"] else None,
    )


async def list_mine(
    services: Services, citizen: Principal, after: int | None = None
) -> list[PreReviewSummary]:
    """My pre-reviews, newest first."""
    db = await read_model(services, PRE_REVIEWS, after)
    rows = await db.fetch(
        f"SELECT {_COLUMNS} FROM pre_review_view WHERE citizen_id = $1"  # noqa: S608
        " ORDER BY requested_at DESC LIMIT 200",
        UUID(citizen.id),
    )
    return [_summary(r) for r in rows]


def _names(r: Any) -> dict[str, str]:
    return {m["id"]: m["name"] for m in r["checklist"]}


def _detail_fields(r: Any) -> dict[str, Any]:
    names = _names(r)
    findings = None
    if r["findings"] is not None:
        missing = tuple(r["findings"]["missing"])
        findings = Findings(
            missing=missing,
            note=r["findings"]["note"],
            missing_materials=tuple(
                PreReviewMaterial(material_id=m, name=names.get(m, m)) for m in missing
            ),
        )
    materials = tuple(
        DraftMaterial(
            material_id=m["materialId"],
            name=names.get(m["materialId"], m["materialId"]),
            file_ids=tuple(material_files(m)),
            certificate_id=m.get("certificateId"),
        )
        for m in r["materials"]
    )
    return {
        "id": str(r["id"]),
        "number": r["number"],
        "service_code": r["service_code"],
        "service_name": r["service_name"],
        "department": r["department"],
        "situation_id": r["situation_id"],
        "status": r["status"],
        "status_text": STATUS_TEXT[r["status"]],
        "round": r["round"],
        "due_at": due_at(r["due"]),
        "due_on": r["due"],
        "requested_at": r["requested_at"],
        "updated_at": r["updated_at"],
        "materials": materials,
        "delivery_method": r["delivery_method"],
        "rounds": msgspec.convert(r["rounds"], tuple[PreReviewRound, ...], strict=False),
        "findings": findings,
        "application_id": str(r["application_id"]) if r["application_id"] else None,
        "application_number": r["application_number"],
    }


async def _row(
    services: Services, principal: Principal, pre_review_id: UUID, after: int | None
) -> Any:
    db = await read_model(services, PRE_REVIEWS, after)
    clause, args = _scope(principal)
    row = await db.fetchrow(
        f"SELECT {_COLUMNS} FROM pre_review_view WHERE id = $1 AND {clause}",  # noqa: S608
        pre_review_id,
        *args,
    )
    if row is None:
        raise NotFound("预审不存在", code="pre_review_not_found")
    return row


async def detail(
    services: Services, principal: Principal, pre_review_id: UUID, after: int | None = None
) -> PreReviewDetail:
    """One pre-review, to the citizen who sent it (404 for anyone else)."""
    row = await _row(services, principal, pre_review_id, after)
    return PreReviewDetail(**_detail_fields(row))


async def staff_detail(
    services: Services, staff: Principal, pre_review_id: UUID, after: int | None = None
) -> StaffPreReview:
    """One pre-review, to its lead department, with its clock and the situation's list."""
    row = await _row(services, staff, pre_review_id, after)
    today, calendar = services.clock().date(), services.calendar
    due: date | None = row["due"] if row["status"] == "pending" else None
    given = {m["materialId"] for m in row["materials"]}
    return StaffPreReview(
        **_detail_fields(row),
        deadline_state=deadline_state(due, today, calendar) if due else None,
        days_left=working_days_left(due, today, calendar) if due else None,
        situation_name=await _situation_name(services, row["service_code"], row["situation_id"]),
        checklist=tuple(
            ChecklistItem(
                material_id=m["id"],
                name=m["name"],
                required=m.get("required", True),
                deferrable=m.get("deferrable", False),
                given=m["id"] in given,
            )
            for m in row["checklist"]
        ),
        unchanged=row["unchanged"],
    )


async def _situation_name(services: Services, code: str, situation_id: str) -> str | None:
    """The situation's name in the item's published definition (None: not there any more)."""
    name: str | None = await services.pool.fetchval(
        "SELECT s->>'name' FROM catalog_view, jsonb_array_elements(definition->'situations') s"
        " WHERE code = $1 AND s->>'id' = $2",
        code,
        situation_id,
    )
    return name


async def queue(
    services: Services,
    staff: Principal,
    which: PreReviewQueue = "pending",
    department: str | None = None,
    after: int | None = None,
) -> list[PreReviewQueueItem]:
    """Pending pre-reviews of the items my department leads (every department for supervisors
    and admins, or the one they ask for), the earliest answer due first; ``due_soon``: at most
    one working day left; ``overdue``: late. With ``after``: once the read model has that
    write."""
    db = await read_model(services, PRE_REVIEWS, after)
    if not staff.actor().oversees_all:
        department = staff.department
    rows = await ANSWER_CLOCK.waiting_rows(db, _COLUMNS, department=department)
    return [
        PreReviewQueueItem(
            id=str(c.row["id"]),
            number=c.row["number"],
            service_code=c.row["service_code"],
            service_name=c.row["service_name"],
            department=c.row["department"],
            round=c.row["round"],
            sent_at=c.row["sent_at"],
            due_on=c.due,
            deadline_state=c.state,
            days_left=c.days_left,
        )
        for c in ANSWER_CLOCK.clocked(rows, which, services.clock().date(), services.calendar)
    ]


def _ratio(part: float, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime | None]:
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
    department: str | None = None,
) -> PreReviewStats:
    """The share of submissions that came from a ready pre-review, and the supplement rate
    (补正: at least one supplement request) with and without one, over applications submitted
    in [start, end] of my department as the lead one; rounds and answers on time over the
    pre-reviews sent in the range."""
    if not staff.actor().oversees_all:
        department = staff.department
    since, until = _bounds(start, end)
    applications = await services.pool.fetch(
        "SELECT a.supplement_rounds > 0 AS supplemented, p.id IS NOT NULL AS pre_reviewed"
        " FROM application_view a LEFT JOIN pre_review_view p ON p.application_id = a.id"
        " WHERE ($1::timestamptz IS NULL OR a.submitted_at >= $1)"
        " AND ($2::timestamptz IS NULL OR a.submitted_at < $2)"
        " AND ($3::text IS NULL OR a.department = $3)",
        since,
        until,
        department,
    )
    with_ = [r["supplemented"] for r in applications if r["pre_reviewed"]]
    without = [r["supplemented"] for r in applications if not r["pre_reviewed"]]
    reviews = await services.pool.fetch(
        "SELECT round, late_answers, jsonb_array_length(rounds) AS sent,"
        " (SELECT count(*) FROM jsonb_array_elements(rounds) e WHERE e ? 'answeredAt')"
        " AS answers FROM pre_review_view"
        " WHERE ($1::timestamptz IS NULL OR requested_at >= $1)"
        " AND ($2::timestamptz IS NULL OR requested_at < $2)"
        " AND ($3::text IS NULL OR department = $3)",
        since,
        until,
        department,
    )
    answers = sum(r["answers"] for r in reviews)
    late = sum(r["late_answers"] for r in reviews)
    return PreReviewStats(
        submissions=len(applications),
        pre_reviewed=len(with_),
        pre_reviewed_share=_ratio(len(with_), len(applications)),
        supplement_rate_with_pre_review=_ratio(sum(with_), len(with_)),
        supplement_rate_without_pre_review=_ratio(sum(without), len(without)),
        pre_reviews=len(reviews),
        average_rounds=_ratio(sum(r["round"] for r in reviews), len(reviews), 2),
        answered_on_time_share=_ratio(answers - late, answers),
    )
