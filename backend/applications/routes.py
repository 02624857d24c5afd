"""Citizens' applications: submit, follow, withdraw."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, HeaderParameter, JSONBody, QueryParameter

from backend.applications import commands as applications
from backend.applications import queries
from backend.applications.commands import SubmitApplication
from backend.back_office import commands as back_office
from backend.http.dto import (
    AcceptedCommand,
    ApplicationProgress,
    ApplicationSummary,
    Evaluation,
    SubmittedApplication,
    Supplements,
    Withdraw,
)
from backend.http.guards import PrincipalDep, ServicesDep, requires
from backend.http.idempotent import idempotent_response
from backend.http.rate_limit import rate_limit
from backend.payments import refunds

__all__ = ["ApplicationsController"]


class ApplicationsController(Controller):
    path = "/api/v1/applications"
    tags = ["applications"]  # noqa: RUF012
    guards = [requires("citizen")]  # noqa: RUF012

    @post("/", operation_id="submitApplication", status_code=201, guards=[rate_limit("create")])
    async def submit(
        self,
        request: Request[Any, Any, Any],
        services: ServicesDep,
        principal: PrincipalDep,
        data: JSONBody[SubmitApplication],
        idempotency_key: Annotated[str | None, HeaderParameter(name="Idempotency-Key")] = None,
    ) -> Response[SubmittedApplication]:
        """Submit; the same Idempotency-Key and body always get the first answer."""
        return await idempotent_response(
            request,
            services,
            principal,
            idempotency_key,
            run=lambda remember: applications.submit(services, principal, data, remember),
            body_type=SubmittedApplication,
        )

    @get("/", operation_id="listMyApplications")
    async def list_mine(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        after: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> list[ApplicationSummary]:
        """My applications, newest first; ``after`` waits for a position like the detail view."""
        rows = await queries.list_mine(services, principal, after)
        return msgspec.convert(rows, list[ApplicationSummary], from_attributes=True)

    @get("/{application_id:uuid}", operation_id="getApplication")
    async def get(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        after: Annotated[int | None, QueryParameter(ge=0)] = None,
    ) -> ApplicationProgress:
        """Progress; with ``after`` it waits briefly until that position is reflected."""
        detail = await queries.get_progress(services, principal, application_id, after)
        return msgspec.convert(detail, ApplicationProgress)

    @post("/{application_id:uuid}/supplements", operation_id="provideSupplements", status_code=200)
    async def supplements(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Supplements],
    ) -> AcceptedCommand:
        """Hand in the materials a supplement notice asked for, or deferred (容缺) materials."""
        result = await back_office.provide_materials(
            services, principal, application_id, data.materials
        )
        return msgspec.convert(result, AcceptedCommand)

    @post("/{application_id:uuid}/evaluation", operation_id="evaluateApplication", status_code=200)
    async def evaluation(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Evaluation],
    ) -> AcceptedCommand:
        """好差评: 5 非常满意 .. 1 非常不满意, once, after the case is finished."""
        result = await back_office.evaluate(
            services, principal, application_id, data.rating, data.comment
        )
        return msgspec.convert(result, AcceptedCommand)

    @post("/{application_id:uuid}/withdraw", operation_id="withdrawApplication", status_code=200)
    async def withdraw(
        self,
        services: ServicesDep,
        principal: PrincipalDep,
        application_id: FromPath[UUID],
        data: JSONBody[Withdraw],
    ) -> AcceptedCommand:
        """Withdraw before a decision is made, or after paying the fee and before the result
        is issued: the fee is then refunded through WeChat Pay."""
        result = await refunds.withdraw(services, principal, application_id, data.reason)
        return msgspec.convert(result, AcceptedCommand)
