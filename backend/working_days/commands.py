"""Admin changes of the working-day calendar: single days the holiday package lacks, and whole
years loaded from the State Council's notice."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from backend.working_days.dto import CalendarDay, LoadedYear
from domain.calendar_years import YearSchedule, check_year_schedule
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["clear_override", "list_overrides", "load_year", "refresh_calendar", "set_override"]


async def refresh_calendar(services: Services) -> None:
    """Reload this process's calendar now; others follow within a second (see ``keeper``)."""
    services.calendar = await services.calendar_keeper.load(services.pool)


async def list_overrides(services: Services) -> list[CalendarDay]:
    """Every override, by day."""
    rows = await services.pool.fetch("SELECT day, kind, note FROM calendar_overrides ORDER BY day")
    return [CalendarDay(day=r["day"], kind=r["kind"], note=r["note"]) for r in rows]


async def set_override(
    services: Services, admin: Principal, day: date, kind: str, note: str
) -> CalendarDay:
    """Make ``day`` a holiday or a workday."""
    await services.pool.execute(
        "INSERT INTO calendar_overrides (day, kind, note, updated_by) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, note = excluded.note,"
        " updated_by = excluded.updated_by, updated_at = now()",
        day,
        kind,
        note,
        admin.name or admin.id,
    )
    await refresh_calendar(services)
    return CalendarDay(day=day, kind=kind, note=note)


async def clear_override(services: Services, day: date) -> None:
    """Remove the override of ``day``."""
    status = await services.pool.execute("DELETE FROM calendar_overrides WHERE day = $1", day)
    if status.endswith(" 0"):
        raise NotFound(f"{day}没有调整记录")
    await refresh_calendar(services)


async def load_year(services: Services, schedule: YearSchedule, by: str) -> LoadedYear:
    """Check ``schedule``, then in one transaction replace every override of its year with its
    days and record the year as official."""
    check_year_schedule(schedule)
    year = schedule.year
    at = services.clock()
    days = schedule.days()
    async with services.pool.acquire() as conn, conn.transaction():
        await conn.execute(
            "DELETE FROM calendar_overrides WHERE day BETWEEN $1 AND $2",
            date(year, 1, 1),
            date(year, 12, 31),
        )
        await conn.executemany(
            "INSERT INTO calendar_overrides (day, kind, note, updated_by, updated_at)"
            " VALUES ($1, $2, $3, $4, $5)",
            [(day, kind, name, by, at) for day, kind, name in days],
        )
        await conn.execute(
            "INSERT INTO calendar_years (year, source, loaded_by, loaded_at)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (year) DO UPDATE SET source = excluded.source,"
            " loaded_by = excluded.loaded_by, loaded_at = excluded.loaded_at",
            year,
            schedule.source.strip(),
            by,
            at,
        )
    await refresh_calendar(services)
    return LoadedYear(
        year=year, source=schedule.source.strip(), loaded_by=by, loaded_at=at, days=len(days)
    )
