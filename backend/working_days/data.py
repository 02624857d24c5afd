"""The working-day calendar: the maintained ``chinese-calendar`` package plus admin overrides."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING

from domain.calendar import WorkingCalendar

if TYPE_CHECKING:
    import asyncpg

__all__ = ["load_calendar", "load_calendar_with_overrides", "official_years"]


def load_calendar(overrides: Iterable[tuple[date, str]] = ()) -> WorkingCalendar:
    """Statutory holidays and make-up workdays as published by the State Council (2004 onwards,
    as far as the package knows), with ``overrides`` (day, 'holiday'|'workday') on top."""
    from chinese_calendar import constants

    holidays = set(constants.holidays)
    workdays = set(constants.workdays)
    for day, kind in overrides:
        if kind == "holiday":
            holidays.add(day)
            workdays.discard(day)
        else:
            workdays.add(day)
            holidays.discard(day)
    return WorkingCalendar(holidays=holidays, workdays=workdays)


async def load_calendar_with_overrides(pool: asyncpg.Pool) -> WorkingCalendar:
    """The package's data plus what admins entered in ``calendar_overrides``."""
    rows = await pool.fetch("SELECT day, kind FROM calendar_overrides")
    return load_calendar([(r["day"], r["kind"]) for r in rows])


def official_years() -> tuple[int, int]:
    """The first and last year for which the holiday package has the State Council's data."""
    from chinese_calendar import constants

    years = [d.year for d in constants.holidays]
    return min(years), max(years)
