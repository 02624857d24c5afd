"""Operators: work queues, acceptance, review, result, history."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

import msgspec
from litestar import Controller, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.applications import commands as applications
from backend.applications import queries
from backend.http.dto import Accept, AcceptedCommand, HistoryEntry, IssueResult, Review, WorkItem
from backend.http.guards import STAFF, PrincipalDep, ServicesDep, requires

__all__ = ["AdminController"]


class AdminController(Controller):
    path = "/api/v1/admin"
    tags = ["operators"]  # noqa: RUF012
    guards = [requires(*STAFF)]  # noqa: RUF012

    @get("/worklist", operation_id="worklist")
    async def worklist(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        queue: FromQuery[Literal["acceptance", "review", "issue"] | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=200)] = 50,
        offset: Annotated[int, QueryParameter(ge=0, le=1_000_000)] = 0,
    ) -> list[WorkItem]:
        """What waits for my department, earliest deadline first (all, for supervisors)."""
        rows = await queries.worklist(services, principal, queue, limit, offset)
        return msgspec.convert(rows, list[WorkItem], from_attributes=True)

    @post(
        "/applications/{application_id:uuid}/accept",
        operation_id="acceptApplication",
        status_code=200,
        guards=[requires("clerk", "supervisor", "admin")],
    )
    async def accept(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Accept | None] = None,
    ) -> AcceptedCommand:
        """受理: the working-day clock starts; missing deferrable materials are deferred (容缺)."""
        due = data.deferred_due if data else None
        result = await applications.accept(services, principal, application_id, due)
        return msgspec.convert(result, AcceptedCommand)

    @post(
        "/applications/{application_id:uuid}/review",
        operation_id="reviewApplication",
        status_code=200,
        guards=[requires("reviewer", "supervisor", "admin")],
    )
    async def review(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Review],
    ) -> AcceptedCommand:
        """A department approves or denies on the current stage."""
        result = await applications.review(
            services,
            principal,
            application_id,
            decision=data.decision,
            opinion=data.opinion,
            department=data.department,
        )
        return msgspec.convert(result, AcceptedCommand)

    @post(
        "/applications/{application_id:uuid}/issue-result",
        operation_id="issueResult",
        status_code=200,
        guards=[requires("clerk", "supervisor", "admin")],
    )
    async def issue_result(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[IssueResult],
    ) -> AcceptedCommand:
        """出证: issue the result document of an approved application."""
        result = await applications.issue_result(
            services, principal, application_id, data.document_no
        )
        return msgspec.convert(result, AcceptedCommand)

    @get("/applications/{application_id:uuid}/history", operation_id="applicationHistory")
    async def history(
        self, services: ServicesDep, principal: PrincipalDep, application_id: FromPath[UUID]
    ) -> list[HistoryEntry]:
        """Every event in order, with actor and time; nothing here can be edited."""
        entries = await queries.history(services, principal, application_id)
        return msgspec.convert(entries, list[HistoryEntry], from_attributes=True)
