"""The working-day calendar admins keep on top of the holiday package."""

from __future__ import annotations

from datetime import date

from litestar import Controller, delete, get, post, put
from litestar.params import FromPath, JSONBody

from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.working_days import commands
from backend.working_days.dto import CalendarDay, CalendarOverride, CalendarStatus, LoadedYear
from backend.working_days.status import calendar_status
from domain.calendar_years import YearSchedule

__all__ = ["CalendarController"]


class CalendarController(Controller):
    path = "/api/v1/admin/calendar"
    tags = ["supervision"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/", operation_id="calendarOverrides")
    async def calendar(self, services: ServicesDep) -> list[CalendarDay]:
        """Days entered by admins on top of the holiday package."""
        return await commands.list_overrides(services)

    @get("/status", operation_id="calendarStatus")
    async def status(self, services: ServicesDep) -> CalendarStatus:
        """Years with official data and those deadlines may reach without it (warning)."""
        return await calendar_status(services)

    @post("/years", operation_id="loadCalendarYear", status_code=200, guards=[requires("admin")])
    async def load_year(
        self, services: ServicesDep, principal: PrincipalDep, data: JSONBody[YearSchedule]
    ) -> LoadedYear:
        """Load a year's official schedule: it replaces that year's days, in every process."""
        return await commands.load_year(services, data, by=principal.name or principal.id)

    @put(
        "/{day:date}",
        operation_id="setCalendarDay",
        status_code=200,
        guards=[requires("admin")],
    )
    async def set_day(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        day: FromPath[date],
        data: JSONBody[CalendarOverride],
    ) -> CalendarDay:
        """Make a day a holiday or a (make-up) workday; new deadlines use it at once."""
        return await commands.set_override(services, principal, day, data.kind, data.note)

    @delete(
        "/{day:date}",
        operation_id="clearCalendarDay",
        status_code=204,
        guards=[requires("admin")],
    )
    async def clear_day(self, services: ServicesDep, day: FromPath[date]) -> None:
        """Back to what the holiday package says."""
        await commands.clear_override(services, day)
