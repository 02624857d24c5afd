"""The answer clock of a pre-review (预审) and its numbers: one working day, on the same
calendar as applications."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.deadlines import deadline_state

if TYPE_CHECKING:
    from domain.calendar import WorkingCalendar

__all__ = ["ANSWER_DAYS", "MAX_NOTE", "answer_due", "overdue_reason", "pre_review_number"]

ANSWER_DAYS = 1  # the lead department answers a draft (or a revised draft) within this
MAX_NOTE = 1000  # characters of the clerk's note


def answer_due(sent_on: date, calendar: WorkingCalendar) -> date:
    """The answer deadline of a draft sent (or revised) on ``sent_on``: the end of the next
    working day (a draft sent on Friday is due on Monday, one sent during a holiday on the
    first working day after it)."""
    return calendar.add_working_days(sent_on, ANSWER_DAYS)


def overdue_reason(due: date, today: date, calendar: WorkingCalendar) -> str | None:
    """Why a pending pre-review is a stuck case today (the words for the supervisor), or None
    while its answer is not late."""
    if deadline_state(due, today, calendar) != "overdue":
        return None
    late = calendar.working_days_between(due, today)
    return f"预审已超过答复期限{due}，逾期{late}个工作日未答复"


def pre_review_number(day: date, sequence: int) -> str:
    """A pre-review number: ``YS``, the day the draft was first sent, the day's sequence."""
    if sequence < 1:
        raise ValueError("sequence starts at 1")
    return f"YS{day:%Y%m%d}-{sequence:06d}"
