"""The worklist as operators search it: boxes (queues) with counts, filters, sorting, pages.

Rows come from the progress read model; what a row shows about the clock (working days left,
on time / due soon / overdue) is the domain's ``CaseState`` restored from the row.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal, get_args

import msgspec

from backend.read_side import PROGRESS, read_model
from domain.application import CaseState, DeadlineState, queues_for
from domain.application.state import deadline_bounds
from domain.application.status import ACTIVE, AWAITING_MATERIALS, OPEN
from domain.calendar import CST

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = [
    "BOXES",
    "Box",
    "CaseFilter",
    "CasePage",
    "CaseRow",
    "box_counts",
    "boxes_for",
    "search_cases",
]

Box = Literal[
    "all", "acceptance", "review", "issue", "supplement", "deferred", "yellow", "red", "escalated"
]
BOXES: tuple[Box, ...] = get_args(Box)
Sort = Literal["deadline", "submitted", "number"]
_QUEUE_BOXES = ("acceptance", "review", "issue")
# Each box as a condition on application_view ({active}, {awaiting}, {open}: status groups).
_BOX_SQL: dict[str, str] = {
    "all": "TRUE",
    "acceptance": "queue = 'acceptance'",
    "review": "queue = 'review'",
    "issue": "queue = 'issue'",
    "supplement": "status = 'supplement_requested'",
    "deferred": "deferred_due IS NOT NULL AND status = ANY({awaiting}::text[])",
    "yellow": "'yellow' = ANY(warnings) AND NOT 'red' = ANY(warnings)"
    " AND status = ANY({active}::text[])",
    "red": "'red' = ANY(warnings) AND status = ANY({active}::text[])",
    "escalated": "escalations > 0 AND status = ANY({open}::text[])",
}
_GROUPS = {"active": ACTIVE, "awaiting": AWAITING_MATERIALS, "open": OPEN}


def _box(box: str, args: list[Any]) -> str:
    """The box's condition, its status groups appended to ``args``."""
    template = _BOX_SQL[box]
    values = {}
    for name, group in _GROUPS.items():
        if "{" + name + "}" in template:
            args.append(sorted(group))
            values[name] = f"${len(args)}"
    return template.format(**values)


_ORDER = {
    "deadline": "deadline {dir} NULLS LAST, submitted_at",
    "submitted": "submitted_at {dir}",
    "number": "number {dir}",
}


class CaseFilter(msgspec.Struct, frozen=True, kw_only=True):
    """What the operator asked for; empty strings mean "any"."""

    box: Box = "all"
    q: str = ""
    service: str = ""
    status: str = ""
    deadline_state: DeadlineState | Literal[""] = ""
    submitted_from: date | None = None
    submitted_to: date | None = None
    mine: bool = False  # only cases waiting for my department now
    sort: Sort = "deadline"
    descending: bool = False
    page: int = 1
    per_page: int = 25


class CaseRow(msgspec.Struct, frozen=True):
    id: str
    number: str
    service_code: str
    service_name: str
    status: str
    status_text: str
    department: str
    pending_departments: tuple[str, ...]
    submitted_at: datetime
    deadline: date | None
    days_left: int | None
    deadline_state: DeadlineState | None
    escalations: int
    warnings: tuple[str, ...]
    bundle: str | None = None  # the life event (一件事) the case is an item of


