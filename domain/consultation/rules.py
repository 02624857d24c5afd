"""The reply clock of a consultation (咨询): how long a department has to answer, in working
days on the same calendar as applications."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from domain.deadlines import deadline_state

if TYPE_CHECKING:
    from domain.calendar import WorkingCalendar

__all__ = [
    "FORWARDED_REPLY_DAYS",
    "MAX_FILES",
    "MAX_TEXT",
    "REPLY_DAYS",
    "overdue_reason",
    "reply_due",
]

REPLY_DAYS = 2  # the item's department answers itself
FORWARDED_REPLY_DAYS = 3  # after a forward to another department
MAX_TEXT = 1000  # characters of a question, a follow-up or a reply
MAX_FILES = 9  # images with one message (what the mini-program's image picker allows)


def reply_due(period_start: date, calendar: WorkingCalendar, *, forwarded: bool) -> date:
    """The reply deadline of a question asked (or followed up) on ``period_start``.

    Counted from the question, not from the forward: a forward gives the thread one more
    working day in all, so passing a question on (or back) never restarts the citizen's
    wait."""
    days = FORWARDED_REPLY_DAYS if forwarded else REPLY_DAYS
    return calendar.add_working_days(period_start, days)


def overdue_reason(due: date, today: date, calendar: WorkingCalendar) -> str | None:
    """Why an open consultation is a stuck case today (the words for the supervisor), or None
    while its reply is not late."""
    if deadline_state(due, today, calendar) != "overdue":
        return None
    late = calendar.working_days_between(due, today)
    return f"咨询已超过答复期限{due}，逾期{late}个工作日未答复"
