"""Supervisors (督办): stuck cases, statistics, rectifications, and their actions on a case."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.handling import CommandAccepted
from backend.http.dto import Reason
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.http.read_source import After
from backend.supervision import commands, queries
from backend.supervision.dto import (
    Escalate,
    ForceTransition,
    Reassign,
    RectificationItem,
    RectificationStatus,
    RectificationStep,
    ServiceStats,
    StuckCase,
)
from domain.application.stuck import StuckReason

__all__ = ["SupervisionActionsController", "SupervisionController"]

_SUPERVISORS = requires("supervisor", "admin")


class SupervisionController(Controller):
    path = "/api/v1/admin"
    tags = ["supervision"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/stuck-cases", operation_id="stuckCases")
    async def stuck_cases(
        self,
        *,
        services: ServicesDep,
        principal: PrincipalDep,
        reason: FromQuery[StuckReason | None] = None,
        department: FromQuery[str | None] = None,
        service_code: Annotated[str | None, QueryParameter(name="serviceCode")] = None,
        snake_service_code: Annotated[
            str | None, QueryParameter(name="service_code", include_in_schema=False)
        ] = None,  # the name before the API took camelCase query parameters, still understood
        after: After = None,
    ) -> list[StuckCase]:
        """Cases that are late, about to be, or waiting too long, with the reasons in words."""
        return await queries.stuck_cases(
            services,
            principal,
            reason=reason,
            department=department,
            service_code=service_code or snake_service_code,
            extra=services.stuck_reasons,
            after=after,
        )

    @get("/stats", operation_id="statistics")
    async def stats(
        self,
        *,
        services: ServicesDep,
        principal: PrincipalDep,
        start: FromQuery[date | None] = None,
        end: FromQuery[date | None] = None,
        department: FromQuery[str | None] = None,
        after: After = None,
    ) -> list[ServiceStats]:
        """Per service and department: received, completed, on time, speed, satisfaction."""
        return await queries.statistics(
            services, principal, start=start, end=end, department=department, after=after
        )

    @get("/rectifications", operation_id="rectifications", guards=[_SUPERVISORS])
    async def rectifications(
        self,
        services: ServicesDep,
        status: FromQuery[RectificationStatus | None] = None,
        after: After = None,
    ) -> list[RectificationItem]:
        """整改 items opened by ratings of 1-2; ``after``: the position a rating answered."""
        return await queries.list_rectifications(services, status, after=after)


class SupervisionActionsController(Controller):
    path = "/api/v1/admin/applications/{application_id:uuid}"
    tags = ["supervision"]  # noqa: RUF012
    guards = [requires(*STAFF), _SUPERVISORS]  # noqa: RUF012

    @post("/reassign", operation_id="reassignApplication", status_code=200)
    async def reassign(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Reassign],
    ) -> CommandAccepted:
        """Move the waiting step to another department."""
        return await commands.reassign(
            services,
            principal,
            application_id,
            department=data.department,
            from_department=data.from_department,
            reason=data.reason,
        )

    @post("/escalate", operation_id="escalateApplication", status_code=200)
    async def escalate(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Escalate],
    ) -> CommandAccepted:
        """督办: press the departments the case waits for."""
        return await commands.escalate(services, principal, application_id, data.note)

    @post("/force-transition", operation_id="forceTransition", status_code=200)
    async def force_transition(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[ForceTransition],
    ) -> CommandAccepted:
        """Move a stuck case by hand, with a written reason."""
        return await commands.force_transition(
            services, principal, application_id, data.status, data.reason
        )

    @post("/rectification", operation_id="recordRectification", status_code=200)
    async def rectification(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[RectificationStep],
    ) -> CommandAccepted:
        """The next step of the rectification opened by a bad rating."""
        return await commands.record_rectification(
            services, principal, application_id, data.step, data.note
        )

    @post("/resend-notifications", operation_id="resendNotifications", status_code=200)
    async def resend_notifications(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Reason],
    ) -> CommandAccepted:
        """Send the citizen's failed notifications again (the notification_failed stuck case)."""
        return await commands.resend_notifications(services, principal, application_id, data.reason)
