"""Yellow and red: where a working-day deadline stands today, for every clock of ours (an
application's promised deadline, a consultation's reply deadline)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from domain.calendar import WorkingCalendar

__all__ = ["DeadlineState", "deadline_state", "working_days_left"]

DeadlineState = Literal["on_time", "due_soon", "overdue"]


def deadline_state(deadline: date, today: date, calendar: WorkingCalendar) -> DeadlineState:
    """Overdue (red) once ``today`` is past the deadline; due soon (yellow) with at most one
    working day left; on time otherwise."""
    if today > deadline:
        return "overdue"
    if calendar.working_days_between(today, deadline) <= 1:
        return "due_soon"
    return "on_time"


def working_days_left(deadline: date, today: date, calendar: WorkingCalendar) -> int:
    """Working days until the deadline, negative (working days late) once it has passed."""
    if today > deadline:
        return -calendar.working_days_between(deadline, today)
    return calendar.working_days_between(today, deadline)
