"""The working-day calendar from the maintained ``chinese-calendar`` package (2004 onwards)."""

from __future__ import annotations

from domain.calendar import WorkingCalendar

__all__ = ["load_calendar"]


def load_calendar() -> WorkingCalendar:
    """Statutory holidays and make-up workdays as published by the State Council."""
    from chinese_calendar import constants

    return WorkingCalendar(holidays=constants.holidays, workdays=constants.workdays)