class CasePage(msgspec.Struct, frozen=True):
    rows: tuple[CaseRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def boxes_for(staff: Principal) -> tuple[Box, ...]:
    """The boxes a role works: its queues, then the watch lists."""
    queues = queues_for(staff.role)
    return ("all", *(b for b in _QUEUE_BOXES if b in queues), *BOXES[4:])


def _scope(staff: Principal, box: str, args: list[Any]) -> str:
    """Department staff see their departments' cases; in a queue, the ones waiting for them."""
    if staff.actor().oversees_all:
        return "TRUE"
    args.append(staff.department)
    column = "pending_departments" if box in _QUEUE_BOXES else "departments"
    return f"${len(args)} = ANY({column})"


def _where(
    staff: Principal, wanted: CaseFilter, today: date, calendar: Any
) -> tuple[str, list[Any]]:
    args: list[Any] = []
    parts = [_box(wanted.box, args), _scope(staff, wanted.box, args)]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    if wanted.q.strip():
        term = arg(wanted.q.strip())
        parts.append(
            f"(number ILIKE '%' || {term} || '%' OR service_name ILIKE '%' || {term} || '%'"
            f" OR service_code ILIKE {term} || '%')"
        )
    if wanted.service:
        parts.append(f"service_code = {arg(wanted.service)}")
    if wanted.status:
        parts.append(f"status = {arg(wanted.status)}")
    if wanted.deadline_state:
        overdue_before, due_soon_before = deadline_bounds(today, calendar)
        running = f"status = ANY({arg(sorted(ACTIVE))}::text[]) AND deadline IS NOT NULL"
        if wanted.deadline_state == "overdue":
            parts.append(f"{running} AND deadline < {arg(overdue_before)}")
        elif wanted.deadline_state == "due_soon":
            low, high = arg(overdue_before), arg(due_soon_before)
            parts.append(f"{running} AND deadline >= {low} AND deadline < {high}")
        else:
            parts.append(f"{running} AND deadline >= {arg(due_soon_before)}")
    if wanted.submitted_from:
        parts.append(
            f"submitted_at >= {arg(datetime.combine(wanted.submitted_from, time.min, CST))}"
        )
    if wanted.submitted_to:
        end = datetime.combine(wanted.submitted_to + timedelta(days=1), time.min, CST)
        parts.append(f"submitted_at < {arg(end)}")
    if wanted.mine and staff.department:
        # (containment, not "= ANY": the GIN index on pending_departments serves only @>)
        parts.append(f"pending_departments @> ARRAY[{arg(staff.department)}::text]")
    return " AND ".join(parts), args


def _row(record: Any, today: date, calendar: Any) -> CaseRow:
    case = CaseState.from_record(record["work"]["case"])
    return CaseRow(
        id=str(record["id"]),
        number=record["number"],
        service_code=record["service_code"],
        service_name=record["service_name"],
        status=record["status"],
        status_text=record["status_text"],
        department=record["department"],
        pending_departments=tuple(record["pending_departments"]),
        submitted_at=record["submitted_at"],
        deadline=record["deadline"],
        days_left=case.working_days_left(today, calendar),
        deadline_state=case.deadline_state(today, calendar),
        escalations=record["escalations"],
        warnings=tuple(record["warnings"]),
        bundle=record["bundle"],
    )


async def search_cases(
    services: Services,
    staff: Principal,
    wanted: CaseFilter,
    *,
    limit: int | None = None,
    after: int | None = None,
) -> CasePage:
    """One page of the cases matching ``wanted`` that ``staff`` may see (``limit``: all of
    them up to that many, for an export)."""
    today = services.clock().astimezone(CST).date()
    where, args = _where(staff, wanted, today, services.calendar)
    order = _ORDER[wanted.sort].format(dir="DESC" if wanted.descending else "ASC")
    per_page = limit or max(1, min(wanted.per_page, 200))
    page = 1 if limit else max(1, wanted.page)
    db = await read_model(services, PROGRESS, after)
    total = await db.fetchval(
        f"SELECT count(*) FROM application_view WHERE {where}",  # noqa: S608 - built from constants
        *args,
    )
    rows = await db.fetch(
        "SELECT id, number, service_code, service_name, status, status_text, department,"  # noqa: S608
        " pending_departments, submitted_at, deadline, escalations, warnings, work,"
        " (SELECT b.life_event_name FROM bundle_members m JOIN bundle_view b ON b.id = m.bundle_id"
        "  WHERE m.application_id = application_view.id) AS bundle"
        f" FROM application_view WHERE {where} ORDER BY {order}, id"
        f" LIMIT {per_page} OFFSET {(page - 1) * per_page}",
        *args,
    )
    return CasePage(
        rows=tuple(_row(r, today, services.calendar) for r in rows),
        total=total,
        page=page,
        per_page=per_page,
    )


async def box_counts(
    services: Services, staff: Principal, after: int | None = None
) -> dict[str, int]:
    """How many cases each of the staff member's boxes holds."""
    boxes = boxes_for(staff)
    args: list[Any] = []
    filters = [
        f"count(*) FILTER (WHERE {_box(b, args)} AND {_scope(staff, b, args)}) AS {b}"
        for b in boxes
    ]
    db = await read_model(services, PROGRESS, after)
    row = await db.fetchrow(
        f"SELECT {', '.join(filters)} FROM application_view",  # noqa: S608 - constant names
        *args,
    )
    assert row is not None  # an aggregate always gives a row
    return {b: row[b] for b in boxes}
