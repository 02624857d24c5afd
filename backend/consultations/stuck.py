"""Overdue consultations on the stuck-case desk (reason ``consultation_overdue``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import msgspec

from domain.consultation import overdue_reason

if TYPE_CHECKING:
    import asyncpg

    from domain.calendar import WorkingCalendar

__all__ = ["StuckConsultation", "overdue_consultations"]


class StuckConsultation(msgspec.Struct, frozen=True, kw_only=True):
    """An open consultation whose reply is late, explained."""

    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    asked_at: datetime
    reply_due: date
    explanation: str


async def overdue_consultations(
    pool: asyncpg.Pool,
    today: date,
    calendar: WorkingCalendar,
    *,
    department: str | None = None,
    service_code: str | None = None,
) -> list[StuckConsultation]:
    """Open consultations past their reply deadline (of one department, if given)."""
    rows = await pool.fetch(
        "SELECT id, number, service_code, service_name, department, asked_at, reply_due"
        " FROM consultation_view WHERE status = 'open' AND reply_due < $1"
        " AND ($2::text IS NULL OR department = $2) AND ($3::text IS NULL OR service_code = $3)"
        " ORDER BY reply_due, asked_at",
        today,
        department,
        service_code,
    )
    found = []
    for r in rows:
        words = overdue_reason(r["reply_due"], today, calendar)
        if words is None:
            continue
        found.append(
            StuckConsultation(
                id=str(r["id"]),
                number=r["number"],
                service_code=r["service_code"],
                service_name=r["service_name"],
                department=r["department"],
                asked_at=r["asked_at"],
                reply_due=r["reply_due"],
                explanation=words,
            )
        )
    return found
