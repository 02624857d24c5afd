"""The working-day calendar: the maintained ``chinese-calendar`` package plus admin overrides, and
which years have official data (the package's, plus years an admin loaded in full)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import cache
from importlib.metadata import version
from typing import TYPE_CHECKING

from domain.calendar import WorkingCalendar

if TYPE_CHECKING:
    import asyncpg

__all__ = ["load_calendar", "package_label", "package_years", "read_calendar"]


@cache
def package_years() -> frozenset[int]:
    """The years the installed ``chinese-calendar`` knows: those with any holiday or make-up
    workday in its tables (its notices never reach into a later year)."""
    from chinese_calendar import constants

    return frozenset(d.year for d in (*constants.holidays, *constants.workdays))


def package_label() -> str:
    """The package and its version, e.g. ``chinese-calendar 1.11.0``."""
    return f"chinese-calendar {version('chinese-calendar')}"


def load_calendar(
    overrides: Iterable[tuple[date, str]] = (), loaded_years: Iterable[int] = ()
) -> WorkingCalendar:
    """Statutory holidays and make-up workdays as published by the State Council (2004 onwards,
    as far as the package knows), with ``overrides`` (day, 'holiday'|'workday') on top;
    ``loaded_years`` are years whose complete schedule an admin loaded as overrides."""
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
    return WorkingCalendar(
        holidays=holidays, workdays=workdays, years=package_years() | set(loaded_years)
    )


async def read_calendar(pool: asyncpg.Pool) -> tuple[int, WorkingCalendar]:
    """The calendar's version and the calendar at that version, read in one snapshot (so a
    change committed meanwhile cannot pair new data with an old version or the other way)."""
    async with (
        pool.acquire() as conn,
        conn.transaction(isolation="repeatable_read", readonly=True),
    ):
        current: int = await conn.fetchval("SELECT version FROM calendar_version")
        rows = await conn.fetch("SELECT day, kind FROM calendar_overrides")
        years = await conn.fetch("SELECT year FROM calendar_years")
    calendar = load_calendar([(r["day"], r["kind"]) for r in rows], [r["year"] for r in years])
    return current, calendar
