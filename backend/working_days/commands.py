"""Admin overrides of the working-day calendar (days the holiday package lacks)."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from backend.working_days.data import load_calendar_with_overrides
from backend.working_days.dto import CalendarDay
from domain.errors import NotFound

if TYPE_CHECKING:
    from backend.auth.tokens import Principal
    from backend.services import Services

__all__ = ["clear_override", "list_overrides", "refresh_calendar", "set_override"]


async def refresh_calendar(services: Services) -> None:
    """Reload the calendar with the current overrides (other processes do it periodically)."""
    services.calendar = await load_calendar_with_overrides(services.pool)


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
        raise NotFound(f"no override for {day}")
    await refresh_calendar(services)
