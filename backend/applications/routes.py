"""Citizens' applications: submit, follow, hand in materials, withdraw, rate."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter

from backend.applications import commands, queries
from backend.applications.dto import (
    ApplicationProgress,
    ApplicationSummary,
    Evaluation,
    SubmitApplication,
    SubmittedApplication,
    Supplements,
    Withdraw,
)
from backend.applications.progress_path import progress_path
from backend.handling import CommandAccepted
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.idempotency import IdempotencyKeyHeader, idempotent_post
from backend.http.openapi import problems
from backend.http.pages import DEFAULT_LIMIT, NEXT_HEADERS, Cursor, Limit, paged
from backend.http.rate_limit import rate_limit
from backend.http.read_source import After
from domain.application.status import Status

__all__ = ["ApplicationsController"]

_CITIZEN = requires("citizen")


class ApplicationsController(Controller):
    path = "/api/v1/applications"
    tags = ["applications"]  # noqa: RUF012
    guards = [_CITIZEN]  # noqa: RUF012

    @post(
        "/",
        operation_id="submitApplication",
        status_code=201,
        guards=[rate_limit("create")],
        responses=problems(
            404,
            s404="No active authorisation for `onBehalfOf` (`not_found`), or `preReviewId` is"
            " unknown or not the applicant's (`pre_review_not_found`)",
        ),
    )
    async def submit(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        data: JSONBody[SubmitApplication],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[SubmittedApplication]:
        """Submit; the same Idempotency-Key and body always get the first answer. With
        ``onBehalfOf`` an agent submits for the principal (404 without an authorisation)."""
        return await idempotent_post(
            request,
            services,
            principal,
            idempotency_key,
            lambda remember: commands.submit(services, principal, data, remember),
        )

    @get("/", operation_id="listMyApplications", response_headers=NEXT_HEADERS)
    async def list_mine(
        self,
        *,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        after: After = None,
        as_agent: Annotated[bool, QueryParameter(name="asAgent")] = False,
        status: FromQuery[Status | None] = None,
        service_code: Annotated[str | None, QueryParameter(name="serviceCode")] = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> Response[list[ApplicationSummary]]:
        """My applications, newest first; ``after`` waits for a position like the detail view.
        ``asAgent=true``: the applications I submitted for others (代办), while I may.
        ``status`` and ``serviceCode`` filter; ``limit`` and ``cursor`` page."""
        which = queries.MineFilter(status, service_code, limit, cursor)
        page = await queries.list_mine(services, principal, after, as_agent=as_agent, which=which)
        return paged(request, page)

    @get(
        "/{application_id:uuid}",
        operation_id="getApplication",
        middleware=[progress_path(_CITIZEN)],  # the short way through: progress_path.py
    )
    async def progress(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        after: After = None,
    ) -> ApplicationProgress:
        """Progress; with ``after`` it waits briefly until that position is reflected."""
        return await queries.get_progress(services, principal, application_id, after)

    @post("/{application_id:uuid}/supplements", operation_id="provideSupplements", status_code=200)
    async def supplements(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Supplements],
    ) -> CommandAccepted:
        """Hand in the materials a supplement notice asked for, or deferred (容缺) materials."""
        return await commands.provide_materials(services, principal, application_id, data.materials)

    @post("/{application_id:uuid}/evaluation", operation_id="evaluateApplication", status_code=200)
    async def evaluation(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Evaluation],
    ) -> CommandAccepted:
        """好差评: 5 非常满意 .. 1 非常不满意, once, after the case is finished."""
        return await commands.evaluate(
            services, principal, application_id, data.rating, data.comment
        )

    @post("/{application_id:uuid}/withdraw", operation_id="withdrawApplication", status_code=200)
    async def withdraw(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Withdraw],
    ) -> CommandAccepted:
        """Withdraw before a decision is made, or after paying the fee and before the result
        is issued: the fee is then refunded through WeChat Pay."""
        return await commands.withdraw(services, principal, application_id, data.reason)
