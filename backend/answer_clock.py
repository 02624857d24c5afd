"""Requests that wait for a department's answer by a working-day deadline — consultations (答复,
2 working days) and pre-reviews (预审, 1) — read the same way: the department's queue, earliest
due first, split into 待答复 / 即将到期 / 已超期, and, once late, a stuck case on the supervisors'
desk. One description of each read model serves both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from domain.deadlines import DeadlineState, deadline_state, working_days_left

if TYPE_CHECKING:
    from backend.db.reader import Queries
    from domain.calendar import WorkingCalendar

__all__ = ["AnswerClock", "Clocked", "Late"]

QUEUE_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Clocked:
    """A waiting row with its clock: due on ``due``, ``state`` today, ``days_left``."""

    row: Any
    due: date
    state: DeadlineState
    days_left: int


@dataclass(frozen=True, slots=True)
class Late:
    """A waiting row past its deadline, explained for the supervisor."""

    id: str
    number: str
    service_code: str
    service_name: str
    department: str
    since: datetime
    due: date
    explanation: str


@dataclass(frozen=True, slots=True)
class AnswerClock:
    """A read model whose rows in status ``waiting`` await an answer due on column ``due``
    (``since``: when they started waiting, the tie-break), with the words for a late one."""

    table: str
    waiting: str
    due: str
    since: str
    overdue_reason: Callable[[date, date, WorkingCalendar], str | None]

    async def waiting_rows(
        self,
        db: Queries,
        columns: str,
        *,
        department: str | None = None,
        service_code: str | None = None,
        due_before: date | None = None,
        limit: int | None = QUEUE_LIMIT,
    ) -> list[Any]:
        """The waiting rows (of one department or item, due before a day, if given), the
        earliest due first; ``columns`` as the caller reads them."""
        rows: list[Any] = await db.fetch(
            f"SELECT {columns} FROM {self.table} WHERE status = $1"  # noqa: S608
            " AND ($2::text IS NULL OR department = $2)"
            " AND ($3::text IS NULL OR service_code = $3)"
            f" AND ($4::date IS NULL OR {self.due} < $4)"
            f" ORDER BY {self.due}, {self.since} LIMIT $5",
            self.waiting,
            department,
            service_code,
            due_before,
            limit,
        )
        return rows

    def clocked(
        self, rows: list[Any], which: str, today: date, calendar: WorkingCalendar
    ) -> Iterator[Clocked]:
        """``rows`` with their clocks; ``which``: all of them (the waiting status), or only
        those ``due_soon`` / ``overdue``."""
        for r in rows:
            due: date = r[self.due]
            state = deadline_state(due, today, calendar)
            if which in (self.waiting, state):
                yield Clocked(r, due, state, working_days_left(due, today, calendar))

    async def late(
        self,
        db: Queries,
        today: date,
        calendar: WorkingCalendar,
        *,
        department: str | None = None,
        service_code: str | None = None,
    ) -> list[Late]:
        """The rows past their deadline today (of one department or item, if given)."""
        rows = await self.waiting_rows(
            db,
            f"id, number, service_code, service_name, department, {self.since}, {self.due}",
            department=department,
            service_code=service_code,
            due_before=today,
            limit=None,
        )
        found = []
        for r in rows:
            words = self.overdue_reason(r[self.due], today, calendar)
            if words is not None:
                found.append(
                    Late(
                        id=str(r["id"]),
                        number=r["number"],
                        service_code=r["service_code"],
                        service_name=r["service_name"],
                        department=r["department"],
                        since=r[self.since],
                        due=r[self.due],
                        explanation=words,
                    )
                )
        return found
