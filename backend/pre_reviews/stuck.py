"""Overdue pre-reviews on the stuck-case desk (reason ``pre_review_overdue``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import msgspec

from domain.prereview import overdue_reason

if TYPE_CHECKING:
    import asyncpg

    from domain.calendar import WorkingCalendar

__all__ = ["StuckPreReview", "overdue_pre_reviews"]


class StuckPreReview(msgspec.Struct, frozen=True, kw_only=True):
    """A pending pre-review whose answer is late, explained."""

    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    sent_at: datetime
    due: date
    explanation: str


async def overdue_pre_reviews(
    pool: asyncpg.Pool,
    today: date,
    calendar: WorkingCalendar,
    *,
    department: str | None = None,
    service_code: str | None = None,
) -> list[StuckPreReview]:
    """Pending pre-reviews past their answer deadline (of one department, if given)."""
    rows = await pool.fetch(
        "SELECT id, number, service_code, service_name, department, sent_at, due"
        " FROM pre_review_view WHERE status = 'pending' AND due < $1"
        " AND ($2::text IS NULL OR department = $2) AND ($3::text IS NULL OR service_code = $3)"
        " ORDER BY due, sent_at",
        today,
        department,
        service_code,
    )
    found = []
    for r in rows:
        words = overdue_reason(r["due"], today, calendar)
        if words is None:
            continue
        found.append(
            StuckPreReview(
                id=str(r["id"]),
                number=r["number"],
                service_code=r["service_code"],
                service_name=r["service_name"],
                department=r["department"],
                sent_at=r["sent_at"],
                due=r["due"],
                explanation=words,
            )
        )
    return found
