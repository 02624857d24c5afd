"""Operators and supervisors acting on one application."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, post
from litestar.params import FromPath, JSONBody

from backend.back_office import commands as back_office
from backend.http.dto import (
    AcceptedCommand,
    Escalate,
    ForceTransition,
    Note,
    Reason,
    Reassign,
    RectificationStep,
    RequestSupplement,
)
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires

__all__ = ["BackOfficeController"]

_DEPARTMENT_STAFF = requires("clerk", "reviewer", "supervisor", "admin")
_LEAD_DESK = requires("clerk", "supervisor", "admin")
_SUPERVISORS = requires("supervisor", "admin")


class BackOfficeController(Controller):
    path = "/api/v1/admin/applications/{application_id:uuid}"
    tags = ["operators"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @post(
        "/request-supplement",
        operation_id="requestSupplement",
        status_code=200,
        guards=[_DEPARTMENT_STAFF],
    )
    async def request_supplement(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[RequestSupplement],
    ) -> AcceptedCommand:
        """一次性告知: every missing material in one notice; the clock restarts when complete."""
        result = await back_office.request_supplement(
            services, principal, application_id, list(data.missing), data.note
        )
        return msgspec.convert(result, AcceptedCommand)

    @post("/reject", operation_id="rejectApplication", status_code=200, guards=[_LEAD_DESK])
    async def reject(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Reason],
    ) -> AcceptedCommand:
        """不予受理, with a written reason."""
        result = await back_office.reject(services, principal, application_id, data.reason)
        return msgspec.convert(result, AcceptedCommand)

    @post("/suspend", operation_id="suspendApplication", status_code=200)
    async def suspend(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Reason],
    ) -> AcceptedCommand:
        """Pause the clock (expert review, hearing, on-site inspection)."""
        result = await back_office.suspend(services, principal, application_id, data.reason)
        return msgspec.convert(result, AcceptedCommand)

    @post("/resume", operation_id="resumeApplication", status_code=200)
    async def resume(
        self, services: ServicesDep, principal: PrincipalDep, application_id: FromPath[UUID]
    ) -> AcceptedCommand:
        """Run the clock again with the working days that were left."""
        result = await back_office.resume(services, principal, application_id)
        return msgspec.convert(result, AcceptedCommand)

    @post("/hand-over", operation_id="handOverResult", status_code=200, guards=[_LEAD_DESK])
    async def hand_over(
        self, services: ServicesDep, principal: PrincipalDep, application_id: FromPath[UUID]
    ) -> AcceptedCommand:
        """The citizen collected the result at the window: completed."""
        result = await back_office.hand_over(services, principal, application_id)
        return msgspec.convert(result, AcceptedCommand)

    @post("/notes", operation_id="addNote", status_code=200)
    async def add_note(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Note],
    ) -> AcceptedCommand:
        """An internal note, kept in the history."""
        result = await back_office.add_note(services, principal, application_id, data.text)
        return msgspec.convert(result, AcceptedCommand)

    @post("/reassign", operation_id="reassignApplication", status_code=200, guards=[_SUPERVISORS])
    async def reassign(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Reassign],
    ) -> AcceptedCommand:
        """Move the waiting step to another department."""
        result = await back_office.reassign(
            services,
            principal,
            application_id,
            department=data.department,
            from_department=data.from_department,
            reason=data.reason,
        )
        return msgspec.convert(result, AcceptedCommand)

    @post("/escalate", operation_id="escalateApplication", status_code=200, guards=[_SUPERVISORS])
    async def escalate(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Escalate],
    ) -> AcceptedCommand:
        """督办: press the departments the case waits for."""
        result = await back_office.escalate(services, principal, application_id, data.note)
        return msgspec.convert(result, AcceptedCommand)

    @post(
        "/force-transition", operation_id="forceTransition", status_code=200, guards=[_SUPERVISORS]
    )
    async def force_transition(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[ForceTransition],
    ) -> AcceptedCommand:
        """Move a stuck case by hand, with a written reason."""
        result = await back_office.force_transition(
            services, principal, application_id, data.status, data.reason
        )
        return msgspec.convert(result, AcceptedCommand)

    @post(
        "/rectification", operation_id="recordRectification", status_code=200, guards=[_SUPERVISORS]
    )
    async def rectification(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[RectificationStep],
    ) -> AcceptedCommand:
        """The next step of the rectification opened by a bad rating."""
        result = await back_office.record_rectification(
            services, principal, application_id, data.step, data.note
        )
        return msgspec.convert(result, AcceptedCommand)

    @post(
        "/resend-notifications",
        operation_id="resendNotifications",
        status_code=200,
        guards=[_SUPERVISORS],
    )
    async def resend_notifications(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Reason],
    ) -> AcceptedCommand:
        """Send the citizen's failed notifications again (the notification_failed stuck case)."""
        result = await back_office.resend_notifications(
            services, principal, application_id, data.reason
        )
        return msgspec.convert(result, AcceptedCommand)
