"""Working days in China: weekends and statutory holidays off, make-up workdays (调休) on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta, timezone

__all__ = ["CST", "WorkingCalendar"]

# China Standard Time: UTC+8 without daylight saving since 1991. Every date of a case (a
# deadline, a working day, an appointment) is a day in this zone.
CST = timezone(timedelta(hours=8), "Asia/Shanghai")


class WorkingCalendar:
    """A calendar built from known holidays and make-up workdays (data comes from outside)."""

    def __init__(self, holidays: Iterable[date] = (), workdays: Iterable[date] = ()) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)

    def is_working_day(self, day: date) -> bool:
        """Make-up workdays count even on a weekend; holidays never do."""
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.weekday() < 5

    def add_working_days(self, start: date, days: int) -> date:
        """The ``days``-th working day after ``start`` (``start`` itself does not count)."""
        if days < 0:
            raise ValueError("days must not be negative")
        day = start
        remaining = days
        while remaining:
            day += timedelta(days=1)
            if self.is_working_day(day):
                remaining -= 1
        return day

    def working_days_between(self, start: date, end: date) -> int:
        """Working days after ``start`` up to and including ``end``."""
        count = 0
        day = start
        while day < end:
            day += timedelta(days=1)
            count += self.is_working_day(day)
        return count
