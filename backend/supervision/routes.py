"""Supervisors' views: stuck cases, statistics, rectifications, and the holiday calendar."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec
from litestar import Controller, delete, get, put
from litestar.params import FromPath, FromQuery, JSONBody

from backend.http.dto import (
    CalendarDay,
    CalendarOverride,
    RectificationItem,
    ServiceStats,
    StuckCase,
)
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.supervision import queries as supervision
from backend.working_days import commands as calendar_commands

__all__ = ["SupervisionController"]

Reason = Literal[
    "overdue",
    "due_soon",
    "department_idle",
    "supplement_waiting",
    "deferred_material_overdue",
    "payment_waiting",
    "delivery_failed",
    "notification_failed",
]


class SupervisionController(Controller):
    path = "/api/v1/admin"
    tags = ["supervision"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/stuck-cases", operation_id="stuckCases")
    async def stuck_cases(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        reason: FromQuery[Reason | None] = None,
        department: FromQuery[str | None] = None,
        service_code: FromQuery[str | None] = None,
    ) -> list[StuckCase]:
        """Cases that are late, about to be, or waiting too long, with the reasons in words."""
        cases = await supervision.stuck_cases(
            services,
            principal,
            reason=reason,
            department=department,
            service_code=service_code,
            extra=services.stuck_reasons,
        )
        return msgspec.convert(cases, list[StuckCase], from_attributes=True)

    @get("/stats", operation_id="statistics")
    async def stats(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        start: FromQuery[date | None] = None,
        end: FromQuery[date | None] = None,
        department: FromQuery[str | None] = None,
    ) -> list[ServiceStats]:
        """Per service and department: received, completed, on time, speed, satisfaction."""
        rows = await supervision.statistics(
            services, principal, start=start, end=end, department=department
        )
        return msgspec.convert(rows, list[ServiceStats])

    @get("/rectifications", operation_id="rectifications", guards=[requires("supervisor", "admin")])
    async def rectifications(
        self,
        services: ServicesDep,
        status: FromQuery[Literal["open", "follow_up", "fix", "feedback", "closed"] | None] = None,
    ) -> list[RectificationItem]:
        """整改 items opened by ratings of 1-2."""
        rows = await supervision.list_rectifications(services, status)
        return msgspec.convert(rows, list[RectificationItem], from_attributes=True)

    @get("/calendar", operation_id="calendarOverrides")
    async def calendar(self, services: ServicesDep) -> list[CalendarDay]:
        """Days entered by admins on top of the holiday package."""
        rows = await calendar_commands.list_overrides(services)
        return msgspec.convert(rows, list[CalendarDay], from_attributes=True)

    @put(
        "/calendar/{day:date}",
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
        row = await calendar_commands.set_override(services, principal, day, data.kind, data.note)
        return msgspec.convert(row, CalendarDay, from_attributes=True)

    @delete(
        "/calendar/{day:date}",
        operation_id="clearCalendarDay",
        status_code=204,
        guards=[requires("admin")],
    )
    async def clear_day(self, services: ServicesDep, day: FromPath[date]) -> None:
        """Back to what the holiday package says."""
        await calendar_commands.clear_override(services, day)
