"""The departments at work: queues, acceptance, supplements, review, the clock, the result."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.audit.reveals import list_reveals
from backend.back_office import commands, queries
from backend.back_office.dto import (
    Accept,
    HistoryEntry,
    IssueResult,
    Note,
    RequestSupplement,
    RevealView,
    Review,
    WorkItem,
)
from backend.handling import CommandAccepted
from backend.http.dto import Reason
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires
from backend.http.read_source import After
from domain.application import Queue

__all__ = ["BackOfficeController"]

_LEAD_DESK = requires("clerk", "supervisor", "admin")
_REVIEWERS = requires("reviewer", "supervisor", "admin")
ApplicationId = FromPath[UUID]


class BackOfficeController(Controller):
    path = "/api/v1/admin"
    tags = ["operators"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/worklist", operation_id="worklist")
    async def worklist(
        self,
        *,
        services: ServicesDep,
        principal: PrincipalDep,
        queue: FromQuery[Queue | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
        after: After = None,
    ) -> list[WorkItem]:
        """What waits for my department, earliest deadline first (all, for supervisors)."""
        return await queries.worklist(services, principal, queue, limit, offset, after=after)

    @get("/applications/{application_id:uuid}/history", operation_id="applicationHistory")
    async def history(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        reason: Annotated[str | None, QueryParameter(min_length=4, max_length=500)] = None,
    ) -> list[HistoryEntry]:
        """Every event in order, with actor and time; nothing here can be edited. The
        applicant's personal data shows only with ``reason`` (recorded), and only to the lead
        department's clerks, reviewers of a reached step, supervisors and admins."""
        return await queries.history(services, principal, application_id, reason)

    @get(
        "/applications/{application_id:uuid}/reveals",
        operation_id="personalDataReveals",
        guards=[requires("supervisor", "admin")],
    )
    async def reveals(
        self, services: ServicesDep, principal: PrincipalDep, application_id: ApplicationId
    ) -> list[RevealView]:
        """Who saw the applicant's personal data, when, which fields and why (newest first)."""
        await queries.history(services, principal, application_id)  # 404 when unknown
        return [RevealView.of(r) for r in await list_reveals(services, application_id)]

    @post(
        "/applications/{application_id:uuid}/accept",
        operation_id="acceptApplication",
        status_code=200,
        guards=[_LEAD_DESK],
    )
    async def accept(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        data: JSONBody[Accept | None] = None,
    ) -> CommandAccepted:
        """受理: the working-day clock starts; missing deferrable materials are deferred (容缺)."""
        due = data.deferred_due if data else None
        return await commands.accept(services, principal, application_id, due)

    @post(
        "/applications/{application_id:uuid}/request-supplement",
        operation_id="requestSupplement",
        status_code=200,
    )
    async def request_supplement(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        data: JSONBody[RequestSupplement],
    ) -> CommandAccepted:
        """一次性告知: every missing material in one notice; the clock restarts when complete."""
        return await commands.request_supplement(
            services, principal, application_id, list(data.missing), data.note
        )

    @post(
        "/applications/{application_id:uuid}/reject",
        operation_id="rejectApplication",
        status_code=200,
        guards=[_LEAD_DESK],
    )
    async def reject(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        data: JSONBody[Reason],
    ) -> CommandAccepted:
        """不予受理, with a written reason."""
        return await commands.reject(services, principal, application_id, data.reason)

    @post(
        "/applications/{application_id:uuid}/review",
        operation_id="reviewApplication",
        status_code=200,
        guards=[_REVIEWERS],
    )
    async def review(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        data: JSONBody[Review],
    ) -> CommandAccepted:
        """A department approves or denies on the current stage."""
        return await commands.review(
            services,
            principal,
            application_id,
            decision=data.decision,
            opinion=data.opinion,
            department=data.department,
        )

    @post(
        "/applications/{application_id:uuid}/suspend",
        operation_id="suspendApplication",
        status_code=200,
    )
    async def suspend(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        data: JSONBody[Reason],
    ) -> CommandAccepted:
        """Pause the clock (expert review, hearing, on-site inspection)."""
        return await commands.suspend(services, principal, application_id, data.reason)

    @post(
        "/applications/{application_id:uuid}/resume",
        operation_id="resumeApplication",
        status_code=200,
    )
    async def resume(
        self, services: ServicesDep, principal: PrincipalDep, application_id: ApplicationId
    ) -> CommandAccepted:
        """Run the clock again with the working days that were left."""
        return await commands.resume(services, principal, application_id)

    @post(
        "/applications/{application_id:uuid}/issue-result",
        operation_id="issueResult",
        status_code=200,
        guards=[_LEAD_DESK],
    )
    async def issue_result(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        data: JSONBody[IssueResult],
    ) -> CommandAccepted:
        """出证: issue the result document of an approved application."""
        return await commands.issue_result(services, principal, application_id, data.document_no)

    @post(
        "/applications/{application_id:uuid}/hand-over",
        operation_id="handOverResult",
        status_code=200,
        guards=[_LEAD_DESK],
    )
    async def hand_over(
        self, services: ServicesDep, principal: PrincipalDep, application_id: ApplicationId
    ) -> CommandAccepted:
        """The citizen collected the result at the window: completed."""
        return await commands.hand_over(services, principal, application_id)

    @post("/applications/{application_id:uuid}/notes", operation_id="addNote", status_code=200)
    async def add_note(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: ApplicationId,
        data: JSONBody[Note],
    ) -> CommandAccepted:
        """An internal note, kept in the history."""
        return await commands.add_note(services, principal, application_id, data.text)
