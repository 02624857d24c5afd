"""Stuck cases, statistics and rectifications: what supervisors look at."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Literal
from uuid import UUID

from backend.answer_clock import AnswerClock
from backend.consultations.clock import REPLY_CLOCK
from backend.pre_reviews.clock import ANSWER_CLOCK
from backend.read_side import PROGRESS, RECTIFICATIONS, read_model
from backend.supervision.dto import RectificationItem, ServiceStats, StuckCase
from domain.application.status import OPEN
from domain.application.stuck import REASONS, CaseFacts, StuckRules, stuck_reasons
from domain.calendar import CST
from domain.errors import ValidationFailed

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.db.reader import Queries
    from backend.services import Services

__all__ = [
    "REASONS",
    "ExtraReasons",
    "StuckRules",
    "list_rectifications",
    "rating_distribution",
    "statistics",
    "stuck_cases",
]

# Reasons kept by other parts (payments, delivery, notifications): application id -> reasons,
# each (code, since, words for the supervisor).
ExtraReasons = Callable[["Queries"], Awaitable[dict[UUID, list[tuple[str, datetime | None, str]]]]]


def _day(moment: datetime) -> date:
    """The date in China of a stored moment."""
    return moment.astimezone(CST).date()


def _facts(row: Any) -> CaseFacts:
    return CaseFacts(
        status=row["status"],
        deadline=row["deadline"],
        idle_since=_day(row["last_action_at"]),
        pending_departments=tuple(row["pending_departments"]),
        department=row["department"],
        deferred_due=row["deferred_due"],
        deferred_overdue=row["deferred_overdue"],
        payment_problem=row["payment_problem"],
        delivery_failed=row["delivery_failed"],
    )


async def stuck_cases(
    services: Services,
    staff: Principal,
    *,
    reason: str | None = None,
    department: str | None = None,
    service_code: str | None = None,
    rules: StuckRules | None = None,
    extra: list[ExtraReasons] | tuple[ExtraReasons, ...] = (),
    after: int | None = None,
) -> list[StuckCase]:
    """Open cases with at least one reason, most urgent first, explained in words."""
    rules = rules or StuckRules()
    db = await read_model(services, PROGRESS, after)
    today = services.clock().date()
    if not staff.actor().oversees_all:
        department = staff.department  # department staff see their own cases only
    quiet = rules.shortest_wait
    extra_reasons: dict[UUID, list[tuple[str, datetime | None, str]]] = {}
    for provider in extra:
        for key, items in (await provider(db)).items():
            extra_reasons.setdefault(key, []).extend(items)
    # A superset in SQL; the exact rules run below. Idle: n working days take at least n
    # calendar days. Due soon: at most one working day left means a deadline before the second
    # working day from today, which over Spring Festival is more than a week away.
    rows = await db.fetch(
        "SELECT id, number, service_code, service_name, department, status, deadline,"
        " legal_deadline, last_action_at, pending_departments, deferred_due, deferred_overdue,"
        " escalations, payment_problem, delivery_failed"
        " FROM application_view WHERE status = ANY($1::text[])"
        " AND ($2::text IS NULL OR $2 = ANY(departments))"
        " AND ($3::text IS NULL OR service_code = $3)"
        " AND (deadline < $4::date OR last_action_at < $5 OR deferred_due < $7::date"
        "      OR deferred_overdue OR id = ANY($6::uuid[])"
        "      OR delivery_failed OR payment_problem IS NOT NULL)"
        " ORDER BY deadline NULLS LAST, last_action_at",
        list(OPEN),
        department,
        service_code,
        services.calendar.add_working_days(today, 2),
        datetime.combine(today - timedelta(days=quiet - 1), datetime.min.time(), CST),
        list(extra_reasons),
        today,
    )
    cases = []
    for row in rows:
        explained = dict(stuck_reasons(_facts(row), today, services.calendar, rules))
        for code, _since, words in extra_reasons.get(row["id"], []):
            # one code once (two failed messages, a failed delivery seen twice), every fact told
            if code not in explained:
                explained[code] = words
            elif words not in explained[code]:
                explained[code] = f"{explained[code]}；{words}"
        found = list(explained.items())
        if reason is not None and reason not in {code for code, _ in found}:
            continue
        if not found:
            continue
        found.sort(key=lambda item: REASONS.index(item[0]) if item[0] in REASONS else 99)
        cases.append(
            StuckCase(
                application_id=str(row["id"]),
                number=row["number"],
                service_code=row["service_code"],
                service_name=row["service_name"],
                status=row["status"],
                department=row["department"],
                pending_departments=tuple(row["pending_departments"]),
                reasons=tuple(code for code, _ in found),
                explanations=tuple(words for _, words in found),
                since=row["last_action_at"],
                deadline=row["deadline"],
                legal_deadline=row["legal_deadline"],
                escalations=row["escalations"],
            )
        )
    if reason in (None, "consultation_overdue"):
        cases.extend(await _late_answers(services, "consultation", today, department, service_code))
    if reason in (None, "pre_review_overdue"):
        cases.extend(await _late_answers(services, "pre_review", today, department, service_code))
    cases.sort(key=lambda c: (c.deadline is None, c.deadline or today, c.since))
    return cases


async def _late_answers(
    services: Services,
    kind: Literal["consultation", "pre_review"],
    today: date,
    department: str | None,
    service_code: str | None,
) -> list[StuckCase]:
    """Consultations past their reply deadline, or pre-reviews (预审) past their answer
    deadline, as stuck cases of their own kind (reason ``consultation_overdue`` /
    ``pre_review_overdue``)."""
    clock: AnswerClock = REPLY_CLOCK if kind == "consultation" else ANSWER_CLOCK
    found = await clock.late(
        services.pool, today, services.calendar, department=department, service_code=service_code
    )
    return [
        StuckCase(
            application_id=None,
            kind=kind,
            consultation_id=late.id if kind == "consultation" else None,
            pre_review_id=late.id if kind == "pre_review" else None,
            number=late.number,
            service_code=late.service_code,
            service_name=late.service_name,
            status="open" if kind == "consultation" else "pending",
            department=late.department,
            pending_departments=(late.department,),
            reasons=(f"{kind}_overdue",),
            explanations=(late.explanation,),
            since=late.since,
            deadline=late.due,
            escalations=0,
        )
        for late in found
    ]


# statistics span the years onewindow can hold cases of
_FIRST_DAY, _LAST_DAY = date(2000, 1, 1), date(2099, 12, 31)


def check_range(start: date | None, end: date | None) -> None:
    """400 for a date range outside 2000..2099 or ending before it starts."""
    errors: dict[str, str] = {}
    for field, day in (("start", start), ("end", end)):
        if day is not None and not _FIRST_DAY <= day <= _LAST_DAY:
            errors[field] = f"between {_FIRST_DAY} and {_LAST_DAY}"
    if start is not None and end is not None and end < start and "end" not in errors:
        errors["end"] = "not before start"
    if errors:
        raise ValidationFailed("统计的日期范围有误", errors)


def _ratio(part: float, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None


async def statistics(
    services: Services,
    staff: Principal,
    *,
    start: date | None = None,
    end: date | None = None,
    department: str | None = None,
    after: int | None = None,
) -> list[ServiceStats]:
    """Per service and lead department, over applications submitted in [start, end]."""
    check_range(start, end)
    db = await read_model(services, PROGRESS, after)
    if not staff.actor().oversees_all:
        department = staff.department
    # days are China's days, whatever time zone the database session has
    since = datetime.combine(start, time.min, CST) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, CST) if end else None
    rows = await db.fetch(
        "SELECT service_code, service_name, department, status, deadline, accepted_at,"
        " finished_at, supplement_rounds, zero_visit, rating, materials_given,"
        " materials_by_certificate FROM application_view"
        " WHERE ($1::timestamptz IS NULL OR submitted_at >= $1)"
        " AND ($2::timestamptz IS NULL OR submitted_at < $2)"
        " AND ($3::text IS NULL OR department = $3)",
        since,
        until,
        department,
    )
    groups: dict[tuple[str, str], list[Any]] = {}
    for row in rows:
        groups.setdefault((row["service_code"], row["department"]), []).append(row)
    calendar = services.calendar
    result = []
    for (code, dept), items in sorted(groups.items()):
        completed = [r for r in items if r["status"] == "completed"]
        decided = [r for r in items if r["finished_at"] is not None and r["deadline"] is not None]
        on_time = [r for r in decided if _day(r["finished_at"]) <= r["deadline"]]
        durations = [
            calendar.working_days_between(_day(r["accepted_at"]), _day(r["finished_at"]))
            for r in items
            if r["accepted_at"] is not None and r["finished_at"] is not None
        ]
        ratings = [r["rating"] for r in items if r["rating"] is not None]
        result.append(
            ServiceStats(
                service_code=code,
                service_name=items[0]["service_name"],
                department=dept,
                received=len(items),
                completed=len(completed),
                on_time_rate=_ratio(len(on_time), len(decided)),
                average_working_days=_ratio(sum(durations), len(durations), 2),
                supplement_rounds=sum(r["supplement_rounds"] for r in items),
                with_second_supplement_round=sum(1 for r in items if r["supplement_rounds"] >= 2),
                zero_visit_share=_ratio(sum(r["zero_visit"] for r in completed), len(completed)),
                ratings=len(ratings),
                average_rating=_ratio(sum(ratings), len(ratings), 2),
                satisfied_share=_ratio(sum(1 for r in ratings if r >= 4), len(ratings)),
                # 免提交率: of the materials handed in, the share e-certificates stood for
                certificate_share=_ratio(
                    sum(r["materials_by_certificate"] for r in items),
                    sum(r["materials_given"] for r in items),
                ),
            )
        )
    return result


async def list_rectifications(
    services: Services,
    status: str | None = None,
    application_id: UUID | None = None,
    after: int | None = None,
) -> list[RectificationItem]:
    """整改 items, open ones first (of one application, if given)."""
    db = await read_model(services, RECTIFICATIONS, after)
    rows = await db.fetch(
        "SELECT id, application_id, number, rating, comment, departments, steps, status,"
        " opened_at, updated_at FROM rectification_view"
        " WHERE ($1::text IS NULL OR status = $1) AND ($2::uuid IS NULL OR application_id = $2)"
        " ORDER BY status = 'closed', opened_at",
        status,
        application_id,
    )
    return [
        RectificationItem(
            application_id=str(r["application_id"]),
            number=r["number"],
            rating=r["rating"],
            comment=r["comment"],
            departments=tuple(r["departments"]),
            steps=tuple(r["steps"]),
            status=r["status"],
            opened_at=r["opened_at"],
            updated_at=r["updated_at"],
        )
        for r in rows
    ]


async def rating_distribution(
    services: Services,
    staff: Principal,
    *,
    start: date | None = None,
    end: date | None = None,
    department: str | None = None,
    after: int | None = None,
) -> dict[int, int]:
    """好差评: how many evaluations gave each rating 1..5, over the same cases as ``statistics``."""
    if not staff.actor().oversees_all:
        department = staff.department
    db = await read_model(services, PROGRESS, after)
    since = datetime.combine(start, time.min, CST) if start else None
    until = datetime.combine(end + timedelta(days=1), time.min, CST) if end else None
    rows = await db.fetch(
        "SELECT rating, count(*) AS n FROM application_view WHERE rating IS NOT NULL"
        " AND ($1::timestamptz IS NULL OR submitted_at >= $1)"
        " AND ($2::timestamptz IS NULL OR submitted_at < $2)"
        " AND ($3::text IS NULL OR department = $3) GROUP BY rating",
        since,
        until,
        department,
    )
    found = {r["rating"]: r["n"] for r in rows}
    return {rating: found.get(rating, 0) for rating in range(1, 6)}
