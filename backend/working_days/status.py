"""Which years the calendar has official data for, told to operators (``/ready``, logs) and to
admins (``GET /api/v1/admin/calendar/status``, in Chinese)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from backend.working_calendar.data import package_label, package_years
from backend.working_calendar.keeper import missing_detail
from backend.working_days.dto import CalendarHealth, CalendarStatus, LoadedYear

if TYPE_CHECKING:
    from backend.services import Services

__all__ = ["calendar_health", "calendar_status", "missing_warning"]


def missing_warning(missing: Sequence[int]) -> str:
    """What a missing year means, for admins."""
    years = "、".join(f"{y}年" for y in missing)
    return (
        f"{years}的国务院节假日安排尚未录入：这些日期的办理期限暂按周一至周五计算，"
        "法定节假日和调休上班日均未计入。国务院办公厅公布安排后，请管理员录入"
        "（onewindow calendar load 或 POST /api/v1/admin/calendar/years）。"
    )


def calendar_health(services: Services) -> CalendarHealth:
    """Degraded when a year deadlines may reach has no official schedule."""
    missing = services.calendar_keeper.missing_years(services)
    if not missing:
        return CalendarHealth(status="ok", missing_years=())
    return CalendarHealth(status="degraded", missing_years=missing, detail=missing_detail(missing))


async def calendar_status(services: Services) -> CalendarStatus:
    """The years with data (package and loaded), the missing ones and the admins' warning."""
    rows = await services.pool.fetch(
        "SELECT y.year, y.source, y.loaded_by, y.loaded_at,"
        " (SELECT count(*) FROM calendar_overrides o"
        "  WHERE extract(year FROM o.day) = y.year) AS days"
        " FROM calendar_years y ORDER BY y.year"
    )
    missing = services.calendar_keeper.missing_years(services)
    return CalendarStatus(
        status="degraded" if missing else "ok",
        years=tuple(sorted(services.calendar.years)),
        package=package_label(),
        package_years=tuple(sorted(package_years())),
        loaded_years=tuple(LoadedYear(**dict(r)) for r in rows),
        missing_years=missing,
        warning=missing_warning(missing) if missing else None,
    )
