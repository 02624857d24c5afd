"""Supervisors' views: stuck cases, statistics, rectifications."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec
from litestar import Controller, get
from litestar.params import FromQuery

from backend.http.dto import RectificationItem, ServiceStats, StuckCase
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.supervision import queries as supervision

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
