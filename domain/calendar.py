"""Working days in China: weekends and statutory holidays off, make-up workdays (调休) on."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta, timezone

__all__ = ["CST", "WorkingCalendar", "chinese_date", "chinese_month_day_time"]

# China Standard Time: UTC+8 without daylight saving since 1991. Every date of a case (a
# deadline, a working day, an appointment) is a day in this zone.
CST = timezone(timedelta(hours=8), "Asia/Shanghai")


def chinese_date(day: date | str) -> str:
    """A day as citizens read it: ``2026-03-05`` -> ``2026年3月5日`` (no zero padding)."""
    value = date.fromisoformat(day) if isinstance(day, str) else day
    return f"{value.year}年{value.month}月{value.day}日"


def chinese_month_day_time(moment: datetime) -> str:
    """A time of this year as citizens read it, in China time: ``12月2日 09:00``."""
    local = moment.astimezone(CST)
    return f"{local.month}月{local.day}日 {local:%H:%M}"


class WorkingCalendar:
    """A calendar built from known holidays and make-up workdays (data comes from outside).

    ``years`` are the years whose official schedule the data holds. A day of any other year is
    still counted, Monday to Friday, because refusing would stop every acceptance; callers ask
    ``missing_years`` and make the gap visible instead.
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        workdays: Iterable[date] = (),
        years: Iterable[int] = (),
    ) -> None:
        self.holidays = frozenset(holidays)
        self.workdays = frozenset(workdays)
        self.years = frozenset(years)

    def has_schedule(self, year: int) -> bool:
        """True when the official holidays and make-up workdays of ``year`` are known."""
        return year in self.years

    def missing_years(self, today: date, lookahead_days: int) -> tuple[int, ...]:
        """Years without an official schedule from ``today``'s year up to the year of
        ``today + lookahead_days``: deadlines counted there fall back to Monday to Friday."""
        if lookahead_days < 0:
            raise ValueError("lookahead_days must not be negative")
        horizon = today + timedelta(days=lookahead_days)
        return tuple(y for y in range(today.year, horizon.year + 1) if y not in self.years)

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
